"""Engagement: the feedback event schema and a seeded simulator of searchers."""
