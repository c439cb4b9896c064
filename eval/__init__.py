"""Benchmarks and evaluations; every figure in BENCHMARKS.md comes from here."""
