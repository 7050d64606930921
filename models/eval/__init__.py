"""Offline evaluation: ranking metrics, BM25, the MELO/TREC harness and judge-labelled evaluation."""
