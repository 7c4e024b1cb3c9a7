"""Benchmarks, run by `make bench` (`python -m tests.bench`): not tests, figures.

Each module here has `run() -> dict` returning its figures; `__main__` runs them all.
"""
