"""Benchmarks. Each module exposes ``run() -> list[dict]`` of metrics and prints them."""
