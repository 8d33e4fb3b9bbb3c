"""Pilot tests of the check-in, pause, closing and notes screens and their widgets."""

from __future__ import annotations

import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conftest import make_deck
from rich.style import Style
from textual import on
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.reactive import reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input, Static, TextArea

import reciprocity.tui
from reciprocity.deck import Deck
from reciprocity.engine import (
    CheckIn,
    Command,
    Draw,
    End,
    Forgive,
    Join,
    LetGo,
    MarkStung,
    MarkSupported,
    NameHurt,
    NotYet,
    Outcome,
    Pass,
    Pause,
    Ready,
    Repair,
    Respond,
    Seat,
    SetLimit,
    Share,
)
from reciprocity.engine.summary import TurnPoint
from reciprocity.game.room import Room
from reciprocity.kept import save_note
from reciprocity.seat_view import SeatView
from reciprocity.tui.screens.checkin import CheckInScreen
from reciprocity.tui.screens.closing import ClosingScreen
from reciprocity.tui.screens.notes import NotesScreen, WrittenNotes
from reciprocity.tui.screens.pause import TAKE_YOUR_TIME, PauseScreen
from reciprocity.tui.widgets.breathing import BreathingGuide, count_at, phase_at, radius_at
from reciprocity.tui.widgets.circles import IOSCircles, draw_pair, layout
from reciprocity.tui.widgets.timeline import MARKERS, NO_TURNS, TimelineChart, columns_for

STYLESHEET = Path(reciprocity.tui.__file__).parent / "reciprocity.tcss"
SIZE = (80, 24)

# --- hosts ------------------------------------------------------------------------------


@dataclass
class RoomConnection:
    """A stand-in for the app's connection: records each command and plays it in a room."""

    room: Room
    host: Host
    sent: list[tuple[Seat, Command]] = field(default_factory=list)

    def send(self, seat: Seat, command: Command) -> None:
        """Record the command, apply it, and show the first seat's new view."""
        self.sent.append((seat, command))
        self.room.submit(seat, command)
        self.host.view = self.room.view(Seat.A)
        self.host.views = {seat: self.room.view(seat) for seat in Seat}


class Host(App[None]):
    """A tiny app that pushes one screen and keeps what it was dismissed with."""

    CSS_PATH = STYLESHEET

    view: reactive[SeatView | None] = reactive(None, always_update=True)
    views: reactive[dict[Seat, SeatView]] = reactive(dict)

    def __init__(
        self, screen: Screen[Any], view: SeatView | None = None, room: Room | None = None
    ) -> None:
        super().__init__()
        self.start = screen
        self.results: list[object] = []
        self.connection: RoomConnection | None = None
        self.set_reactive(Host.view, view)
        if room is not None:
            self.set_reactive(Host.views, {seat: room.view(seat) for seat in Seat})

    def on_mount(self) -> None:
        if isinstance(self.start, PauseScreen):
            self.start.data_bind(Host.view, Host.views)
        self.push_screen(self.start, self.results.append)

    @on(PauseScreen.Act)
    def _act(self, message: PauseScreen.Act) -> None:
        if self.connection is not None:
            self.connection.send(message.seat, message.command)


class WidgetHost(App[None]):
    """A tiny app showing one widget."""

    CSS_PATH = STYLESHEET

    def __init__(self, widget: Widget) -> None:
        super().__init__()
        self.widget = widget

    def compose(self) -> ComposeResult:
        yield self.widget


def screen_text(screen: Screen[Any]) -> str:
    """The words of every label and static on a screen."""
    return "\n".join(str(widget.content) for widget in screen.query(Static))


async def type_text(pilot: Pilot[Any], text: str) -> None:
    """Type text key by key."""
    await pilot.press(*["space" if char == " " else char for char in text])


# --- games played through a room --------------------------------------------------------


def set_up_room(deck: Deck, before: tuple[int | None, int | None] = (3, 4)) -> Room:
    """A started game between Sam (seat A) and Ben (seat B), 30 seconds a command."""
    clock = iter(range(0, 100_000, 30))
    room = Room.create(deck, None, seed=7, clock=lambda: float(next(clock)))
    room.submit(Seat.A, Join(name="Sam"))
    room.submit(Seat.B, Join(name="Ben"))
    room.submit(Seat.A, SetLimit(limit=deck.depth))
    room.submit(Seat.B, SetLimit(limit=deck.depth))
    room.submit(Seat.A, CheckIn(score=before[0]))
    room.submit(Seat.B, CheckIn(score=before[1]))
    return room


