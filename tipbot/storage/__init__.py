"""Database access: engine, schema migrations and queries."""
