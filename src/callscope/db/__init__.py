"""Storage: engine, sessions, the declarative base and the Alembic migrations.

Every table is created by a migration (never `create_all`), and the same migrations run
on SQLite (embedded mode) and PostgreSQL (scale-out).
"""
