"""Named, versioned rankers under ``<data_dir>/models/<name>/<version>/``; the newest version wins.

``ensure_default_ranker`` is what first start calls: it trains the quick profile when no default
ranker exists yet (a few minutes on CPU) and returns the version folder.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timezone
from pathlib import Path

from semstream.config import Settings, get_settings
from semstream.models.exceptions import ModelLoadError
from semstream.models.ranker.artifacts import CONFIG_FILE, load_artifact
from semstream.models.ranker.cascade import CascadeRanker
from semstream.models.ranker.compiled import compile_ranker, warm_up_inputs
from semstream.models.ranker.mixlm import MIXLM_DIR, MixLmRanker
from semstream.models.ranker.quantize import INT8, quantize_ranker
from semstream.models.ranker.slm import SlmRanker

log = logging.getLogger(__name__)
AUTO = "auto"
VECTOR_MODES = ("mixlm", "cascade")  # modes that need the MixLM adapter
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def models_root(settings: Settings) -> Path:
    return Path(settings.data_dir) / "models"


def _name_dir(name: str, settings: Settings) -> Path:
    if not _NAME.match(name):
        raise ModelLoadError(f"bad ranker name {name!r}: letters, digits, '.', '_' and '-' only")
    return models_root(settings) / name


def versions(name: str, settings: Settings) -> list[str]:
    """Complete versions of ``name``, oldest first (version names sort by time)."""
    folder = _name_dir(name, settings)
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if (p / CONFIG_FILE).exists() and not p.name.endswith(".partial"))


def latest_version_dir(name: str = "default", settings: Settings | None = None) -> Path | None:
    settings = settings or get_settings()
    found = versions(name, settings)
    return _name_dir(name, settings) / found[-1] if found else None


def new_version_dir(name: str, settings: Settings) -> Path:
    """A fresh, time-ordered version folder path (not created; ``write_artifact`` renames into it)."""
    folder = _name_dir(name, settings)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    candidate, n = folder / stamp, 1
    while candidate.exists():
        candidate, n = folder / f"{stamp}-{n}", n + 1
    return candidate


def load_ranker(name: str = "default", settings: Settings | None = None, device: str | None = None,
                dtype: str | None = None, mode: str | None = None) -> SlmRanker | MixLmRanker | CascadeRanker:
    """The newest version of ``name``; device/dtype/mode default to the settings' ranker fields.

    ``mode="mixlm"`` wraps the text ranker with the vector adapter stored in ``<version>/mixlm/`` (a
    version without one serves its text ranker, with a warning; the response names the variant);
    ``mode="cascade"`` re-scores that ranker's top ``ranker_cascade_depth`` with the text ranker.
    """
    settings = settings or get_settings()
    directory = latest_version_dir(name, settings)
    if directory is None:
        raise ModelLoadError(f"no trained ranker {name!r} under {models_root(settings)}; run `semstream train all`")
    device = device or settings.ranker_device
    mode, dtype = mode or settings.ranker_mode, resolved_dtype(dtype or settings.ranker_dtype, device)
    base = load_artifact(
        directory,
        device=device,
        dtype="float32" if dtype == INT8 else dtype,
        mode="prefix-shared" if mode in VECTOR_MODES else mode,
        batch_size=settings.ranker_batch_size,
    )
    ranker = _with_mixlm(base, directory, name) if mode in VECTOR_MODES else base
    if mode == "cascade" and isinstance(ranker, MixLmRanker):
        ranker = CascadeRanker(ranker, base, settings.ranker_cascade_depth)
    if dtype == INT8:
        ranker = quantize_ranker(ranker)
        if settings.ranker_compile:
            log.warning("ranker_compile with int8 weights measured slower than int8 alone; compiling anyway")
    return compile_ranker(ranker, *warm_up_inputs(ranker)) if settings.ranker_compile else ranker


def resolved_dtype(dtype: str, device: str) -> str:
    """``auto`` is int8 on the CPU (``benchmarks/ranking_throughput.py`` measures what int8 costs in NDCG)
    and float32 on an accelerator; any other value stands."""
    if dtype != AUTO:
        return dtype
    return INT8 if str(device).startswith("cpu") else "float32"


def _with_mixlm(base: SlmRanker, directory: Path, name: str) -> SlmRanker | MixLmRanker:
    if not (directory / MIXLM_DIR).is_dir():  # a version trained before MixLM: serve its text ranker
        log.warning("ranker %s/%s has no MixLM adapter; serving its %s text ranker instead", name, directory.name,
                    base.variant)
        return base
    return MixLmRanker.load(directory / MIXLM_DIR, base)


def ensure_default_ranker(settings: Settings | None = None, progress: bool = True, profile: str = "quick") -> Path:
    """The newest ``default`` ranker folder, training ``profile`` first if there is none."""
    settings = settings or get_settings()
    existing = latest_version_dir("default", settings)
    if existing is not None:
        return existing
    from semstream.models.training.pipeline import run

    report = run("all", settings, profile, progress=progress, name="default")
    return Path(report["stages"]["student"]["result"]["artifact"])
