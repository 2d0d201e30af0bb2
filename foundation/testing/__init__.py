"""Helpers for developing and testing on one machine (a throwaway PostgreSQL server)."""
