"""A tiny end-to-end run: teachers and a distilled student on a few hundred synthetic judged pairs."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from semstream.models.embedder import bundled_minilm_path
from semstream.models.ranker.protocol import RankItem, RankQuery
from semstream.models.training.examples import Example
from semstream.schemas import EntityKind

ROLES = {
    "python developer": ["python", "django"], "registered nurse": ["icu", "patient care"],
    "line chef": ["cooking", "kitchen"], "accountant": ["excel", "ledger"],
    "truck driver": ["cdl", "logistics"], "data scientist": ["sql", "statistics"],
    "electrician": ["wiring", "safety"], "teacher": ["classroom", "curriculum"],
}
CITIES = ["Berlin", "Leeds", "Austin", "Pune"]
P_YES = {0: 0.02, 2: 0.5, 4: 0.97}


def synthetic_pairs(n_queries: int, per_query: int, seed: int) -> list[Example]:
    """Queries 'role in city'; grade 4 = role and city, 2 = role only, 0 = another role."""
    rng = random.Random(seed)
    out = []
    for q in range(n_queries):
        role, city = rng.choice(list(ROLES)), rng.choice(CITIES)
        query = RankQuery(kind=EntityKind.JOB, text=f"{role} in {city}")
        for pos in range(per_query):
            grade = rng.choice([4, 2, 0, 0])
            item_role = role if grade else rng.choice([r for r in ROLES if r != role])
            item_city = city if grade == 4 else rng.choice([c for c in CITIES if c != city])
            payload = {"title": item_role.title(), "location": item_city, "skills": ROLES[item_role],
                       "description": f"We hire a {item_role} for our team in {item_city}. Good pay."}
            out.append(Example(group=f"q{seed}-{q}", query=query, item=RankItem(id=f"{q}-{pos}", payload=payload),
                               targets=[P_YES[grade]], mask=[1.0], position=pos, grade=grade))
    return out


def engagement_from(pairs: list[Example], seed: int) -> list[Example]:
    """Click rate follows relevance; apply is sparse (observed on a third of the rows)."""
    rng = random.Random(seed)
    return [Example(group=ex.group, query=ex.query, item=ex.item, position=ex.position,
                    targets=[min(1.0, 0.6 * ex.targets[0] + 0.05), 0.3 * ex.targets[0]],
                    mask=[1.0, float(rng.random() < 0.33)]) for ex in pairs]


@pytest.mark.slow
def test_tiny_pipeline_beats_the_untrained_model(tmp_path: Path) -> None:
    from semstream.models.training.distill import predict, train_student
    from semstream.models.training.evaluate import mean_ndcg
    from semstream.models.training.profiles import get_profile
    from semstream.models.training.teachers import init_scorer, train_engagement_teacher, train_relevance_teacher

    profile = get_profile("tiny").model_copy(update={"teacher_epochs": 2, "student_epochs": 2})
    train, test = synthetic_pairs(30, 8, seed=1), synthetic_pairs(12, 8, seed=2)
    base = bundled_minilm_path()
    untrained, tok = init_scorer(base, 1, profile.teacher_layers)
    before = mean_ndcg(test, predict(untrained, tok, profile, test)[:, 0])

    rel = train_relevance_teacher(train, base, profile, tmp_path / "rel", progress=False)
    assert rel["loss_last"] < rel["loss_first"]
    eng = train_engagement_teacher(engagement_from(train, 3), tmp_path / "rel", ["click", "apply"], profile,
                                   tmp_path / "eng", progress=False)
    assert eng["steps"] > 0
    mask = np.ones((len(train), 2))
    student = train_student(train, tmp_path / "rel", tmp_path / "eng", ["click", "apply"], mask, profile,
                            tmp_path / "student", progress=False)
    assert student["layers"] == 1 and student["objectives"] == ["relevance", "click", "apply"]

    from semstream.models.ranker.artifacts import load_scorer

    teacher, tok = load_scorer(tmp_path / "rel" / "model", 1)
    pupil, tok = load_scorer(tmp_path / "student" / "model", 3)
    after_teacher = mean_ndcg(test, predict(teacher, tok, profile, test)[:, 0])
    after_student = mean_ndcg(test, predict(pupil, tok, profile, test)[:, 0])
    print(f"ndcg@10 untrained={before:.3f} teacher={after_teacher:.3f} student={after_student:.3f}")
    assert after_teacher > before + 0.05
    assert after_student > before + 0.05


@pytest.mark.slow
def test_fresh_clone_pipeline_builds_a_loadable_default_ranker(tmp_path: Path) -> None:
    """No public data folder: the vendored sample (or built-in set) feeds every stage of the tiny profile."""
    from semstream.config import load_settings
    from semstream.models.ranker.registry import ensure_default_ranker, load_ranker

    settings = load_settings(data_dir=tmp_path / "data", shared_data_dir=tmp_path / "absent")
    path = ensure_default_ranker(settings, progress=False, profile="tiny")
    ranker = load_ranker("default", settings, mode="prefix-shared", dtype="float32")
    assert ranker.version == path.name and "relevance" in ranker.calibrators
    report = (path / "eval.json").read_text()
    assert "relevance_teacher" in report and "student_calibrated" in report
    scores = ranker.score(RankQuery(kind=EntityKind.JOB, text="backend engineer"),
                          [RankItem(id="a", payload={"title": "Backend Engineer"}), RankItem(id="b", payload={"title": "Cook"})])
    assert len(scores) == 2 and all(0.0 <= s <= 1.0 for s in scores)
    assert "click_auroc" in report and "mixlm" in report
    assert json.loads(report)["mixlm"]["extra_pairs"] > 0
    served = load_ranker("default", settings)
    assert served.version == f"{path.name}+mixlm" and served.variant == "mixlm+int8"
    vector = [1.0 / 384**0.5] * 384
    opposite = [-v for v in vector]
    items = [RankItem(id="a", vector=vector, facts_vector=vector), RankItem(id="b", vector=opposite, facts_vector=opposite)]
    mixlm = load_ranker("default", settings, mode="mixlm", dtype="float32")
    mixed = mixlm.score(RankQuery(kind=EntityKind.JOB, text="backend engineer", vector=vector), items)
    assert mixlm.variant == "mixlm" and len(mixed) == 2 and all(0.0 <= s <= 1.0 for s in mixed)
    with pytest.raises(ValueError, match="facts vectors"):
        mixlm.score(RankQuery(kind=EntityKind.JOB, text="backend engineer", vector=vector),
                    [RankItem(id="a", vector=vector)])
    cascade = load_ranker("default", settings, mode="cascade", dtype="int8")
    both = [RankItem(id="a", payload={"title": "Backend Engineer"}, vector=vector, facts_vector=vector),
            RankItem(id="b", payload={"title": "Cook"}, vector=opposite, facts_vector=opposite)]
    staged = cascade.score(RankQuery(kind=EntityKind.JOB, text="backend engineer", vector=vector), both)
    assert cascade.variant == "cascade@16+int8" and len(staged) == 2 and all(0.0 <= s <= 1.0 for s in staged)
    teacher = load_ranker("relevance-teacher", settings)
    assert teacher.objectives == ["relevance"]
