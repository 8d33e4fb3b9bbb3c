# ruff: noqa: RUF001, RUF002 -- the look-alike letters are the point of this module
"""Partners' names: tidied to one form, hidden characters refused, look-alikes compared.

A name is shown on the partner's screen, in the history and in exports, so it must show
what it says: no control or format characters (ESC, NUL, a right-to-left override, a
zero-width space, a byte-order mark), something visible, and not a look-alike of the
partner's name (`Sam` and `Ѕam` with a Cyrillic S).
"""

from __future__ import annotations

import unicodedata

#: Unicode categories that show nothing or change how other text shows: controls, format
#: characters, surrogates, private use, unassigned, and line or paragraph separators.
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})

#: Joiners some scripts need inside a word (Persian, Indic scripts, emoji sequences); they
#: are kept only between two visible characters.
_JOINERS = frozenset({"\u200c", "\u200d"})

#: Letters and symbols that draw as blank space although Unicode does not call them spaces.
_BLANKS = frozenset({"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800", "\u180e"})

#: Cyrillic and Greek letters drawn like a Latin one, after case folding (a small skeleton
#: map in the spirit of Unicode's confusables, for the look-alikes seen in names).
_LOOK_ALIKES = str.maketrans(
    {
        # Cyrillic
        "а": "a",
        "в": "b",
        "ԁ": "d",
        "е": "e",
        "ё": "e",
        "һ": "h",
        "і": "i",
        "ї": "i",
        "ј": "j",
        "к": "k",
        "ӏ": "l",
        "м": "m",
        "н": "h",
        "о": "o",
        "р": "p",
        "ԛ": "q",
        "ѕ": "s",
        "с": "c",
        "т": "t",
        "у": "y",
        "ү": "y",
        "ԝ": "w",
        "х": "x",
        # Greek
        "α": "a",
        "β": "b",
        "ε": "e",
        "ζ": "z",
        "η": "n",
        "ι": "i",
        "κ": "k",
        "μ": "u",
        "ν": "v",
        "ο": "o",
        "ρ": "p",
        "τ": "t",
        "υ": "u",
        "χ": "x",
        # Latin and digits drawn alike
        "ı": "i",
        "0": "o",
    }
)


#: The longest name, in characters, after tidying.
MAX_NAME = 24


class NameProblem(ValueError):
    """A name that cannot be used, with a calm sentence saying why."""


def _visible(char: str) -> bool:
    category = unicodedata.category(char)
    return (
        char not in _BLANKS
        and category[0] in "LNPS"
        and category not in _HIDDEN_CATEGORIES
        and not char.isspace()
    )


def normalise_name(name: str) -> str:
    """The name in one form (NFKC, trimmed, inner spaces collapsed to one), or
    `NameProblem` when it holds hidden characters or nothing visible."""
    tidy = " ".join(unicodedata.normalize("NFKC", name).split())
    for index, char in enumerate(tidy):
        if char in _JOINERS:
            between = 0 < index < len(tidy) - 1
            if between and _visible(tidy[index - 1]) and _visible(tidy[index + 1]):
                continue
            raise NameProblem("Please type the name without hidden characters.")
        if unicodedata.category(char) in _HIDDEN_CATEGORIES:
            raise NameProblem("Please type the name without hidden characters.")
    if not any(_visible(char) for char in tidy):
        raise NameProblem("Please enter a name.")
    return tidy


def clean_name(name: str, partner: str | None) -> str:
    """The name a partner joins with, in one form; `NameProblem` says why it cannot be
    used: hidden characters, nothing visible, too long, or the partner's name look-alike."""
    cleaned = normalise_name(name)
    if len(cleaned) > MAX_NAME:
        raise NameProblem(f"Please keep the name to {MAX_NAME} characters.")
    if partner is not None and same_name(cleaned, partner):
        raise NameProblem("Please choose a name different from your partner's.")
    return cleaned


def skeleton(name: str) -> str:
    """What a name looks like, for comparing two: case folded, joiners and accents that
    sit on a letter dropped, and common Cyrillic and Greek look-alikes read as Latin."""
    folded = unicodedata.normalize("NFKD", normalise_name(name).casefold())
    kept = "".join(c for c in folded if c not in _JOINERS and not unicodedata.combining(c))
    return kept.translate(_LOOK_ALIKES)


def same_name(one: str, other: str) -> bool:
    """Whether two names would read as the same on a screen."""
    return skeleton(one) == skeleton(other)
