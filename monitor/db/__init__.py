"""PostgreSQL: the embedded server, the connection pool and schema migrations."""