def play_turn(room: Room, how: str) -> None:
    """One turn that is supported, passed then supported, forgiven, not yet, or let go."""
    sharer = room.state.sharer
    room.submit(sharer, Draw())
    if how == "pass":
        room.submit(sharer, Pass())
        room.submit(sharer, Draw())
    room.submit(sharer, Share())
    room.submit(sharer.other, Respond())
    if how in ("supported", "pass"):
        room.submit(sharer, MarkSupported())
        return
    room.submit(sharer, MarkStung())
    room.submit(sharer, NameHurt())
    if how == "let go":
        room.submit(sharer.other, LetGo())
        return
    room.submit(sharer.other, Repair())
    room.submit(sharer, Forgive() if how == "forgive" else NotYet())


def finished_view(turns: list[str], after: tuple[int | None, int | None] = (5, None)) -> SeatView:
    """Sam's view after a game of `turns`, a pause, the end and the closing check-in."""
    room = set_up_room(make_deck())
    for how in turns:
        play_turn(room, how)
    room.submit(Seat.A, Pause())
    room.submit(Seat.A, Ready())
    room.submit(Seat.B, Ready())
    room.submit(Seat.B, End())
    room.submit(Seat.A, CheckIn(score=after[0]))
    room.submit(Seat.B, CheckIn(score=after[1]))
    return room.view(Seat.A)


# --- the closeness circles and the check-in ---------------------------------------------


def test_circles_move_from_apart_to_overlapping_and_fit_76_columns() -> None:
    width, offsets = layout(76)
    pairs = [draw_pair(offset, width) for offset in offsets]
    assert sum(len(pair[0]) for pair in pairs) + len(pairs) - 1 <= 76
    apart, closest = pairs[0], pairs[-1]
    assert " " in "".join(char for char, _ in apart[1])  # a gap between the circles
    assert not any(owner == "overlap" for row in apart for _, owner in row)
    shaded = [sum(owner == "overlap" for _, owner in pair[1]) for pair in pairs]
    assert shaded == sorted(shaded) and shaded[-1] > 0  # the shared space only grows
    assert "┬" in "".join(char for char, _ in closest[0])  # the lines join where they cross


async def test_circles_render_names_and_clamp_to_the_scale() -> None:
    circles = IOSCircles(value=2, me="Sam", partner="Ben")
    app = WidgetHost(circles)
    async with app.run_test(size=SIZE) as pilot:
        circles.focus()
        await pilot.press("left", "left", "left")
        assert circles.value == 1
        await pilot.press("7", "right")
        assert circles.value == 7
        lines = circles.render().plain.splitlines()
        assert all(len(line) <= 80 for line in lines)
        assert "[7]" in lines[3] and "Sam" in lines[-1] and "Ben" in lines[-1]


async def test_check_in_chooses_with_arrows_and_enter() -> None:
    screen = CheckInScreen("Sam", after=False)
    app = Host(screen)
    async with app.run_test(size=SIZE) as pilot:
        assert "Sam, how close do you feel right now?" in screen_text(screen)
        await pilot.press("right", "right", "left", "enter")  # 4 → 5
        await pilot.pause()
        assert app.results == [5]
        assert app.screen is not screen


async def test_check_in_number_keys_and_after_title() -> None:
    screen = CheckInScreen("Ben", after=True)
    app = Host(screen)
    async with app.run_test(size=SIZE) as pilot:
        assert "Ben, how close do you feel now, after playing?" in screen_text(screen)
        await pilot.press("2", "enter")
        await pilot.pause()
        assert app.results == [2]


async def test_check_in_by_mouse_click_then_click_again() -> None:
    app = Host(CheckInScreen("Sam", after=False))
    async with app.run_test(size=SIZE) as pilot:
        circles = app.screen.query_one(IOSCircles)
        last = circles.region.width - 3  # inside the closest pair, at the right
        await pilot.click(IOSCircles, offset=(last, 1))
        assert circles.value == 7 and app.results == []
        await pilot.click(IOSCircles, offset=(last, 1))
        await pilot.pause()
        assert app.results == [7]


async def test_check_in_skip_returns_none() -> None:
    app = Host(CheckInScreen("Sam", after=False))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("right", "s")
        await pilot.pause()
        assert app.results == [None]


# --- the breathing guide and the pause --------------------------------------------------


def test_breath_is_four_in_and_six_out() -> None:
    assert [phase_at(t) for t in (0, 3.9, 4.0, 9.9, 10.0)] == ["in", "in", "out", "out", "in"]
    assert [count_at(t) for t in (0, 1.5, 3.9, 4.0, 8.5, 9.99)] == [4, 3, 1, 6, 2, 1]
    assert radius_at(0) < radius_at(2) < radius_at(4)  # grows breathing in
    assert radius_at(4) > radius_at(7) > radius_at(9.9)  # shrinks breathing out


