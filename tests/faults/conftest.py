"""The fault tests: the count of what they survived is printed at the end of the run (tests/run_summaries.py)."""
