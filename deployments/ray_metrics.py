"""The Ray side of the serving metrics: ``ray.serve.metrics`` objects built from ``SERVING_METRICS``.

Only the Serve wrappers create this sink. Metrics made in a replica carry Serve's
``application``/``deployment``/``replica`` tags, and Ray exports them as ``ray_<name>``.
"""

from __future__ import annotations

from typing import Any

from ray.serve import metrics as serve_metrics

from semstream.deployments.metrics import SERVING_METRICS, MetricSpec, Tags

_CLASSES = {"counter": serve_metrics.Counter, "gauge": serve_metrics.Gauge, "histogram": serve_metrics.Histogram}


def make_metric(spec: MetricSpec) -> Any:
    cls = _CLASSES[spec.kind]
    options: dict[str, Any] = {"description": spec.description, "tag_keys": spec.tags}
    if spec.kind == "histogram":
        options["boundaries"] = list(spec.boundaries)
    return cls(spec.name, **options)


class RayMetricsSink:
    """A ``MetricsSink`` over Ray metrics; ``names`` limits which ones this replica registers."""

    def __init__(self, names: set[str] | None = None) -> None:
        self.metrics = {s.name: make_metric(s) for s in SERVING_METRICS if names is None or s.name in names}

    def inc(self, name: str, value: float = 1.0, tags: Tags | None = None) -> None:
        self.metrics[name].inc(value, tags=tags or None)

    def set(self, name: str, value: float, tags: Tags | None = None) -> None:
        self.metrics[name].set(value, tags=tags or None)

    def observe(self, name: str, value: float, tags: Tags | None = None) -> None:
        self.metrics[name].observe(value, tags=tags or None)
