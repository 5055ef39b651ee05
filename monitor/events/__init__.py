"""Events: posts about one happening grouped together, with heat and bursts tracked over time."""
