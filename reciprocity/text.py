"""Text for a terminal, in one place: fitting to a width in cells, and counting in words.

Widths are terminal cells, not characters, so a name in a wide script or with an emoji
is cut where it really ends on screen.
"""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size


def fit(text: str, width: int) -> str:
    """Text cut to `width` cells, ending in an ellipsis when it was longer."""
    if cell_len(text) <= width:
        return text
    if width <= 0:
        return ""
    return set_cell_size(text, width - 1).rstrip() + "…"


def fit_pair(first: str, second: str, width: int) -> str:
    """`Alexandra & Benjamin` in `width` cells, each name cut so that both still show."""
    text = f"{first} & {second}"
    room = width - cell_len(" & ")
    if cell_len(text) <= width or room < 4:
        return fit(text, width)
    keep = min(cell_len(first), max(room // 2, room - cell_len(second)))
    return f"{fit(first, keep)} & {fit(second, room - keep)}"


def plural(count: int, word: str, many: str | None = None) -> str:
    """A count and its word: `1 game`, `3 games`, `2 passes`."""
    return f"{count} {word if count == 1 else many or word + 's'}"
