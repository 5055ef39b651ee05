"""Metrics derived from PostgreSQL: gauges refreshed periodically and timeliness facts observed once."""
