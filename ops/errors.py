"""The one error an operator command raises to stop: its message is the reason, printed once."""

from __future__ import annotations


class RefusedError(ValueError):
    """The command cannot or must not run as asked; the message says why and what to do."""
