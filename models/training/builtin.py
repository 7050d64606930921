"""A tiny built-in corpus (written for this project) for when neither the public data folder nor
the vendored sample is there: enough for the pipeline to run end to end, not to train a good model."""

from __future__ import annotations

from typing import Any

Item = tuple[str, dict[str, Any]]

_JOBS = [
    ("Backend Engineer", "Berlin", "senior", ["python", "postgresql", "kubernetes"], "Build and run payment APIs."),
    ("Backend Engineer", "London", "mid", ["go", "postgresql"], "Own services behind our mobile app."),
    ("Frontend Developer", "Amsterdam", "junior", ["react", "typescript"], "Build the customer dashboard."),
    ("Frontend Developer", "remote", "senior", ["vue", "javascript"], "Lead the design-system work."),
    ("Data Scientist", "New York", "mid", ["python", "sql", "statistics"], "Forecast demand and run experiments."),
    ("Data Scientist", "Berlin", "senior", ["python", "machine learning"], "Ranking models for search."),
    ("Registered Nurse", "Leeds", "mid", ["patient care", "icu"], "Critical-care ward, rotating shifts."),
    ("Registered Nurse", "Manchester", "junior", ["patient care"], "General ward, training provided."),
    ("Accountant", "Dublin", "mid", ["excel", "ifrs"], "Month-end close and audits."),
    ("Accountant", "London", "senior", ["sap", "excel"], "Group reporting for a retailer."),
    ("DevOps Engineer", "remote", "senior", ["terraform", "aws", "kubernetes"], "Platform and CI for 40 teams."),
    ("DevOps Engineer", "Paris", "mid", ["ansible", "linux"], "Keep our data centres humming."),
    ("Product Manager", "San Francisco", "senior", ["roadmapping", "analytics"], "Own the search experience."),
    ("Product Manager", "Berlin", "mid", ["agile"], "Payments product area."),
    ("Truck Driver", "Austin", "mid", ["cdl", "logistics"], "Regional routes, home weekly."),
    ("Truck Driver", "Dallas", "junior", ["cdl"], "Local deliveries."),
]
_PEOPLE = [
    ("Backend Engineer", "Berlin", "senior", ["python", "kafka"], 9),
    ("Backend Engineer", "Lisbon", "mid", ["java", "spring"], 4),
    ("Data Scientist", "London", "senior", ["python", "pytorch"], 8),
    ("Data Scientist", "Pune", "junior", ["sql", "python"], 1),
    ("Registered Nurse", "Leeds", "senior", ["icu", "patient care"], 12),
    ("Registered Nurse", "Glasgow", "mid", ["patient care"], 5),
    ("Accountant", "Dublin", "mid", ["excel", "ifrs"], 6),
    ("Accountant", "Madrid", "junior", ["excel"], 2),
    ("Product Manager", "Berlin", "senior", ["analytics", "agile"], 10),
    ("Product Manager", "Toronto", "mid", ["roadmapping"], 5),
    ("DevOps Engineer", "Warsaw", "senior", ["kubernetes", "terraform"], 11),
    ("DevOps Engineer", "remote", "mid", ["aws", "linux"], 4),
]


def builtin_jobs() -> list[Item]:
    return [
        (f"builtin-job-{i}", {"title": t, "company": f"Example Co {i}", "location": None if loc == "remote" else loc,
                              "remote": "remote" if loc == "remote" else "onsite", "seniority": s, "skills": sk,
                              "description": f"{d} We are hiring a {s} {t.lower()}.", "source": "builtin"})
        for i, (t, loc, s, sk, d) in enumerate(_JOBS)
    ]


def builtin_profiles() -> list[Item]:
    return [
        (f"builtin-profile-{i}", {"headline": f"{s.title()} {t}", "current_title": t, "location": loc, "seniority": s,
                                  "years_experience": y, "skills": sk, "summary": f"{y} years as a {t.lower()}.",
                                  "source": "builtin (synthetic)"})
        for i, (t, loc, s, sk, y) in enumerate(_PEOPLE)
    ]
