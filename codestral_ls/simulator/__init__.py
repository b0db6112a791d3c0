"""Fake model servers on loopback that speak the real wire formats, for tests and benchmarks."""
