"""Ranking efficiency ladder: the same queries x N=250 real candidates through five ranker variants.

(a) naive    full text, one pair per forward, Hugging Face defaults (vocabulary logits at every position)
(b) cross    sentence_transformers.CrossEncoder on the same weights (num_labels=1; its head is
             untrained, so its NDCG is not comparable - it is here for speed)
(c) prefix   the SLM ranker, prefix-shared (query prefix once, item texts batched against its KV)
(d) summary  (c) on the ingest-time extractive summaries, on a pruned copy of the model, before
             (``_raw``) and after recovery distillation from the unpruned model on the training queries
(e) mixlm    the item is its retrieval vector and its facts vector (each with its product with the
             query's) as soft tokens + a special token; no item text (``--no-facts``: the retrieval vector only)
             (``e_mixlm``: adapter fitted here on the judged training queries; ``e_mixlm_served``: the
             adapter training saved with the model, as served)
(int8)       ``*_int8``: (c) and (e) with int8 dynamic-quantised linear layers (``ranker_dtype=int8``)
(compiled)   ``*_compiled``: (e) served with torch.compile'd bodies (``ranker_compile=true``)
(served)     ``*_served``: the score the Ranking deployment returns - calibrated and fused with the
             retrieval cosine (each candidate carries it, as retrieval hands it over); the others are raw
(f) cascade  the served MixLM over all N, then the served text ranker (c) over its top ``--cascade-depth``
             (``ranker_mode=cascade``): item text is read for those items only

Candidates: each evaluation query's judge-labelled items plus real items from other queries up to N.
NDCG@10 is computed on the judged items only. Slow variants run on the first ``--slow-queries``
queries; ratios and ``ndcg@10_shared`` are taken on those shared queries (identical for every
variant); ``ndcg@10`` of a fast variant covers all ``--queries``. MixLM's adapter is trained on the other
queries (disjoint from the evaluation queries).

    python benchmarks/ranking_throughput.py --json benchmarks/out/ranking_throughput.json  # the trained ranker in .semstream
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

Score = Callable[[Any, list], Sequence[float]]


def newest_pairs(explicit: str | None) -> Path:
    if explicit:
        return Path(explicit)
    found = sorted(Path(".semstream/cache/eval").glob("judged-job-*.jsonl"), key=lambda p: p.stat().st_mtime)
    if not found:
        raise SystemExit("no judged pairs: pass --pairs or run `semstream eval judged` first")
    return found[-1]


def split_queries(groups: dict, n_eval: int, seed: int) -> tuple[list[str], list[str]]:
    texts = sorted(groups)
    random.Random(seed).shuffle(texts)
    return texts[:n_eval], texts[n_eval:]


def candidate_lists(groups: dict, eval_texts: list[str], n: int, seed: int) -> dict[str, list[tuple[str, dict]]]:
    """Judged items first, then real items judged for other queries, up to ``n`` distinct ids."""
    pool = {p.item_id: p.payload for g in groups.values() for p in g}
    ids = sorted(pool)
    out = {}
    for text in eval_texts:
        chosen = {p.item_id: p.payload for p in groups[text]}
        for item_id in random.Random(f"{seed}:{text}").sample(ids, len(ids)):
            if len(chosen) >= n:
                break
            chosen.setdefault(item_id, pool[item_id])
        out[text] = list(chosen.items())
    return out


@dataclass
class Vectors:
    """Retrieval vectors (all-MiniLM-L6-v2): every item's stored one over its item text, every query's,
    and every item's facts vector (over its head and skills, float16 as ingest stores it)."""

    items: dict[str, np.ndarray]
    queries: dict[str, np.ndarray]
    facts: dict[str, np.ndarray]

    @property
    def dim(self) -> int:
        return len(next(iter(self.items.values())))


