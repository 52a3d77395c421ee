"""Benchmarks: PolicyDesk code paths against a raw-SQL baseline (`python -m bench.run_all`)."""
