"""Synthetic profiles: seeded and reproducible, labelled synthetic, plausible fields."""

from __future__ import annotations

from pathlib import Path

import pytest

from semstream.schemas import EntityKind, ProfileEvent
from semstream.topics import profile_vocab as vocab
from semstream.topics.profiles import load_occupations, synthetic_profiles
from semstream.topics.serde import decode_event, encode_event


def _dump(profiles: list[ProfileEvent]) -> list[dict]:
    return [p.model_dump(mode="json") for p in profiles]


def test_same_seed_same_profiles_other_seed_other_profiles(tmp_path: Path) -> None:
    a = synthetic_profiles(50, seed=3, esco_dir=tmp_path)
    assert _dump(a) == _dump(synthetic_profiles(50, seed=3, esco_dir=tmp_path))
    other = synthetic_profiles(50, seed=4, esco_dir=tmp_path)
    assert [p.name for p in a] != [p.name for p in other]
    assert {p.id for p in a}.isdisjoint(p.id for p in other)


def test_prefix_is_stable_when_n_grows(tmp_path: Path) -> None:
    assert _dump(synthetic_profiles(10, 1, tmp_path)) == _dump(synthetic_profiles(30, 1, tmp_path)[:10])


def test_labelled_synthetic_with_plausible_fields(tmp_path: Path) -> None:
    profiles = synthetic_profiles(200, seed=11, esco_dir=tmp_path)
    titles = {t.lower() for t, _ in vocab.FALLBACK_OCCUPATIONS}
    cities = {city for city, _ in vocab.CITIES}
    for p in profiles:
        assert p.source == "synthetic" and p.id.startswith("synthetic-s11-") and p.version == 1
        assert p.current_title and p.current_title.lower() in titles
        assert p.name and p.name.split()[0] in vocab.FIRST_NAMES
        assert 4 <= len(p.skills) <= 8 and len(set(p.skills)) == len(p.skills)
        assert p.location and p.location.split(",")[0] in cities
        assert p.years_experience is not None and 0 <= p.years_experience <= 35
        assert p.seniority in {"junior", "mid", "senior", "lead", "manager", "director"}
        assert p.current_title in (p.headline or "") and p.skills[0] in (p.summary or "")
    assert len({p.location for p in profiles}) > 10
    assert any(p.location == "Remote" and p.country is None for p in profiles)


def test_seniority_follows_years(tmp_path: Path) -> None:
    for p in synthetic_profiles(300, seed=5, esco_dir=tmp_path):
        if p.seniority == "junior":
            assert p.years_experience < 3
        if p.seniority == "lead":
            assert p.years_experience >= 12


def test_profiles_survive_the_wire(tmp_path: Path) -> None:
    for p in synthetic_profiles(20, seed=2, esco_dir=tmp_path):
        key, value = encode_event(p)
        assert decode_event(EntityKind.PROFILE, key, value, max_text_chars=50_000) == p


def test_esco_occupations_are_used_when_present(shared_data: Path) -> None:
    esco = shared_data / "esco_v1.2"
    occupations = load_occupations(esco)
    assert len(occupations) == 3039
    labels = {o.label for o in occupations} | {a for o in occupations for a in o.alt_labels}
    profiles = synthetic_profiles(100, seed=9, esco_dir=esco)
    known = {o.label for o in occupations}
    for p in profiles:
        assert p.fields()["esco_occupation"] in known
        assert p.current_title.lower() in {label.lower() for label in labels}
    assert _dump(profiles) == _dump(synthetic_profiles(100, seed=9, esco_dir=esco))


def test_fallback_list_has_forty_occupations(tmp_path: Path) -> None:
    assert len(load_occupations(tmp_path)) == len(vocab.FALLBACK_OCCUPATIONS) == 40


@pytest.mark.parametrize("n", [0, 1])
def test_small_counts(n: int, tmp_path: Path) -> None:
    assert len(synthetic_profiles(n, seed=0, esco_dir=tmp_path)) == n
