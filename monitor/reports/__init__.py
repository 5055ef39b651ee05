"""日报/周报 and 专报 from PostgreSQL: data queries, inline-SVG charts, HTML and Markdown rendering."""
