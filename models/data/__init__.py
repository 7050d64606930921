"""Training and evaluation data: postings corpora, generated queries, judge-labelled pairs."""
