"""Bar charts of evaluation reports (matplotlib when installed; otherwise skipped with a note)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path


def bar_chart(
    methods: Mapping[str, Mapping[str, float]], metrics: Sequence[str], out: Path, title: str
) -> tuple[Path | None, str]:
    """Grouped bars, one group per metric and one bar per method. Returns (png path or None, note)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None, "plot skipped: matplotlib is not installed"
    names = list(methods)
    width = 0.8 / max(len(names), 1)
    fig, ax = plt.subplots(figsize=(1.8 + 1.6 * len(metrics), 4))
    for i, name in enumerate(names):
        values = [float(methods[name].get(m, 0.0)) for m in metrics]
        xs = [j + i * width for j in range(len(metrics))]
        bars = ax.bar(xs, values, width, label=name)
        ax.bar_label(bars, fmt="%.3f", fontsize=7)
    ax.set_xticks([j + width * (len(names) - 1) / 2 for j in range(len(metrics))], list(metrics))
    ax.set_ylim(0, 1.05)
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out, "ok"
