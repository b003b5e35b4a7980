"""Benchmarks: `make bench` runs every module listed in `__main__.BENCHES`.

Each benchmark measures its own baseline in the same run and prints ratios, so figures
compare on any machine. Nothing here is a pass/fail test.
"""