def item_vectors(groups: dict, cache_dir: Path) -> Vectors:
    """Every item's and query's retrieval vector and every item's facts vector (all cached)."""
    from semstream.models.embedder import TransformerEmbedder
    from semstream.models.eval.cache import embed_cached
    from semstream.models.facts import as_stored
    from semstream.models.item_text import item_facts, item_text

    pool = {p.item_id: (p.kind, p.payload) for g in groups.values() for p in g}
    ids, texts = sorted(pool), sorted(groups)
    embedder = TransformerEmbedder()
    vectors, _ = embed_cached(embedder, [item_text(*pool[i], 2000) for i in ids], cache_dir, "ranking-items")
    facts, _ = embed_cached(embedder, [item_facts(*pool[i]) for i in ids], cache_dir, "ranking-facts")
    queries, _ = embed_cached(embedder, texts, cache_dir, "ranking-queries")
    return Vectors(dict(zip(ids, vectors)), dict(zip(texts, queries)), dict(zip(ids, as_stored(facts))))


def with_summary(kind: Any, payload: dict) -> dict:
    """The payload the summary variant ranks on: the stored summary alone (computed if absent)."""
    from semstream.models.summary import SUMMARY_KEY, summarise

    return {"description": payload.get(SUMMARY_KEY) or summarise(kind, payload)}


# --- variants ----------------------------------------------------------------------------------
def naive_scorer(ranker: Any) -> Score:
    """One pair per forward through the causal LM's default forward (all-position vocab logits)."""
    import torch

    def score(query: Any, items: list) -> list[float]:
        out = []
        for ids in ranker.encoder.full(query, items):
            with torch.no_grad():
                res = ranker.scorer.lm(input_ids=torch.tensor([ids]), output_hidden_states=True)
                out.append(float(ranker.scorer.log_odds(res.hidden_states[-1][:, -1])[0, 0]))
        return out

    return score


def cross_encoder_scorer(model_dir: Path, max_length: int, batch_size: int) -> Score:
    from sentence_transformers import CrossEncoder
    from semstream.models.item_text import item_text

    model = CrossEncoder(str(model_dir), num_labels=1, max_length=max_length, device="cpu", local_files_only=True)

    def score(query: Any, items: list) -> list[float]:
        pairs = [(query.text, item_text(query.kind, it.payload, 600)) for it in items]
        return model.predict(pairs, batch_size=batch_size, show_progress_bar=False).tolist()

    return score


def slm_scorer(ranker: Any, mode: str) -> Score:
    return lambda query, items: ranker.raw_scores(query, items, mode=mode)[:, 0].tolist()


# --- measurement -------------------------------------------------------------------------------
def rank_inputs(kind: Any, text: str, cands: list, vectors: Vectors, summary: bool) -> tuple[Any, list]:
    """The query and its items as the Ranking deployment hands them over: payload, stored vector, retrieval cosine."""
    from semstream.models.ranker.protocol import RankItem, RankQuery

    query_vector = vectors.queries[text]
    items = [RankItem(id=i, payload=with_summary(kind, p) if summary else p, vector=vectors.items[i].tolist(),
                      facts_vector=vectors.facts[i].tolist(),
                      retrieval_score=float(np.dot(query_vector, vectors.items[i]))) for i, p in cands]
    return RankQuery(kind=kind, text=text, vector=query_vector.tolist()), items


def measure(score: Score, kind: Any, texts: list[str], cands: dict, vectors: Vectors, summary: bool) -> dict[str, Any]:
    """Per-query seconds for N candidates and every candidate's score."""
    seconds, scores = [], {}
    for text in texts:
        query, items = rank_inputs(kind, text, cands[text], vectors, summary)
        start = time.perf_counter()
        values = score(query, items)
        seconds.append(time.perf_counter() - start)
        scores[text] = dict(zip([it.id for it in items], map(float, values)))
    return {"seconds": seconds, "scores": scores}


def judged_scores(score: Score, kind: Any, groups: dict, texts: list[str], vectors: Vectors, summary: bool,
                  have: dict) -> dict[str, dict[str, float]]:
    """Scores of the judged items of every query (reusing timed scores where present)."""
    out = dict(have)
    for text in texts:
        if text not in out:
            out |= measure(score, kind, [text], {text: [(p.item_id, p.payload) for p in groups[text]]}, vectors,
                           summary)["scores"]
    return out


