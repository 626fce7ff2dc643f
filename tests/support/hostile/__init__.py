"""Hostile and broken input: the corpus (cases.py), the ways it is derived from the Ed-Fi
set (sets.py), and running the real CLI on a copy of a committed store (workdir.py)."""
