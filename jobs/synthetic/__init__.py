"""Synthetic deliveries in the real schemas of citylake's sources, for demos and benchmarks.

The real samples stay in the tests; generators scale them to any date range and size, deterministically
by seed, with a configurable share of the defects real deliveries have.
"""
