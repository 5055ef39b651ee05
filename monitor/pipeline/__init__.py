"""Pipeline stages after ingestion: analysis, then grouping into events and incidents."""
