"""Connections to PostgreSQL: the embedded throwaway server, scratch databases, safe URLs."""
