"""Staging: a fetched feed becomes a plan of reviewable actions. Nothing here writes.

    pipeline.py  `stage`: the ordered steps, their one signature, which schools a sync covers
    diff.py      the feed against the store: add, update, archive, reactivate
    steps/       the district's policies, one module each (contacts, section_rules,
                 schools, usernames, class_names, matching, renumbering,
                 data_warnings)
"""

from .pipeline import stage

__all__ = ["stage"]
