"""The time left in the set on a player's screen, and the calm notice at two minutes."""

from __future__ import annotations

import asyncio

from conftest import make_deck
from test_tui_widgets import WidgetHost, set_up_room

from reciprocity.engine import Draw, MarkSupported, OpenLevel, Respond, Seat, Share
from reciprocity.game.pacing import notice_line, set_line
from reciprocity.pacing_wire import (
    SetTime,
)
from reciprocity.seat_view import SeatView
from reciprocity.tui.widgets.set_clock import SetClock
from reciprocity.tui.widgets.standing import CEILING_REACHED, progress_line


def clocked_view(left: float, *, running: bool = True, last: bool = False) -> SeatView:
    room = set_up_room(make_deck())
    room.steer(OpenLevel(level=1))
    view = room.view(Seat.A)
    return view.model_copy(update={"clock": SetTime(left=left, running=running, last=last)})


def test_the_lines_say_the_time_left_in_plain_words() -> None:
    assert set_line(SetTime(left=754.2, running=True, last=False), 754.2) == (
        "Time left in this set: 12:35"
    )
    assert set_line(SetTime(left=61, running=False, last=True), 61) == (
        "Time left in the last set: 1:01 (the clock is paused)"
    )
    assert notice_line(SetTime(left=120, running=True, last=True)) == (
        "Two minutes left in the session. No rush: finish the turn you are on."
    )


async def test_it_counts_down_between_views_and_gives_the_notice_once_at_two_minutes() -> None:
    clock = SetClock()
    app = WidgetHost(clock)
    async with app.run_test(size=(80, 5)) as pilot:
        assert not clock.display  # no clock has started
        clock.view = clocked_view(121.5)
        await pilot.pause()
        assert clock.display and "2:02" in str(clock.render())
        assert not app._notifications
        deadline = asyncio.get_running_loop().time() + 6
        while "1:59" not in str(clock.render()):  # it counts down by itself
            assert asyncio.get_running_loop().time() < deadline, str(clock.render())
            await pilot.pause(0.1)
        notices = [n.message for n in app._notifications]
        assert notices == [notice_line(SetTime(left=0, running=True, last=False))]
        clock.view = clocked_view(100.0)  # a later view of the same set: no second notice
        await pilot.pause()
        assert "1:40" in str(clock.render()) and len(list(app._notifications)) == 1


async def test_a_paused_clock_stands_still() -> None:
    clock = SetClock()
    app = WidgetHost(clock)
    async with app.run_test(size=(80, 5)) as pilot:
        clock.view = clocked_view(90.0, running=False)
        await pilot.pause(1.2)
        assert str(clock.render()) == "Time left in this set: 1:30 (the clock is paused)"
        assert not app._notifications


def test_the_progress_line_says_a_move_on_the_clock_waits_for_the_turn_to_end() -> None:
    room = set_up_room(make_deck())
    room.steer(OpenLevel(level=1, moves=True))
    sharer = room.state.sharer
    room.submit(sharer, Draw())  # mid-turn, the clock opens level 2: the pair moves after it
    room.steer(OpenLevel(level=2, moves=True))
    ticking = SetTime(left=900, running=True, last=False)
    view = room.view(Seat.A).model_copy(update={"clock": ticking})
    assert (view.level, view.moving_to) == (1, 2)
    assert progress_line(view) == "You move to level 2 when this turn ends."
    room.submit(sharer, Share())
    room.submit(sharer.other, Respond())
    room.submit(sharer, MarkSupported())
    view = room.view(Seat.A).model_copy(update={"clock": ticking})
    assert (view.level, view.moving_to) == (2, None)
    assert progress_line(view) == "Level 3 opens for everyone on the clock."
    # In the last set no level opens any more: this is as deep as the game goes today.
    last = view.model_copy(update={"clock": ticking.model_copy(update={"last": True})})
    assert progress_line(last) == CEILING_REACHED
    # Never past the pair's limits: a move to level 3 under a ceiling of 2 stops at 2.
    capped = view.model_copy(update={"level": 1, "moving_to": 3, "ceiling": 2})
    assert progress_line(capped) == "You move to level 2 when this turn ends."
    at_ceiling = view.model_copy(update={"ceiling": 2})
    assert progress_line(at_ceiling) == CEILING_REACHED


def test_the_progress_line_without_the_clock_is_the_usual_rule_or_the_facilitators_word() -> None:
    room = set_up_room(make_deck())
    assert progress_line(room.view(Seat.A)) == (
        "Level 2 opens when each of you has been met with support 2 times here:"
    )
    room.steer(OpenLevel(level=1))
    assert progress_line(room.view(Seat.A)) == (
        "Level 2 opens for everyone when your facilitator says so."
    )