async def test_breathing_guide_starts_at_a_known_frame_and_can_hold_it() -> None:
    guide = BreathingGuide(running=False)
    app = WidgetHost(guide)
    async with app.run_test(size=SIZE) as pilot:
        assert (guide.phase, guide.count, guide.words) == ("in", 4, "Breathe in… 4")
        await pilot.pause(0.3)
        assert guide.elapsed == 0  # held
        guide.advance(5.5)
        assert (guide.phase, guide.count, guide.words) == ("out", 5, "Breathe out… 6 5")
        assert "Breathe out… 6 5" in guide.render().plain
        guide.elapsed = 0
        guide.running = True
        await pilot.pause(0.4)
        assert 0 < guide.elapsed < 2  # moving again, in real time


async def test_breathing_guide_is_still_without_animations() -> None:
    guide = BreathingGuide()
    app = WidgetHost(guide)
    app.animation_level = "none"
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.3)
        assert guide.still and guide.elapsed == 0
        assert "Breathe in for 4… and out for 6…" in guide.render().plain


def paused_room() -> Room:
    room = set_up_room(make_deck())
    room.submit(Seat.B, Pause())
    return room


async def test_pause_on_one_keyboard_marks_each_partner_ready_then_closes() -> None:
    room = paused_room()
    screen = PauseScreen({Seat.A: "Sam", Seat.B: "Ben"}, (Seat.A, Seat.B))
    app = Host(screen, view=room.view(Seat.A), room=room)
    app.connection = RoomConnection(room, app)
    async with app.run_test(size=SIZE) as pilot:
        text = screen_text(screen)
        assert TAKE_YOUR_TIME in text and "Sam: whenever you are ready" in text
        assert screen.query_one(BreathingGuide).phase == "in"
        await pilot.press("2")
        await pilot.pause()
        assert app.connection.sent == [(Seat.B, Ready())]
        assert "✓ Ben is ready" in screen_text(screen)
        assert screen.check_action("ready", ("b",)) is False  # no second ready for Ben
        await pilot.press("2")  # ignored: Ben is ready already
        assert app.connection.sent == [(Seat.B, Ready())]
        assert app.results == []
        await pilot.press("1")
        await pilot.pause()
        assert app.connection.sent == [(Seat.B, Ready()), (Seat.A, Ready())]
        assert app.view is not None and not app.view.paused
        assert app.results == [None]
        assert app.screen is not screen


async def test_pause_over_the_network_has_one_ready_key() -> None:
    room = paused_room()
    screen = PauseScreen({Seat.A: "Sam", Seat.B: "Ben"}, (Seat.B,))
    app = Host(screen, view=room.view(Seat.A), room=room)
    app.connection = RoomConnection(room, app)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("1")  # not a key here
        await pilot.press("enter")
        await pilot.pause()
        assert app.connection.sent == [(Seat.B, Ready())]
        assert app.results == []  # still waiting for Sam


async def test_pause_closes_when_the_partner_resumes_from_afar() -> None:
    room = paused_room()
    screen = PauseScreen({Seat.A: "Sam", Seat.B: "Ben"}, (Seat.A,))
    app = Host(screen, view=room.view(Seat.A))
    async with app.run_test(size=SIZE) as pilot:
        room.submit(Seat.B, Ready())
        app.view = room.view(Seat.A)
        await pilot.pause()
        assert "✓ Ben is ready" in screen_text(screen)
        room.submit(Seat.A, Ready())
        app.view = room.view(Seat.A)
        await pilot.pause()
        assert app.results == [None]


# --- the timeline -----------------------------------------------------------------------


def every_outcome() -> list[TurnPoint]:
    outcomes = list(Outcome)
    return [
        TurnPoint(minute=i, sharer=Seat.A if i % 2 == 0 else Seat.B, level=1 + i % 3, outcome=o)
        for i, o in enumerate(outcomes)
    ]


async def test_timeline_marks_each_outcome_at_its_level() -> None:
    points = every_outcome()
    chart = TimelineChart(points, depth=3, names={Seat.A: "Sam", Seat.B: "Ben"})
    app = WidgetHost(chart)
    async with app.run_test(size=SIZE):
        text = chart.render()
        lines = text.plain.splitlines()
        assert len(lines) == 3 + 3 and all(len(line) <= 80 for line in lines)
        rows = {3: lines[0], 2: lines[1], 1: lines[2]}
        for point in points:
            assert MARKERS[point.outcome] in rows[point.level]
        assert "supported" in lines[-2] and "repaired" in lines[-2] and "passed" in lines[-2]
        assert "Sam" in lines[-1] and "Ben" in lines[-1]
        # Sam's and Ben's turns are drawn in different styles.
        styles: dict[Seat, Style] = {}
        for point in points:
            row = chart.levels - point.level
            offset = sum(len(line) + 1 for line in lines[:row])
            offset += lines[row].index(MARKERS[point.outcome])
            styles.setdefault(point.sharer, text.get_style_at_offset(app.console, offset))
        assert styles[Seat.A] != styles[Seat.B]


