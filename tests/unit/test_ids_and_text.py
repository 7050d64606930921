from semstream.ids import point_id
from semstream.models.item_text import item_text
from semstream.schemas import EntityKind


def test_point_id_is_stable_and_kind_specific():
    assert point_id(EntityKind.JOB, "42") == point_id(EntityKind.JOB, "42")
    assert point_id(EntityKind.JOB, "42") != point_id(EntityKind.PROFILE, "42")
    assert point_id(EntityKind.JOB, "42") != point_id(EntityKind.JOB, "43")


def test_item_text_puts_head_fields_first_and_cuts():
    payload = {"title": "Backend Engineer", "company": "Acme", "skills": ["python", "kafka"],
               "description": "x" * 1000}
    text = item_text(EntityKind.JOB, payload)
    assert text.startswith("Backend Engineer | Acme")
    assert "Skills: python, kafka" in text
    assert len(item_text(EntityKind.JOB, payload, max_chars=50)) == 50


def test_item_text_for_profiles_uses_headline_and_summary():
    payload = {"headline": "Data scientist", "summary": "Builds models", "skills": ["sql"]}
    text = item_text(EntityKind.PROFILE, payload)
    assert text.splitlines() == ["Data scientist", "Skills: sql", "Builds models"]
