"""HTTP: the JSON API, the web console, intake endpoints, health and metrics."""
