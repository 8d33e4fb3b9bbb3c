"""The one error of the rules, and the sentence a screen shows for play a facilitator holds."""

from __future__ import annotations


class IllegalMove(Exception):
    """A command the rules do not allow now. The message is a sentence a person can read."""


#: Why a seat cannot move while the facilitator holds every room; the screens show it too.
HELD = "Your facilitator has paused everyone. Play goes on when they resume."
