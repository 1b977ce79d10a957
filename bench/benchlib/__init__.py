"""Building blocks of bench/run_bench.py and the other benchmark scripts."""
