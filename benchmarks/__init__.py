"""Benchmarks for SPEC §9 (run by `make bench`)."""
