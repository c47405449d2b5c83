"""Evaluation data: the dev and held-out sets, and the generators of synthetic pictures and
scenes that tests and benchmarks share (nothing in the product imports this)."""
