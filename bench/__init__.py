"""Benchmarks of the ledger: not tests, each prints figures against a baseline."""
