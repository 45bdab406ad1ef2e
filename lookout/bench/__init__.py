"""Benchmarks behind ``lookout bench``; each compares against a named baseline in the same run."""
