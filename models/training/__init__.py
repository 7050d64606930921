"""Training of the SLM ranker: relevance and engagement teachers, distilled student, calibration."""