def ndcg(groups: dict, texts: list[str], scores: dict) -> float:
    from semstream.models.eval.judged import evaluate_rankers

    pairs = [p for t in texts for p in groups[t]]
    lookup = lambda query, items: [scores[query.text][i] for i, _ in items]  # noqa: E731
    return float(evaluate_rankers(pairs, {"v": lookup})["methods"]["v"]["ndcg@10"])


def summarise_run(seconds: list[float], n: int) -> dict[str, float]:
    arr = np.asarray(seconds)
    return {"queries": len(arr), "items_per_s": round(n * len(arr) / arr.sum(), 1),
            "p50_ms": round(float(np.percentile(arr, 50)) * 1e3, 1), "p99_ms": round(float(np.percentile(arr, 99)) * 1e3, 1)}


# --- models ------------------------------------------------------------------------------------
def load_text_ranker(data_dir: str | None, batch_size: int) -> tuple[Any, Path]:
    """The trained default ranker under ``data_dir`` (None: the untrained MiniLM backbone) and its weights folder."""
    from semstream.config import Settings
    from semstream.models.embedder import bundled_minilm_path
    from semstream.models.ranker.artifacts import MODEL_DIR, load_artifact
    from semstream.models.ranker.registry import latest_version_dir
    from semstream.models.ranker.slm import SlmRanker

    directory = latest_version_dir("default", Settings(data_dir=data_dir)) if data_dir else None
    if data_dir and directory is None:
        raise SystemExit(f"no trained default ranker under {data_dir}: run `semstream train all` there, "
                         "or pass --untrained to measure the bare backbone")
    if directory is None:
        path = bundled_minilm_path()
        return SlmRanker.from_pretrained(path, max_tokens=128, batch_size=batch_size), path
    return load_artifact(directory, batch_size=batch_size, mode="prefix-shared"), directory / MODEL_DIR


def pruned_copy(data_dir: str | None, batch_size: int, layers: int | None, mlp_keep: float) -> tuple[Any, dict]:
    from semstream.models.ranker.pruning import prune_scorer

    ranker, _ = load_text_ranker(data_dir, batch_size)
    return ranker, prune_scorer(ranker.scorer, layers, mlp_keep)


def served_mixlm(ranker: Any, model_dir: Path) -> Any:
    """The MixLM adapter saved beside the trained model (``<version>/mixlm/``), if there is one."""
    from semstream.models.ranker.mixlm import MIXLM_DIR, MixLmRanker

    folder = model_dir.parent / MIXLM_DIR
    return MixLmRanker.load(folder, ranker) if folder.is_dir() else None


def compiled_copy(ranker: Any) -> Any:
    """A copy with torch.compile'd bodies, warmed up like ``ranker_compile=true`` serves it."""
    import copy

    from semstream.models.ranker.compiled import compile_ranker, warm_up_inputs

    twin = copy.deepcopy(ranker)
    return compile_ranker(twin, *warm_up_inputs(twin))


def int8_copy(ranker: Any) -> Any:
    """A copy of a text or MixLM ranker with int8 linear layers (what ``ranker_dtype=int8`` serves)."""
    import copy

    from semstream.models.ranker.quantize import quantize_ranker

    return quantize_ranker(copy.deepcopy(ranker))


def _raw(ranker: Any) -> Score:
    return lambda q, items: ranker.raw_scores(q, items)[:, 0].tolist()


def recovered_copy(args: argparse.Namespace, teacher: Any, kind: Any, groups: dict, texts: list[str],
                   vectors: Vectors) -> tuple[Any, dict]:
    """A pruned copy distilled back towards the unpruned ranker on the training queries' summaries."""
    from semstream.models.ranker.pruning import recover

    pruned, info = pruned_copy(args.data_dir, args.batch_size, args.prune_layers, args.prune_mlp)
    start = time.perf_counter()
    inputs = [rank_inputs(kind, t, [(p.item_id, p.payload) for p in groups[t]], vectors, True) for t in texts]
    history = recover(pruned, teacher, inputs, epochs=args.recover_epochs, lr=args.recover_lr)
    return pruned, info | {"recovery_queries": len(texts), "recovery_epochs": args.recover_epochs,
                           "recovery_seconds": round(time.perf_counter() - start, 1),
                           "recovery_loss": [round(x, 4) for x in history]}


