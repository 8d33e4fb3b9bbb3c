"""The closing screen: a warm look back at what the two partners made together.

Everything here comes from the game's `Summary`: outcomes and counts, never words, never a
limit. Passes and pauses are shown as what they are, free and kind; nothing is a score.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Label, Static

from reciprocity.engine import Seat
from reciprocity.engine.summary import SeatTotals, Summary
from reciprocity.text import plural
from reciprocity.tui.widgets.timeline import TimelineChart

if TYPE_CHECKING:
    from reciprocity.seat_view import SeatView


BAR = 10
"""The longest sharing bar, in columns."""


def minutes_text(minutes: float) -> str:
    """Minutes played, in words."""
    if minutes < 1:
        return "under a minute"
    return plural(round(minutes), "minute")


def closeness_text(before: int | None, after: int | None) -> str:
    """Closeness on the circles before and after, such as `3 → 5`; a skip says "skipped"."""

    def one(score: int | None) -> str:
        return "skipped" if score is None else str(score)

    return f"{one(before)} → {one(after)}"


def share_bar(shares: int, most: int) -> str:
    """A bar for `shares`, as long as `BAR` for whoever shared `most`."""
    if shares <= 0 or most <= 0:
        return ""
    return "█" * max(1, round(BAR * shares / most))


def headline(view: SeatView, summary: Summary) -> str:
    """The deepest level reached together, by number and name."""
    level = summary.deepest_level
    names = view.level_names
    named = f"level {level}: {names[level - 1]}" if 0 < level <= len(names) else f"level {level}"
    if summary.turns == 0:
        return f"You began together at {named}."
    if level <= 1:
        return f"You played together at {named}."
    return f"Together, you reached {named}."


def together_text(summary: Summary) -> str:
    """The game's length, repairs, pauses and passes, in kind words."""
    parts = [
        f"{plural(summary.turns, 'turn')} in {minutes_text(summary.minutes)}"
        if summary.turns
        else f"No turns this time, and that is fine: {minutes_text(summary.minutes)} together"
    ]
    if summary.repairs:
        parts.append(f"{plural(summary.repairs, 'repair')} made and forgiven")
    if summary.not_yet:
        parts.append(f"{summary.not_yet} not forgiven yet, and that is all right")
    if summary.pauses:
        parts.append(f"{plural(summary.pauses, 'pause')} to breathe")
    if summary.passes:
        parts.append(f"{plural(summary.passes, 'pass', 'passes')}, each one free")
    return " · ".join(parts) + "."


class ClosingScreen(Screen[None]):
    """A celebration of the game from one seat's final view. Enter or `c` continues."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "continue", "Continue"),
        Binding("c", "continue", "Continue", show=False),
    ]

    def __init__(self, view: SeatView) -> None:
        """The closing screen for a game whose `view.summary` is set."""
        super().__init__()
        self.view = view
        self.summary = view.summary or Summary()

    def compose(self) -> ComposeResult:
        """Title, headline, the partners side by side, and the timeline."""
        view, summary = self.view, self.summary
        a, b = view.name(Seat.A), view.name(Seat.B)
        with VerticalScroll(id="closing-body"):
            yield Label(f"Thank you, {a} and {b}.", classes="title", markup=False)
            yield Static(headline(view, summary), id="closing-headline", markup=False)
            yield Static(together_text(summary), id="closing-together", markup=False)
            with Grid(id="closing-totals"):
                yield from self._totals()
            yield Label("Your game, turn by turn", id="closing-chart-title", markup=False)
            yield TimelineChart(
                summary.timeline,
                depth=view.depth,
                names={Seat.A: a, Seat.B: b},
            )
        yield Footer()

    def _totals(self) -> ComposeResult:
        """The grid of each partner's side: support, sharing, depth and closeness."""
        seats = {seat: self.summary.seat(seat) for seat in Seat}
        most = max(totals.shares for totals in seats.values())
        yield Label("", markup=False)
        for seat in Seat:
            yield Label(
                self.view.name(seat), classes=f"closing-name seat-{seat.value}", markup=False
            )

        yield Label("met with support", classes="closing-key", markup=False)
        for totals in seats.values():
            yield Label(plural(totals.supported, "time"), classes="closing-value", markup=False)

        yield Label("shared", classes="closing-key", markup=False)
        for seat, totals in seats.items():
            with Horizontal(classes="closing-share"):
                yield Label(
                    share_bar(totals.shares, most),
                    classes=f"closing-bar seat-{seat.value}",
                    markup=False,
                )
                yield Label(f" {totals.shares}", classes="closing-value", markup=False)

        yield Label("average level", classes="closing-key", markup=False)
        for totals in seats.values():
            yield Label(_average(totals), classes="closing-value", markup=False)

        if self.view.checkin:
            yield Label("closeness (1-7)", classes="closing-key", markup=False)
            for totals in seats.values():
                yield Label(
                    closeness_text(totals.ios_before, totals.ios_after),
                    classes="closing-value",
                    markup=False,
                )

    def action_continue(self) -> None:
        """Move on to the notes."""
        self.dismiss(None)


def _average(totals: SeatTotals) -> str:
    return f"{totals.average_depth:.1f}" if totals.shares else "-"
