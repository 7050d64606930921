"""Span tagger: deterministic training, held-out accuracy, JSON round trip."""

from __future__ import annotations

from pathlib import Path

from semstream.models.qu.learned import Tagger, default_tagger, shape, train
from semstream.models.qu.tagger_data import generate


def _accuracy(tagger: Tagger, data) -> float:
    pairs = [(p, g) for words, gold in data for p, g in zip(tagger.tag(words), gold)]
    return sum(p == g for p, g in pairs) / len(pairs)


def test_training_is_deterministic_and_generalises(tmp_path: Path) -> None:
    data = generate(800, seed=1)
    a, b = train(data, epochs=4), train(data, epochs=4)
    assert a.weights == b.weights
    assert _accuracy(a, generate(300, seed=2)) > 0.9
    a.save(tmp_path / "t.json")
    assert Tagger.load(tmp_path / "t.json").tag(["jobs", "at", "Qorvex"]) == a.tag(["jobs", "at", "Qorvex"])


def test_bundled_model_tags_unknown_names_by_context() -> None:
    tagger = default_tagger()
    assert ("COMPANY", 2, 3) in tagger.spans(["engineers", "at", "Blorptech", "in", "Berlin"])
    assert ("SKILL", 3, 4) in tagger.spans(["people", "who", "know", "Zig"])
    assert _accuracy(tagger, generate(300, seed=99)) > 0.9


def test_shape() -> None:
    assert (shape("Acme"), shape("iOS"), shape("C++"), shape("3D")) == ("Xx", "xX", "X+", "dX")