def train_mixlm_on(ranker: Any, kind: Any, groups: dict, texts: list[str], vectors: Vectors, args: argparse.Namespace) -> tuple[Any, dict]:
    """A MixLM adapter fitted to the text ranker's log-odds (and the judge grades) on ``texts``."""
    from semstream.models.ranker.mixlm import MixLmRanker
    from semstream.models.ranker.mixlm_train import train_mixlm

    mix = MixLmRanker.fresh(ranker, dim_in=vectors.dim, k=args.soft_tokens, mlp=args.mlp_adapter,
                            query_product=not args.item_vector_only, facts=not args.no_facts)
    start = time.perf_counter()
    groups_in = []
    for text in texts:
        query, items = rank_inputs(kind, text, [(p.item_id, p.payload) for p in groups[text]], vectors, False)
        teacher = ranker.log_odds(query, items, mode="prefix-shared")[:, 0]
        groups_in.append((query, items, teacher, np.array([p.grade / 4 for p in groups[text]])))
    teacher_s = time.perf_counter() - start
    history = train_mixlm(mix, groups_in, epochs=args.epochs, lr=args.lr, align_epochs=args.align_epochs,
                          body_lr=args.tune_body)
    return mix, {"train_queries": len(texts), "soft_tokens": args.soft_tokens,
                 "query_product": mix.adapter.query_product, "facts_vector": mix.adapter.facts, "teacher_seconds": round(teacher_s, 1), "epochs": args.epochs,
                 "align_epochs": args.align_epochs, "tuned_body_lr": args.tune_body,
                 "train_seconds": round(time.perf_counter() - start - teacher_s, 1), "loss": [round(x, 4) for x in history]}


