"""Benchmarks: each `*_bench.py` prints one JSON document with the baseline measured beside it."""
