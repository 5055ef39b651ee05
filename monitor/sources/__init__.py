"""Ingestion: source kinds, fetching, normalising into posts, storing, and the polling engine."""
