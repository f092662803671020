"""Aggregation, statistics, plots and report figures over run folders."""
