"""Database plumbing: reconnecting PostgreSQL connections and the embedded PostgreSQL server."""
