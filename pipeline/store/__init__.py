"""The store (SPEC §5): tables, engine, migrations, and the write transaction."""
