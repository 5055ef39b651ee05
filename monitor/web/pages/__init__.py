"""The server-rendered console: duty board, incident, department, sources, login and one-click links."""
