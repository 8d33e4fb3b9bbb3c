"""Reciprocity: a two-person conversation game for the terminal."""

__version__ = "0.1.0"

#: The deck a game uses when none is named.
DEFAULT_DECK = "first-steps"


class ReciprocityError(Exception):
    """A problem a person can cause or fix: shown as one clear line, never a traceback."""

    @property
    def sentence(self) -> str:
        """The message as a sentence, for a screen rather than the command line."""
        text = str(self)
        return f"{text[:1].upper()}{text[1:]}."


class CommandError(ReciprocityError):
    """A command that cannot be carried out as given: printed as one line, with what to do."""
