"""The one error of the rules."""

from __future__ import annotations


class IllegalMove(Exception):
    """A command the rules do not allow now. The message is a sentence a person can read."""
