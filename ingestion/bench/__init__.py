"""Benchmarks anyone can run; each writes its figures as JSON and prints a Markdown table."""