async def test_timeline_compresses_long_games_and_handles_none() -> None:
    many = [
        TurnPoint(i, Seat.A if i % 2 else Seat.B, 1 + i % 5, Outcome.SUPPORTED) for i in range(300)
    ]
    chart = TimelineChart(many, depth=5)
    app = WidgetHost(chart)
    async with app.run_test(size=(76, 10)):
        lines = chart.render().plain.splitlines()
        assert len(lines) <= 10 and all(len(line) <= 76 for line in lines)
        assert all("●" in line for line in lines[:5])
        chart.points = ()
        assert chart.render().plain == NO_TURNS
    assert columns_for(3, 70) == [0, 2, 4]
    assert columns_for(50, 70) == list(range(50))
    assert max(columns_for(300, 70)) < 70


# --- the closing screen -----------------------------------------------------------------


async def test_closing_screen_celebrates_a_real_game() -> None:
    turns = ["supported", "supported", "forgive", "pass", "supported", "not yet", "supported"]
    view = finished_view(turns)
    summary = view.summary
    assert summary is not None and summary.turns == 7 and summary.repairs == 1
    screen = ClosingScreen(view)
    app = Host(screen)
    async with app.run_test(size=SIZE) as pilot:
        text = screen_text(screen)
        assert "Thank you, Sam and Ben." in text
        deepest = summary.deepest_level
        assert f"level {deepest}: {view.level_names[deepest - 1]}" in text
        assert "7 turns in" in text
        assert "1 repair made and forgiven" in text
        assert "1 pause to breathe" in text and "1 pass, each one free" in text
        sam, ben = summary.seat(Seat.A), summary.seat(Seat.B)
        assert f"{sam.supported} times" in text or f"{sam.supported} time" in text
        assert f"{ben.supported} time" in text
        assert f" {sam.shares}" in text and f" {ben.shares}" in text
        assert "3 → 5" in text and "4 → skipped" in text
        chart = screen.query_one(TimelineChart)
        assert len(chart.points) == 8  # seven turns and one pass
        assert "♥" in chart.render().plain and "·" in chart.render().plain
        body = screen.query_one("#closing-body")
        assert body.max_scroll_y == 0  # all of it fits in 80x24
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == [None]


async def test_closing_screen_is_kind_about_an_empty_game() -> None:
    view = finished_view([], after=(None, None))
    screen = ClosingScreen(view)
    app = Host(screen)
    async with app.run_test(size=SIZE) as pilot:
        text = screen_text(screen)
        assert "No turns this time, and that is fine" in text
        assert "3 → skipped" in text
        assert screen.query_one(TimelineChart).render().plain == NO_TURNS
        await pilot.press("c")
        await pilot.pause()
        assert app.results == [None]


# --- notes ------------------------------------------------------------------------------


async def test_notes_return_what_was_typed() -> None:
    screen = NotesScreen("Sam", "Ben")
    app = Host(screen)
    async with app.run_test(size=SIZE) as pilot:
        assert "never shown to Ben" in screen_text(screen)
        assert isinstance(app.focused, TextArea)
        await type_text(pilot, "so brave")
        await pilot.press("enter")
        await type_text(pilot, "us ")
        await pilot.press("tab")
        assert isinstance(app.focused, Input)
        await type_text(pilot, "Thank you")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.results == [WrittenNotes(note="so brave\nus", appreciation="Thank you")]


async def test_notes_skip_returns_none() -> None:
    app = Host(NotesScreen("Sam", "Ben"))
    async with app.run_test(size=SIZE) as pilot:
        await type_text(pilot, "not this time")
        await pilot.press("escape")
        await pilot.pause()
        assert app.results == [None]


def test_save_note_writes_private_new_files(tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    first = save_note(folder, "Sam", "I was brave today.")
    second = save_note(folder, "Sam", "And again.")
    assert first != second and first.parent == folder == second.parent
    assert first.suffix == ".txt" and "sam" in first.name
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(first.stat().st_mode) == 0o600
    assert stat.S_IMODE(second.stat().st_mode) == 0o600
    assert "I was brave today." in first.read_text(encoding="utf-8")
    assert "And again." in second.read_text(encoding="utf-8")
    sneaky = save_note(folder, "../../Sam", "still here")
    assert sneaky.parent == folder
