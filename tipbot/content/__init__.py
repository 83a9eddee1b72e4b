"""Bank content: schema, loading, validation, rendering and look-ups."""
