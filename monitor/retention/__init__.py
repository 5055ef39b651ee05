"""Retention: monitoring data older than the policy's `retention` leaves PostgreSQL, a batch at a time."""