def plot(result: dict, out: Path) -> None:
    """Items/s and NDCG@10 per variant as a PNG beside the JSON (skipped, saying so, without matplotlib)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("plot skipped: matplotlib is not installed (pip install 'semstream[plots]')")
        return

    names = list(result["variants"])
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    ax1.bar(names, [result["shared"][n]["items_per_s"] for n in names])
    ax1.set_yscale("log")
    for ax in (ax1, ax2):
        ax.tick_params(axis="x", rotation=45)
    ax1.set_title(f"items/s, N={result['n']} (shared queries)")
    ax2.bar(names, [result["variants"][n]["ndcg@10_shared"] for n in names])
    ax2.set_title("NDCG@10 (judged, shared queries)")
    fig.tight_layout()
    fig.savefig(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", default=None, help="Where the trained default ranker lives (models/default/...); "
                        "default: the configured data dir (SEMSTREAM_DATA_DIR, else .semstream).")
    parser.add_argument("--untrained", action="store_true", help="Measure the untrained MiniLM backbone instead.")
    parser.add_argument("--pairs", default=None, help="Judged pairs JSONL; default the newest under .semstream/cache/eval.")
    parser.add_argument("--cache-dir", default=".semstream/cache/eval")
    parser.add_argument("--n", type=int, default=250)
    parser.add_argument("--queries", type=int, default=20, help="Evaluation queries (fast variants time all of them).")
    parser.add_argument("--slow-queries", type=int, default=6)
    parser.add_argument("--train-queries", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--prune-layers", type=int, default=3)
    parser.add_argument("--prune-mlp", type=float, default=0.5)
    parser.add_argument("--soft-tokens", type=int, default=2)
    parser.add_argument("--mlp-adapter", action="store_true")
    parser.add_argument("--item-vector-only", action="store_true", help="MixLM reads the item vector alone, "
                        "not [item vector, query vector * item vector]")
    parser.add_argument("--no-facts", action="store_true", help="MixLM reads the retrieval vector only, not the "
                        "facts vector too")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--align-epochs", type=int, default=2, help="MixLM epochs aligning to the text ranker first")
    parser.add_argument("--tune-body", type=float, default=None, help="MixLM: also tune a body copy at this rate")
    parser.add_argument("--recover-epochs", type=int, default=1, help="Recovery distillation of the pruned model")
    parser.add_argument("--recover-lr", type=float, default=5e-5)
    parser.add_argument("--recover-queries", type=int, default=40)
    parser.add_argument("--cascade-depth", type=int, default=16, help="(f): items the text ranker re-scores")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--save-mixlm", default=None, help="Save the fitted adapter here (a ranker version's mixlm/ folder).")
    parser.add_argument("--skip", default="", help="Comma-separated variants to leave out.")
    parser.add_argument("--json", dest="json_out", default=None)
    args = parser.parse_args()
    if args.untrained:
        args.data_dir = None
    elif args.data_dir is None:
        from semstream.config import Settings

        args.data_dir = str(Settings().data_dir)
    run(args)


def run(args: argparse.Namespace) -> dict:
    import torch

    from semstream.models.data.judged import group_by_query, load_pairs
    from semstream.models.eval.cache import machine_info
    from semstream.models.ranker.cascade import CascadeRanker

    pairs_path = newest_pairs(args.pairs)
    groups = group_by_query(load_pairs(pairs_path))
    kind = next(iter(groups.values()))[0].kind
    eval_texts, train_texts = split_queries(groups, args.queries, args.seed)
    cands = candidate_lists(groups, eval_texts, args.n, args.seed)
    vectors = item_vectors(groups, Path(args.cache_dir))
    ranker, model_dir = load_text_ranker(args.data_dir, args.batch_size)
    pruned_raw, prune_info = pruned_copy(args.data_dir, args.batch_size, args.prune_layers, args.prune_mlp)
    pruned, recovery_info = recovered_copy(args, ranker, kind, groups, train_texts[: args.recover_queries], vectors)
    mix, mix_info = train_mixlm_on(ranker, kind, groups, train_texts[: args.train_queries], vectors, args)
    if args.save_mixlm:
        mix_info["saved"] = str(mix.save(Path(args.save_mixlm)))
    variants: dict[str, tuple[Callable[[], Score], bool, bool]] = {
        "a_naive": (lambda: naive_scorer(ranker), False, True),
        "b_cross_encoder": (lambda: cross_encoder_scorer(model_dir, ranker.max_tokens, args.batch_size), False, True),
        "c_prefix_shared": (lambda: slm_scorer(ranker, "prefix-shared"), False, False),
        "d_summary_unpruned": (lambda: slm_scorer(ranker, "prefix-shared"), True, False),
        "d_summary_pruned_raw": (lambda: slm_scorer(pruned_raw, "prefix-shared"), True, False),
        "d_summary_pruned": (lambda: slm_scorer(pruned, "prefix-shared"), True, False),
        "e_mixlm": (lambda: (lambda q, items: mix.score(q, items)), False, False),
    }
    variants["c_prefix_shared_int8"] = (lambda: slm_scorer(int8_copy(ranker), "prefix-shared"), False, False)
    variants["c_prefix_shared_served"] = (lambda: ranker.score, False, False)  # calibrated, fused with the cosine
    variants["e_mixlm_int8"] = (lambda: int8_copy(mix).score, False, False)
    served = served_mixlm(ranker, model_dir)
    if served is not None:  # the adapter training saved with the model: what the Ranking deployment loads
        variants["e_mixlm_served_raw"] = (lambda: _raw(served), False, False)
        variants["e_mixlm_served"] = (lambda: served.score, False, False)
        variants["e_mixlm_served_int8"] = (lambda: int8_copy(served).score, False, False)
        variants["e_mixlm_served_compiled"] = (lambda: compiled_copy(served).score, False, False)
        cascade = CascadeRanker(served, ranker, args.cascade_depth)
        variants["f_cascade_served"] = (lambda: cascade.score, False, False)
        variants["f_cascade_served_int8"] = (lambda: int8_copy(cascade).score, False, False)
    skip = set(filter(None, args.skip.split(",")))
    shared_texts = eval_texts[: args.slow_queries]
    result: dict[str, Any] = {"n": args.n, "pairs_file": str(pairs_path), "model": str(model_dir),
                              "eval_queries": len(eval_texts), "shared_queries": len(shared_texts),
                              "variants": {}, "shared": {}, "pruning": prune_info | recovery_info,
                              "mixlm": mix_info}
    for name, (make, summary, slow) in variants.items():
        if name in skip:
            continue
        score = make()
        measure(score, kind, shared_texts[:1], {shared_texts[0]: cands[shared_texts[0]][:16]}, vectors, summary)  # warm-up
        timed_texts = shared_texts if slow else eval_texts
        run_ = measure(score, kind, timed_texts, cands, vectors, summary)
        ndcg_texts = shared_texts if slow else eval_texts
        scores = judged_scores(score, kind, groups, ndcg_texts, vectors, summary, run_["scores"])
        result["variants"][name] = summarise_run(run_["seconds"], args.n) | {
            "ndcg@10": round(ndcg(groups, ndcg_texts, scores), 4), "ndcg_queries": len(ndcg_texts),
            "ndcg@10_shared": round(ndcg(groups, shared_texts, scores), 4)}
        result["shared"][name] = summarise_run(run_["seconds"][: len(shared_texts)], args.n)
        print(name, result["variants"][name], flush=True)
    result["ratios_shared_queries"] = ratios(result["shared"])
    result["quality_vs_a"] = quality_gaps(result["variants"])
    result["machine"] = machine_info() | {"torch_threads": torch.get_num_threads()}
    print(json.dumps({k: v for k, v in result.items() if k != "machine"}, indent=1))
    if args.json_out:
        out = Path(args.json_out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=1))
        plot(result, out.with_suffix(".png"))
    return result


def quality_gaps(variants: dict[str, dict[str, Any]]) -> dict[str, float]:
    """NDCG@10 of each variant minus (a)'s. (a) and (c) are the same model and scores (the parity tests
    hold them within 1e-4), so (c) on every evaluation query stands in for (a) beyond the shared ones."""
    out = {}
    if "a_naive" in variants:
        out |= {f"{k}-a (shared)": round(v["ndcg@10_shared"] - variants["a_naive"]["ndcg@10_shared"], 4)
                for k, v in variants.items() if k != "a_naive"}
    if "c_prefix_shared" in variants:
        base = variants["c_prefix_shared"]["ndcg@10"]
        out |= {f"{k}-a (all, via c)": round(v["ndcg@10"] - base, 4) for k, v in variants.items()
                if v["ndcg_queries"] == variants["c_prefix_shared"]["ndcg_queries"] and k != "c_prefix_shared"}
    return out


def ratios(shared: dict[str, dict[str, float]]) -> dict[str, float]:
    speed = {k: v["items_per_s"] for k, v in shared.items()}
    pairs = {"e/a": ("e_mixlm", "a_naive"), "c/b": ("c_prefix_shared", "b_cross_encoder"),
             "c/a": ("c_prefix_shared", "a_naive"), "d/a": ("d_summary_pruned", "a_naive"),
             "e_int8/a": ("e_mixlm_int8", "a_naive"), "c_int8/c": ("c_prefix_shared_int8", "c_prefix_shared"),
             "e_served/a": ("e_mixlm_served", "a_naive"), "e_served_int8/a": ("e_mixlm_served_int8", "a_naive"),
             "e_served_compiled/a": ("e_mixlm_served_compiled", "a_naive"),
             "f/a": ("f_cascade_served", "a_naive"), "f_int8/a": ("f_cascade_served_int8", "a_naive")}
    return {k: round(speed[x] / speed[y], 1) for k, (x, y) in pairs.items() if x in speed and y in speed}


if __name__ == "__main__":
    main()
