"""The store: Peewee models over SQLite (default) or PostgreSQL."""
