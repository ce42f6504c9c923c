"""The benchmark harness behind ``bench/run.py``: servers, workload, statistics and report."""
