"""The records: the event log of every game, kept as it happened and never judged here.

Summaries and replays are the game layer's (`reciprocity.game`); this layer only stores,
loads, blanks private values by event type, and deletes.
"""
