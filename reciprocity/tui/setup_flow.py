"""The private set-up: each partner's limit, lines and check-in, unseen by the other.

On a shared terminal each private step comes after a hand-off screen; over the network the
one seat here takes its steps alone. The closing flow uses the same check-in.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from reciprocity.engine import CheckIn, Phase, Seat, SetLimit
from reciprocity.tui.screens.handoff import HandoffScreen
from reciprocity.tui.screens.waiting import WaitingScreen

if TYPE_CHECKING:
    from textual.app import App

    from reciprocity.deck import Deck
    from reciprocity.net.connection import Connection
    from reciprocity.net.hosting import NetworkGame
    from reciprocity.seat_view import SeatView
    from reciprocity.tui.screens.limits import LimitChoice


class SetUpFlow:
    """The private steps of the seats played through `connection`, on `app`'s screens."""

    def __init__(
        self,
        app: App[Any],
        connection: Connection,
        deck: Deck | None,
        view_of: Callable[[Seat], SeatView | None],
    ) -> None:
        """`view_of(seat)` is the latest view of a seat played here. `deck` is needed only
        to choose a limit (a joiner may have none until the partner is there)."""
        self.app = app
        self.connection = connection
        self.deck = deck
        self.view_of = view_of

    @property
    def shared(self) -> bool:
        """True when both partners play at this keyboard, so private steps need a hand-off."""
        return len(self.connection.seats) > 1

    async def on_own_screen(
        self,
        seat: Seat,
        view: SeatView,
        follow: Callable[[WaitingScreen], WaitingScreen],
    ) -> None:
        """One seat's private steps on its own screen (no hand-offs), then a calm wait while
        the partner makes theirs; `follow` binds a waiting screen to the game."""
        name, partner = view.name(seat), view.name(seat.other)
        if view.me.limit is None:
            await self.choose_limit(seat, name)
        if view.checkin and not view.partner(seat).checked_in:
            await self.check_in(seat, name, partner, after=False, handoff=False)
        now = self.view_of(seat)
        if now is not None and now.phase is Phase.SETUP:
            waiting = WaitingScreen(
                f"Waiting for {partner}…",
                f"{partner} is choosing, privately, how deep to go today. "
                "The first card comes when you are both ready.",
                until=lambda view: view.phase is not Phase.SETUP,
            )
            await self.app.push_screen_wait(follow(waiting))

    async def partner_joined(
        self,
        game: NetworkGame,
        wait_for_view: Callable[[Callable[[SeatView], bool]], Awaitable[SeatView]],
        follow: Callable[[WaitingScreen], WaitingScreen],
    ) -> bool:
        """Over the network: wait, on a calm screen, until the partner has taken their seat;
        False when this seat leaves instead."""
        other = game.connection.seat.other

        def joined(view: SeatView) -> bool:
            return view.partner(other).name is not None

        if joined(await wait_for_view(lambda view: True)):
            return True
        if game.invite is not None:
            waiting = WaitingScreen.for_partner_to_join(game, joined)
        else:  # the first of a pair to join a facilitated session's room
            waiting = WaitingScreen(
                "Waiting for your partner…",
                "Your partner joins with this code.",
                until=joined,
                code=game.code,
                leave="Leave",
            )
        left: bool = await self.app.push_screen_wait(follow(waiting))
        return not left

    async def at_one_keyboard(self, names: tuple[str, str], checkin: bool) -> None:
        """Each partner, in turn and unseen, chooses a limit, lines and a check-in."""
        for seat, name, partner in zip(Seat, names, names[::-1], strict=True):
            await self.choose_limit(seat, name)
            if checkin:
                await self.check_in(seat, name, partner, after=False, handoff=False)
        await self.app.push_screen_wait(
            HandoffScreen(
                "Both of you are set.",
                "Your choices are hidden. Sit together and press Enter to begin.",
            )
        )

    async def choose_limit(self, seat: Seat, name: str) -> None:
        """A partner's private limit and lines (on a shared terminal, after a hand-off)."""
        from reciprocity.tui.screens.limits import LimitScreen

        assert self.deck is not None
        if self.shared:
            await self.app.push_screen_wait(HandoffScreen.for_partner(name))
        view = self.view_of(seat)
        assert view is not None
        choice: LimitChoice | None = None
        while choice is None:
            choice = await self.app.push_screen_wait(
                LimitScreen(name, self.deck, view.me.limit, view.me.lines)
            )
            if choice is None and view.me.limit is not None:
                return
        self.connection.send(seat, SetLimit(limit=choice.limit, lines=choice.lines))

    async def check_in(
        self, seat: Seat, name: str, partner: str, *, after: bool, handoff: bool, lead: str = ""
    ) -> None:
        """A partner's place on the closeness circles, before play or `after` it; the hand-off
        says `lead` (what just happened) first."""
        from reciprocity.tui.screens.checkin import CheckInScreen

        if handoff:
            await self.app.push_screen_wait(HandoffScreen.for_partner(name, lead))
        score: int | None = await self.app.push_screen_wait(
            CheckInScreen(name, after=after, partner=partner)
        )
        self.connection.send(seat, CheckIn(score=score))


def deck_for(view: SeatView) -> Deck:
    """The deck of a game played over the network, for choosing a limit and lines.

    It is this machine's copy when it has the same deck, or else an outline made from the
    view: the levels by name, and the deck's topics to leave out.
    """
    from reciprocity.deck import Card, Deck, Level
    from reciprocity.deck_files import available_decks

    for entry in available_decks():
        deck = entry.deck
        if deck is None or deck.id != view.deck_id:
            continue
        if tuple(level.name for level in deck.levels) == view.level_names:
            return deck
    return Deck(
        id="partners-deck",
        title=view.deck_title,
        advance_after=view.advance_after,
        levels=tuple(
            Level(
                name=name,
                intent=f"level {n} of {view.depth}",
                cards=(Card(id=f"level-{n}", text=name, tags=view.tags),),
            )
            for n, name in enumerate(view.level_names, start=1)
        ),
    )
