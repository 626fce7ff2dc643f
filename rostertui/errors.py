"""Errors the CLI and dashboard show as one clear line. Exit codes: 1 error, 3 blocked."""


class RosterError(Exception):
    exit_code = 1


class BlockedError(RosterError):
    """A commit over the delete threshold or a capacity limit, without --force."""

    exit_code = 3


class BusyError(RosterError):
    """Another process holds the store's lock."""


class StaleError(RosterError):
    """The store changed after the sync was staged."""


class Cancelled(RosterError):
    """The admin cancelled a fetch; nothing was staged. Raised from a progress callback."""
