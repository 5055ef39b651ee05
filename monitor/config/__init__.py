"""Strict, typed configuration: sources.yaml and responders/ (departments, regions, policy)."""
