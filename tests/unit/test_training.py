"""Training pieces: batch plans, losses, resumable checkpoints, data conversion."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from semstream.models.data.judged import JudgedPair
from semstream.models.engagement.schema import EngagementEvent
from semstream.models.judge.schema import JudgeQuery
from semstream.models.qu.service import QueryUnderstanding
from semstream.models.training.convert import (
    ALL_ACTIONS, engagement_examples, hints_of, qu_hint_source, relevance_examples,
)
from semstream.models.training.examples import by_group, load_examples, save_examples
from semstream.models.training.losses import bernoulli_kl, distillation_loss, masked_bce, pairwise_ranknet
from semstream.models.training.trainer import plan_batches
from semstream.schemas import EntityKind


def _pairs() -> list[JudgedPair]:
    q1 = JudgeQuery(text="senior python engineer berlin", role="python engineer", seniority="senior", location="Berlin")
    q2 = JudgeQuery(text="icu nurse", role="nurse", skills=["icu"])
    out = []
    for q, kind in ((q1, EntityKind.JOB), (q2, EntityKind.PROFILE)):
        for i, grade in enumerate([4, 2, 0]):
            out.append(JudgedPair(kind=kind, query=q, item_id=f"{q.text}-{i}", payload={"title": f"t{i}"},
                                  grade=grade, p_yes=[0.02, 0.15, 0.5, 0.8, 0.97][grade]))
    return out


def test_plan_keeps_query_groups_together_and_is_deterministic() -> None:
    examples = relevance_examples(_pairs() * 3, hint_rate=1.0, seed=0)
    plan = plan_batches(examples, queries_per_batch=1, items_per_query=4, epochs=2, seed=5)
    assert plan == plan_batches(examples, 1, 4, 2, 5)
    assert sorted(i for batch in plan for i in batch) == sorted(list(range(len(examples))) * 2)
    for batch in plan:
        assert len({examples[i].group for i in batch}) == 1 and len(batch) <= 4


def test_length_aware_plan_pads_less_and_still_covers_every_example_once_per_epoch() -> None:
    examples = relevance_examples(_pairs() * 8, hint_rate=0.0, seed=0)
    groups = sorted({ex.group for ex in examples})
    lengths = [10 if groups.index(ex.group) % 2 else 150 for ex in examples]  # short and long queries alternate

    def padded(plan: list[list[int]]) -> int:
        return sum(max(lengths[i] for i in batch) * len(batch) for batch in plan)

    plain = plan_batches(examples, queries_per_batch=2, items_per_query=3, epochs=2, seed=1)
    aware = plan_batches(examples, 2, 3, 2, 1, lengths=lengths)
    assert sorted(i for batch in aware for i in batch) == sorted(list(range(len(examples))) * 2)
    assert all(len({examples[i].group for i in batch}) <= 2 for batch in aware)
    assert padded(aware) == sum(lengths) * 2 < padded(plain)
    assert aware == plan_batches(examples, 2, 3, 2, 1, lengths=lengths)


def test_autocast_choice_follows_the_cpu_flags(tmp_path: Path) -> None:
    from semstream.models.training.exceptions import TrainingError
    from semstream.models.training.precision import autocast_dtype

    with_bf16, without = tmp_path / "bf16", tmp_path / "plain"
    with_bf16.write_text("flags\t\t: fpu avx512f avx512_bf16\n")
    without.write_text("flags\t\t: fpu avx2\n")
    assert autocast_dtype("auto", cpuinfo=with_bf16) is torch.bfloat16
    assert autocast_dtype("auto", cpuinfo=without) is None
    assert autocast_dtype("auto", cpuinfo=tmp_path / "missing") is None
    assert autocast_dtype("float32", cpuinfo=with_bf16) is None and autocast_dtype("bfloat16") is torch.bfloat16
    with pytest.raises(TrainingError, match="train_autocast"):
        autocast_dtype("fp8")


def test_relevance_examples_carry_grades_positions_and_hints() -> None:
    examples = relevance_examples(_pairs(), hint_rate=1.0, seed=0)
    assert [ex.position for ex in examples] == [0, 1, 2, 0, 1, 2]
    assert [ex.grade for ex in examples[:3]] == [4, 2, 0] and examples[0].targets == [0.97]
    assert examples[0].query.hints == ["role: python engineer", "seniority: senior", "location: Berlin"]
    assert examples[3].query.hints == ["role: nurse", "skills: icu"]
    assert all(not ex.query.hints for ex in relevance_examples(_pairs(), hint_rate=0.0, seed=0))
    assert hints_of(EntityKind.JOB, JudgeQuery(text="x")) == []


def test_query_understanding_hints_are_what_serving_sends() -> None:
    qu = QueryUnderstanding.load()
    pairs = _pairs()
    examples = relevance_examples(pairs, hint_rate=1.0, seed=0, hints=qu_hint_source(qu))
    served = qu.understand(pairs[0].query.text, pairs[0].kind)[2]
    assert served and examples[0].query.hints == served
    assert any(h.startswith("role: ") for h in served)


def test_engagement_examples_rates_and_masks() -> None:
    pairs = _pairs()[:2]
    events = []
    for s in range(4):
        for pos, pair in enumerate(pairs):
            events.append(EngagementEvent(kind=EntityKind.JOB, query_text=pair.query.text, searcher_id=f"s{s}",
                                          item_id=pair.item_id, position=pos, action="impression", ts=1.0))
    events.append(EngagementEvent(kind=EntityKind.JOB, query_text=pairs[0].query.text, searcher_id="s0",
                                  item_id=pairs[0].item_id, position=0, action="click", ts=2.0))
    examples = {ex.item.id: ex for ex in engagement_examples(events, pairs, 0.0, 0)}
    top = examples[pairs[0].item_id]
    assert top.targets[ALL_ACTIONS.index("click")] == 0.25 and top.targets[ALL_ACTIONS.index("apply")] == 0.0
    assert top.mask[ALL_ACTIONS.index("apply")] == 1.0  # 4 impressions: enough for a sparse action
    assert top.mask[ALL_ACTIONS.index("connect")] == 0.0  # a people action on a job search
    assert examples[pairs[1].item_id].position == 1


def test_examples_round_trip(tmp_path: Path) -> None:
    examples = relevance_examples(_pairs(), 1.0, 0)
    assert load_examples(save_examples(examples, tmp_path / "x.jsonl")) == examples
    assert list(by_group(examples).values()) == [[0, 1, 2], [3, 4, 5]]


def test_masked_bce_ignores_unobserved_entries() -> None:
    z = torch.tensor([[0.0, 5.0], [0.0, -5.0]])
    t = torch.tensor([[0.5, 0.0], [0.5, 1.0]])
    masked = masked_bce(z, t, torch.tensor([[1.0, 0.0], [1.0, 0.0]]))
    assert masked.item() == pytest.approx(torch.log(torch.tensor(2.0)).item(), abs=1e-6)
    assert masked_bce(z, t, torch.ones_like(z)) > masked


def test_pairwise_term_prefers_the_right_order_within_a_query_only() -> None:
    targets, groups = torch.tensor([0.9, 0.1, 0.9, 0.1]), torch.tensor([0, 0, 1, 1])
    right = pairwise_ranknet(torch.tensor([3.0, -3.0, 3.0, -3.0]), targets, groups)
    wrong = pairwise_ranknet(torch.tensor([-3.0, 3.0, -3.0, 3.0]), targets, groups)
    assert right < 0.01 < 5 < wrong
    # across groups nothing is compared: group 0 all low, group 1 all high gives zero loss
    assert pairwise_ranknet(torch.tensor([0.0, 0.0]), torch.tensor([0.9, 0.1]), torch.tensor([0, 1])) == 0


def test_distillation_optimum_is_each_teacher_on_its_head() -> None:
    rel, eng = torch.tensor([0.8]), torch.tensor([[0.3, 0.6]])
    z = torch.zeros(1, 3, requires_grad=True)
    opt = torch.optim.SGD([z], lr=2.0)
    for _ in range(400):
        opt.zero_grad()
        distillation_loss(z, rel, eng, torch.ones(1, 2), alpha=0.7).backward()
        opt.step()
    assert torch.allclose(torch.sigmoid(z.detach()), torch.tensor([[0.8, 0.3, 0.6]]), atol=1e-3)
    assert bernoulli_kl(torch.tensor(0.3), torch.tensor(0.3)).item() == pytest.approx(0.0, abs=1e-7)


class _Crash(RuntimeError):
    pass


def test_interrupted_training_resumes_from_its_checkpoint(tmp_path: Path) -> None:
    from semstream.models.embedder import bundled_minilm_path
    from semstream.models.ranker.prompt import PromptEncoder, PromptTemplate
    from semstream.models.training.teachers import init_scorer
    from semstream.models.training.trainer import CHECKPOINT, encode_all, train

    examples = relevance_examples(_pairs() * 4, 1.0, 0)
    plan = plan_batches(examples, 1, 3, epochs=1, seed=0)
    targets = torch.tensor([ex.targets for ex in examples])
    calls: list[int] = []

    def loss_fn(z: torch.Tensor, idx: list[int]) -> torch.Tensor:
        calls.append(len(calls))
        if crash and len(calls) == 6:
            raise _Crash
        return torch.nn.functional.binary_cross_entropy_with_logits(z[:, 0], targets[idx, 0])

    def run() -> dict:
        scorer, tok = init_scorer(bundled_minilm_path(), 1, layers=1)
        rows = encode_all(PromptEncoder(tok, PromptTemplate(max_query_tokens=16), 48), examples)
        return train(scorer, rows, plan, loss_fn, lr=1e-4, head_lr=1e-3, ckpt_dir=tmp_path,
                     checkpoint_every=4, desc="t", progress=False)

    crash = True
    with pytest.raises(_Crash):
        run()
    assert (tmp_path / CHECKPOINT).exists()
    crash, calls[:] = False, []
    stats = run()
    assert stats["resumed_at"] == 4 and len(calls) == len(plan) - 4 and stats["steps"] == len(plan)


def test_train_command_rejects_an_unknown_profile_by_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from semstream.cli import app
    from semstream.config import get_settings

    monkeypatch.setenv("SEMSTREAM_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["train", "all", "--profile", "huge"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1 and "unknown training profile 'huge'" in result.output
    assert not (tmp_path / "training").exists()


def test_position_propensity_debiases_rates_of_low_slots() -> None:
    from semstream.models.training.convert import position_propensity

    pairs = _pairs()[:2]
    events = []
    for s in range(10):
        for pos, pair in enumerate(pairs):
            events.append(EngagementEvent(kind=EntityKind.JOB, query_text=pair.query.text, searcher_id=f"s{s}",
                                          item_id=pair.item_id, position=pos, action="impression", ts=1.0))
        if s < 4:  # the top slot draws 4 clicks in 10, the second 2 in 10
            events.append(EngagementEvent(kind=EntityKind.JOB, query_text=pairs[0].query.text, searcher_id=f"s{s}",
                                          item_id=pairs[0].item_id, position=0, action="click", ts=2.0))
        if s < 2:
            events.append(EngagementEvent(kind=EntityKind.JOB, query_text=pairs[1].query.text, searcher_id=f"s{s}",
                                          item_id=pairs[1].item_id, position=1, action="click", ts=2.0))
    propensity = position_propensity(events)
    assert propensity(0) == 1.0 and propensity(1) == pytest.approx(0.5) and propensity(7) == 0.05
    examples = {ex.item.id: ex for ex in engagement_examples(events, pairs, 0.0, 0)}
    click = ALL_ACTIONS.index("click")
    assert examples[pairs[0].item_id].targets[click] == pytest.approx(0.4)
    assert examples[pairs[1].item_id].targets[click] == pytest.approx(0.4)  # 0.2 raw, seen half as often


def test_bf16_autocast_training_updates_float32_weights_with_finite_loss(tmp_path: Path) -> None:
    from semstream.models.embedder import bundled_minilm_path
    from semstream.models.ranker.prompt import PromptEncoder, PromptTemplate
    from semstream.models.training.teachers import init_scorer
    from semstream.models.training.trainer import encode_all, train

    examples = relevance_examples(_pairs() * 2, 0.0, 0)
    targets = torch.tensor([ex.targets for ex in examples])
    scorer, tok = init_scorer(bundled_minilm_path(), 1, layers=1)
    before = scorer.head_weight.detach().clone()
    rows = encode_all(PromptEncoder(tok, PromptTemplate(max_query_tokens=16), 48), examples)
    plan = plan_batches(examples, 1, 3, epochs=2, seed=0, lengths=[len(r) for r in rows])

    def loss_fn(z: torch.Tensor, idx: list[int]) -> torch.Tensor:
        assert z.dtype == torch.float32  # the loss always sees float32 logits
        return torch.nn.functional.binary_cross_entropy_with_logits(z[:, 0], targets[idx, 0])

    stats = train(scorer, rows, plan, loss_fn, lr=1e-4, head_lr=1e-2, ckpt_dir=tmp_path, checkpoint_every=100,
                  desc="t", progress=False, autocast=torch.bfloat16)
    assert scorer.head_weight.dtype == torch.float32 and not torch.equal(scorer.head_weight, before)
    assert all(torch.isfinite(torch.tensor([stats["loss_first"], stats["loss_last"]])))
