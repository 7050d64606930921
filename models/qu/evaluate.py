"""Offline evaluation of query understanding: per-facet accuracy on the case table, and
title-normalisation accuracy@1/@5 on MELO and the JobBERT title pairs."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from semstream.config import Settings
from semstream.models.qu.exceptions import QUDataError
from semstream.models.qu.titles import TitleNormaliser
from semstream.schemas import EntityKind
from semstream.shared_data import esco_dir

# Facets compared by exact match (lists compare as sets, strings case-insensitively).
EVAL_FACETS = ("occupation", "seniority", "city", "country", "remote", "posted_within_days", "employment_type",
               "company", "skills", "excluded", "salary_hint", "min_years_experience", "hard_filter_fields")


def title_normalisation_accuracy(source: Path, normaliser: TitleNormaliser | None = None, limit: int | None = None) -> dict[str, Any]:
    """acc@1 / acc@5 of ``normaliser`` on a MELO folder (queries/corpus/annotations) or a ``text,label`` CSV."""
    normaliser = normaliser or TitleNormaliser.load(None)
    pairs = _melo_pairs(source) if Path(source).is_dir() else _csv_pairs(source)
    pairs = pairs[:limit] if limit else pairs
    hits1 = hits5 = 0
    for text, gold in pairs:
        predicted = [label.casefold() for label, _ in normaliser.normalise(text, k=5)]
        hits1 += bool(predicted[:1] and predicted[0] in gold)
        hits5 += any(p in gold for p in predicted)
    n = len(pairs)
    return {"source": str(source), "n": n, "acc@1": round(hits1 / n, 4) if n else 0.0, "acc@5": round(hits5 / n, 4) if n else 0.0}


def _melo_pairs(folder: Path) -> list[tuple[str, set[str]]]:
    """MELO: each query's relevant corpus elements are the surface forms of one ESCO concept."""
    try:
        queries = dict(_tsv(folder / "queries.tsv"))
        corpus = dict(_tsv(folder / "corpus_elements.tsv"))
        gold: dict[str, set[str]] = defaultdict(set)
        for qid, _, doc, rel in (r for r in _tsv(folder / "annotations.tsv") if len(r) == 4):
            if rel.strip() != "0":
                gold[qid].add(corpus[doc].strip().casefold())
    except (KeyError, ValueError) as e:
        raise QUDataError(f"malformed MELO folder {folder}: {e}") from e
    return [(queries[q], labels) for q, labels in gold.items() if q in queries]


def _tsv(path: Path) -> list[list[str]]:
    try:
        with path.open(encoding="utf-8", newline="") as f:
            return [row for row in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE) if row]
    except OSError as e:
        raise QUDataError(f"cannot read {path}: {e}") from e


def _csv_pairs(path: Path) -> list[tuple[str, set[str]]]:
    try:
        with Path(path).open(encoding="utf-8", newline="") as f:
            return [(row["text"], {row["label"].strip().casefold()}) for row in csv.DictReader(f)]
    except (OSError, KeyError, csv.Error) as e:
        raise QUDataError(f"cannot read title pairs {path}: {e}") from e


def load_cases(path: Path) -> list[dict[str, Any]]:
    """The case table: a JSON list of ``{"kind", "query", "expect": {facet: value}}``."""
    try:
        cases = json.loads(Path(path).read_text(encoding="utf-8"))
        return [{"kind": EntityKind(c["kind"]), "query": c["query"], "expect": dict(c.get("expect", {}))} for c in cases]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise QUDataError(f"cannot read QU cases {path}: {e}") from e


def observed_facets(parsed: Any, flt: Any) -> dict[str, Any]:
    """The facet values a case is compared on, in the case table's vocabulary."""
    fields = [c.field for c in flt.must] + ["!" + c.field for c in flt.must_not]
    return {
        "occupation": parsed.occupation, "seniority": parsed.seniority, "city": parsed.city,
        "country": parsed.country, "remote": parsed.remote, "posted_within_days": parsed.posted_within_days,
        "employment_type": parsed.employment_type, "company": parsed.company, "skills": parsed.skills,
        "excluded": parsed.excluded, "salary_hint": parsed.salary_hint,
        "min_years_experience": parsed.min_years_experience, "hard_filter_fields": fields,
    }


def _same(expected: Any, got: Any) -> bool:
    if isinstance(expected, list) or isinstance(got, list):
        return sorted(map(_norm, expected or [])) == sorted(map(_norm, got or []))
    return _norm(expected) == _norm(got)


def _norm(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def run_qu_eval(cases_path: Path, settings: Settings, qu: Any = None) -> dict[str, Any]:
    """Exact-match accuracy per facet over the case table (a facet absent from ``expect`` must be
    empty; ``hard_filter_fields`` is checked only where given), plus CPU time per query."""
    import time

    from semstream.models.qu.service import QueryUnderstanding

    esco = esco_dir(settings.shared_data_dir)
    qu = qu or QueryUnderstanding.load(esco)
    correct: dict[str, int] = defaultdict(int)
    totals: dict[str, int] = defaultdict(int)
    failures, times, exact = [], [], 0
    for case in load_cases(cases_path):
        start = time.process_time()
        parsed, flt, _ = qu.understand(case["query"], case["kind"])
        times.append((time.process_time() - start) * 1000)
        got, ok_all = observed_facets(parsed, flt), True
        for facet in EVAL_FACETS:
            if facet == "hard_filter_fields" and facet not in case["expect"]:
                continue
            totals[facet] += 1
            if _same(case["expect"].get(facet), got[facet]):
                correct[facet] += 1
            else:
                ok_all = False
                failures.append({"query": case["query"], "facet": facet, "expected": case["expect"].get(facet), "got": got[facet]})
        exact += ok_all
    times.sort()
    n = len(times)
    return {
        "n": n,
        "esco": esco is not None,
        "accuracy": {f: round(correct[f] / totals[f], 4) for f in EVAL_FACETS if totals[f]},
        "all_facets_exact": round(exact / n, 4) if n else 0.0,
        "cpu_ms_mean": round(sum(times) / n, 3) if n else 0.0,
        "cpu_ms_max": round(times[-1], 3) if n else 0.0,
        "failures": failures,
    }
