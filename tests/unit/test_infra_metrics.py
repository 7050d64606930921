"""The Grafana dashboard and infra/METRICS.md against each other and against the metrics the code
registers (ray.util.metrics / ray.serve.metrics)."""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from semstream.deployments.metrics import SERVING_METRICS

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
CODE_FOLDERS = ("semstream", "topics", "actors", "deployments", "models")
SERIES = re.compile(r"\bray_(?:semstream|serve)_[a-z0-9_]+")
HISTOGRAM_SUFFIXES = ("_bucket", "_count", "_sum")
METRIC_CLASSES = {"Counter": "counter", "Gauge": "gauge", "Histogram": "histogram"}


@dataclass(frozen=True)
class Row:
    code_name: str
    series: str
    type: str
    tags: str
    meaning: str
    status: str

    def tag_keys(self) -> set[str]:
        return set(re.findall(r"`([a-z_]+)`", self.tags))

    def boundaries(self) -> tuple[float, ...]:
        found = re.search(r"boundaries ([\d., ]+)", self.meaning)
        return tuple(float(b) for b in found.group(1).rstrip(". ").split(", ")) if found else ()


@dataclass(frozen=True)
class Registered:
    kind: str
    tags: tuple[str, ...]
    boundaries: tuple[float, ...]


def metric_rows() -> dict[str, Row]:
    """The metrics tables of METRICS.md, keyed by Prometheus series."""
    rows: dict[str, Row] = {}
    for line in (INFRA / "METRICS.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 7 and cells[0].startswith("`"):
            row = Row(cells[0].strip("`"), cells[1].strip("`"), cells[2], cells[3], cells[5], cells[6])
            rows[row.series] = row
    return rows


def dashboard() -> dict:
    return json.loads((INFRA / "grafana" / "semstream-dashboard.json").read_text())


def expressions() -> list[str]:
    return [t["expr"] for p in dashboard()["panels"] for t in p.get("targets", [])]


def base_series(name: str, rows: dict[str, Row]) -> str:
    if name in rows:
        return name
    for suffix in HISTOGRAM_SUFFIXES:
        if name.endswith(suffix) and name[: -len(suffix)] in rows:
            return name[: -len(suffix)]
    return name


def _literal(node: ast.expr, constants: dict[str, ast.expr]) -> object:
    return ast.literal_eval(constants.get(node.id, node) if isinstance(node, ast.Name) else node)


def _registrations_in(path: Path) -> dict[str, Registered]:
    """``Counter|Gauge|Histogram("semstream_...", tag_keys=..., boundaries=...)`` calls in one module."""
    tree = ast.parse(path.read_text())
    constants = {t.id: n.value for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
    found: dict[str, Registered] = {}
    for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
        cls = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
        first = call.args[0] if call.args else None
        if cls in METRIC_CLASSES and isinstance(first, ast.Constant) and str(first.value).startswith("semstream_"):
            keywords = {k.arg: _literal(k.value, constants) for k in call.keywords}
            found[first.value] = Registered(METRIC_CLASSES[cls], tuple(keywords.get("tag_keys", ())),
                                            tuple(float(b) for b in keywords.get("boundaries", ())))
    return found


def code_registrations() -> dict[str, Registered]:
    """Every semstream_* metric the code registers: literal registrations and the serving table."""
    found = {s.name: Registered(s.kind, tuple(s.tags), tuple(float(b) for b in s.boundaries)) for s in SERVING_METRICS}
    for folder in CODE_FOLDERS:
        for path in (ROOT / folder).rglob("*.py"):
            for name, registered in _registrations_in(path).items():
                assert found.get(name, registered) == registered, f"{name} registered twice, differently"
                found[name] = registered
    return found


def test_the_metrics_doc_has_the_expected_tables() -> None:
    rows = metric_rows()
    assert len(rows) >= 14
    assert {r.type for r in rows.values()} <= {"counter", "gauge", "histogram"}
    assert {r.status for r in rows.values()} <= {"exported", "planned"}


def test_each_row_follows_rays_export_rule() -> None:
    for row in metric_rows().values():
        expected = f"ray_{row.code_name}"
        if row.type == "counter" and not row.code_name.endswith("_total"):
            expected += "_total"
        assert row.series == expected, f"{row.code_name} ({row.type}) exports as {expected}, not {row.series}"


def test_every_series_the_dashboard_queries_is_documented() -> None:
    rows = metric_rows()
    used = {base_series(n, rows) for e in expressions() for n in SERIES.findall(e)}
    assert used, "the dashboard queries no ray_* series"
    assert used <= set(rows), f"not in infra/METRICS.md: {sorted(used - set(rows))}"


def test_the_dashboard_covers_the_semstream_metrics() -> None:
    rows = metric_rows()
    used = {base_series(n, rows) for e in expressions() for n in SERIES.findall(e)}
    wanted = {"ingest_events_total", "consumer_lag", "freshness_seconds", "dead_letters_total", "index_documents",
              "stage_latency_ms", "ranker_batch_size", "rank_depth", "cache_hits_total", "cache_requests_total"}
    assert {f"ray_semstream_{w}" for w in wanted} <= used
    assert {"ray_serve_deployment_replica_healthy", "ray_serve_http_request_latency_ms"} <= used


def test_functions_fit_the_metric_types() -> None:
    """rate/increase only over counters and histogram buckets; quantiles only over histogram buckets."""
    rows = metric_rows()
    for expr in expressions():
        for fn, name in re.findall(r"\b(rate|increase)\((ray_[a-z0-9_]+)", expr):
            row = rows[base_series(name, rows)]
            assert row.type == "counter" or (row.type == "histogram" and name.endswith("_bucket")), f"{fn}({name})"
        for name in re.findall(r"histogram_quantile\([^,]+,\s*sum by \(le[^)]*\) \(rate\((ray_[a-z0-9_]+)", expr):
            assert rows[base_series(name, rows)].type == "histogram" and name.endswith("_bucket"), expr
        for name in SERIES.findall(expr):
            if rows[base_series(name, rows)].type == "gauge":
                assert f"rate({name}" not in expr and f"increase({name}" not in expr, expr


def test_grouping_labels_are_documented_tags() -> None:
    rows = metric_rows()
    builtin = {"le", "application", "deployment", "replica", "route"}
    for expr in expressions():
        names = {base_series(n, rows) for n in SERIES.findall(expr)}
        labels = {l.strip() for group in re.findall(r"by \(([^)]*)\)", expr) for l in group.split(",")}
        tags = {t.strip("` ") for n in names for t in rows[n].tags.split(",")}
        assert labels <= tags | builtin, f"{expr}: labels {labels - tags - builtin} are not tags"


def test_every_metric_registered_in_code_is_documented_with_its_type_tags_and_buckets() -> None:
    by_code_name = {r.code_name: r for r in metric_rows().values()}
    registered = code_registrations()
    assert len(registered) >= 9, "the semstream_* registrations were not found in the code"
    for name, reg in registered.items():
        assert name in by_code_name, f"{name} is registered in the code but missing from infra/METRICS.md"
        row = by_code_name[name]
        assert row.type == reg.kind, f"{name}: code {reg.kind}, doc {row.type}"
        assert row.tag_keys() == set(reg.tags), f"{name}: code tags {reg.tags}, doc {row.tags}"
        assert row.boundaries() == reg.boundaries, f"{name}: code buckets {reg.boundaries}, doc {row.boundaries()}"


def test_exported_rows_exist_in_the_code() -> None:
    registered = code_registrations()
    for row in metric_rows().values():
        if row.status == "exported" and row.code_name.startswith("semstream_"):
            assert row.code_name in registered, f"{row.code_name} marked exported but not registered"


@pytest.mark.parametrize("panel", [p for p in dashboard()["panels"] if p["type"] != "row"], ids=lambda p: p["title"])
def test_each_panel_is_well_formed(panel: dict) -> None:
    assert panel["targets"] and all(t["expr"] and t["refId"] for t in panel["targets"])
    assert len({t["refId"] for t in panel["targets"]}) == len(panel["targets"])
    assert panel["datasource"]["type"] == "prometheus"
    grid = panel["gridPos"]
    assert 0 <= grid["x"] and grid["x"] + grid["w"] <= 24 and grid["h"] > 0
    assert all(expr.count("(") == expr.count(")") for expr in (t["expr"] for t in panel["targets"]))


def test_panel_ids_are_unique_and_the_dashboard_is_provisionable() -> None:
    board = dashboard()
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids))
    assert board["uid"] == "semstream" and board["title"] and board["schemaVersion"] >= 30
