"""Pilot tests for the rough edges a new player met at 80 by 24 (issue 18, "The screens")."""

from __future__ import annotations

from test_tui_game import SIZE, at_table, table_app, until
from test_tui_markup import shown

from reciprocity.engine import Seat
from reciprocity.tui.screens.table import TableScreen
from reciprocity.tui.screens.whose import WhoseScreen, partner_keys


def test_partner_keys_are_first_letters_or_numbers() -> None:
    assert partner_keys({Seat.A: "Sam", Seat.B: "Ben"}) == {Seat.A: "s", Seat.B: "b"}
    assert partner_keys({Seat.A: "Sam", Seat.B: "sue"}) == {Seat.A: "1", Seat.B: "2"}
    assert partner_keys({Seat.A: "Ёжик", Seat.B: "Ben"}) == {Seat.A: "1", Seat.B: "2"}


async def test_whose_limit_names_the_partners_and_escape_cancels() -> None:
    app = table_app()
    async with app.run_test(size=SIZE) as pilot:
        await at_table(pilot)
        await pilot.press("ctrl+l")
        await until(pilot, WhoseScreen)
        footer = shown(pilot)
        assert "s Sam" in footer and "b Ben" in footer and "esc Cancel" in footer
        assert "y Yes" not in footer
        await pilot.press("escape")
        await until(pilot, TableScreen)
        await pilot.pause(0.2)
        assert isinstance(app.screen, TableScreen)
        assert app.views[Seat.A].me.limit == 3 and app.views[Seat.B].me.limit == 3
