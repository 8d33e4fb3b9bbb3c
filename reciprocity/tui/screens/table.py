"""The table: the card, where the pair stands, and every action of the turn as a key."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, Static

from reciprocity.engine import (
    IN_PLAY,
    Command,
    Draw,
    End,
    Felt,
    Forgive,
    LetGo,
    MarkStung,
    MarkSupported,
    NameHurt,
    NotYet,
    Outcome,
    Pass,
    Pause,
    Phase,
    Repair,
    Respond,
    Seat,
    Share,
    turn_actor,
)
from reciprocity.net.connection import MAX_WORDS
from reciprocity.tui import messages
from reciprocity.tui.widgets.card import OPENERS, CardPanel
from reciprocity.tui.widgets.say_input import SayInput
from reciprocity.tui.widgets.set_clock import SetClock
from reciprocity.tui.widgets.standing import Standing

if TYPE_CHECKING:
    from reciprocity.seat_view import SeatView


#: Each step of a turn: its action, and the command it sends.
_TURN_ACTIONS: dict[str, Command] = {
    "share": Share(),
    "pass_card": Pass(),
    "respond": Respond(),
    "stung": MarkStung(),
    "name_hurt": NameHurt(),
    "repair": Repair(),
    "let_go": LetGo(),
    "forgive": Forgive(),
    "not_yet": NotYet(),
}

#: The other actions, and the command each needs to be legal for a seat here.
_NEEDS = {
    "draw": "draw",
    "draw_lighter": "draw",
    "draw_deeper": "draw",
    "supported": "mark_supported",
    "felt": "mark_supported",
    "opener": "respond",
    "pause": "pause",
    "limit": "set_limit",
    "end": "end",
}

_FELT_KEYS = {"u": Felt.UNDERSTOOD, "a": Felt.ACCEPTED, "c": Felt.CARED_FOR}


class TableScreen(Screen[None]):
    """Where the game is played, for the `seats` at this screen.

    The app binds `view` (the first seat's), `views` (each seat's), `banner` and `aloud`
    down to it; the screen posts what the seats here do as messages.
    """

    Act: TypeAlias = messages.Act
    Speak: TypeAlias = messages.Speak
    ChangeLimit: TypeAlias = messages.ChangeLimit

    BINDINGS = [
        Binding("d", "draw", "Draw a card"),
        Binding("l", "draw_lighter", "Lighter card"),
        Binding("k", "draw_deeper", "Deeper card"),
        Binding("s", "share", "I've shared"),
        Binding("p", "pass_card", "Pass"),
        Binding("r", "respond", "I've responded"),
        Binding("y", "supported", "I felt supported"),
        Binding("x", "stung", "That stung"),
        Binding("u", "felt('u')", "Understood", show=False),
        Binding("a", "felt('a')", "Accepted", show=False),
        Binding("c", "felt('c')", "Cared for", show=False),
        Binding("h", "name_hurt", "I've said it"),
        Binding("m", "repair", "I've repaired"),
        Binding("g", "let_go", "Let it go"),
        Binding("f", "forgive", "I forgive you"),
        Binding("w", "not_yet", "Not yet"),
        *(Binding(str(n), f"opener({n})", f"Opener {n}", show=False) for n in range(1, 5)),
        Binding("t", "type", "Type"),
        Binding("z", "pause", "Pause"),
        Binding("ctrl+l", "limit", "My limit", show=False),
        Binding("e", "end", "End game"),
    ]

    view: reactive[SeatView | None] = reactive(None, bindings=True)
    views: reactive[dict[Seat, SeatView]] = reactive(dict, bindings=True)
    #: A line about the network, such as "Ben is reconnecting…", or None when all is well.
    banner: reactive[str | None] = reactive(None)
    #: True when the partners talk aloud on a call, so no typing line is offered.
    aloud: reactive[bool] = reactive(False, bindings=True)
    felt: reactive[frozenset[Felt]] = reactive(frozenset(), bindings=True)

    def __init__(self, seats: tuple[Seat, ...], earlier: tuple[tuple[Seat, str], ...] = ()) -> None:
        """A table for the seats played at this screen: both on a shared terminal. `earlier`
        are words that arrived before the table was up (as when coming back to a game)."""
        super().__init__()
        self.seats = seats
        self._earlier = earlier
        # Kept here rather than queried: under load, a container's children can mount after
        # the screen's own Mount, and the words must never wait on that.
        # Imported here: `RichLog` brings `rich.pretty` and `attrs` (about 50 ms), which the
        # first screen does not show, and the app imports this module to route its messages.
        from textual.widgets import RichLog

        self.words = RichLog(id="words", wrap=True, markup=False, max_lines=200)
        self.say = SayInput(placeholder="", id="say", max_length=MAX_WORDS)
        self.words.display = self.say.display = False

    def compose(self) -> ComposeResult:
        """The standing, the card, the prompt, the words and the notice line."""
        yield Static("", id="banner", markup=False)
        yield Label("", id="table-title", classes="title", markup=False)
        yield Standing(id="standing").data_bind(TableScreen.view)
        yield SetClock(id="set-clock").data_bind(TableScreen.view)
        yield CardPanel(id="card").data_bind(TableScreen.view)
        yield Static("", id="prompt", markup=False)
        with Vertical(id="words-box"):
            yield self.words
            yield self.say
        yield Static("", id="notice", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        """Show the table as it is now."""
        self.watch_banner(self.banner)
        self._follow(None, self.view)
        self.call_after_refresh(self._show_earlier)

    def _show_earlier(self) -> None:
        for seat, text in self._earlier:
            self.show_words(seat, text)

    def watch_banner(self, text: str | None) -> None:
        """Show the network's line at the top, or nothing when all is well."""
        if not self.is_mounted:
            return
        banner = self.query_one("#banner", Static)
        banner.update(text or "")
        banner.display = bool(text)

    def watch_aloud(self) -> None:
        """Show the prompt and the keys for typed answers or talking aloud, as now chosen."""
        if not self.is_mounted:
            return
        if self.aloud:
            self.say.display = False
        if self.view is not None:
            self.query_one("#prompt", Static).update(self._prompt(self.view))

    # --- following the game ------------------------------------------------------------

    def watch_view(self, previous: SeatView | None, view: SeatView | None) -> None:
        """Follow the game as the first seat here sees it."""
        if self.is_mounted:
            self._follow(previous, view)

    def _follow(self, previous: SeatView | None, view: SeatView | None) -> None:
        if view is None:
            return
        new_card = view.card is not None and (previous is None or previous.card != view.card)
        if new_card or (previous is not None and previous.turns != view.turns):
            words = self.words
            words.clear()
            words.display = False
            self.felt = frozenset()
        self.query_one("#table-title", Label).update(f"Reciprocity · {view.deck_title}")
        self.query_one("#prompt", Static).update(self._prompt(view))
        self.query_one("#notice", Static).update(view.notice or "")
        say = self.say
        speaker = self._speaker(view)
        say.placeholder = (
            f"{view.name(speaker)} types… (Enter sends, Escape hides)" if speaker else ""
        )
        if view.paused and (previous is None or not previous.paused):
            self._show_pause()
        if view.last_outcome is Outcome.NOT_YET and (previous is None or previous.seq != view.seq):
            self._offer_pause()

    def _prompt(self, view: SeatView) -> str:
        sharer, listener = view.name(view.sharer), view.name(view.sharer.other)
        mine = self._acting_here(view)
        waiting = {
            Phase.DRAW: f"Waiting for {sharer} to draw a card.",
            Phase.SHARE: f"{sharer} is sharing.",
            Phase.RESPOND: f"{listener} is responding.",
            Phase.LAND: f"{sharer} is saying how the response landed.",
            Phase.NAME_HURT: f"{sharer} is saying how it felt.",
            Phase.REPAIR: f"{listener} is thinking about a repair.",
            Phase.FORGIVE: f"{sharer} is answering the repair.",
        }
        if view.phase not in IN_PLAY:
            return ""
        if view.held:
            return "Your facilitator has paused everyone. Take a breath together; it goes on soon."
        if not mine:
            return waiting[view.phase]
        if view.phase is Phase.DRAW:
            if not view.drawable:
                return "No cards are left for this game. Press e to end it, with thanks."
            draw = f"{sharer}, press d to draw a card from level {self._draw_level(view)}."
            lighter = self._other_level(view, lighter=True)
            if lighter is None:
                return draw
            return (
                f"{draw} Or l for a lighter card from level {lighter}: it is played like any "
                "other, but does not count toward going deeper."
            )
        if view.phase is Phase.SHARE:
            action = view.card is not None and view.card.kind == "action"
            what = "do it together" if action else "answer"
            how = ", aloud or typed (t)"
            if self.aloud:
                how = "" if action else " aloud"
            return (
                f"{sharer}, {what}{how}. Press s when you have, "
                "or p to pass. A pass is always free."
            )
        if view.phase is Phase.RESPOND:
            # Two openers a line, so that none is cut in the middle by wrapping.
            items = [f"{n} “{text}”" for n, text in enumerate(OPENERS, start=1)]
            pairs = ["  ".join(items[i : i + 2]) for i in range(0, len(items), 2)]
            how = "aloud" if self.aloud else "aloud or typed"
            return f"{listener}, respond to {sharer}, {how}. Openers:\n" + "\n".join(pairs)
        if view.phase is Phase.LAND:
            ticks = ", ".join(f.value.replace("_", " ") for f in Felt if f in self.felt) or "none"
            return (
                f"{sharer}, how did {listener}'s response land? Only you can say. If they fit, "
                f"tick understood (u), accepted (a), cared for (c). Ticked: {ticks}."
            )
        return {
            Phase.NAME_HURT: "Press h when you have said it.",
            Phase.REPAIR: "Press m when you have made your repair, or g to let it go.",
            Phase.FORGIVE: "Press f to forgive, or w for not yet.",
        }[view.phase]

    # --- who acts ------------------------------------------------------------------------

    def _acting_here(self, view: SeatView) -> bool:
        return turn_actor(view.phase, view.sharer) in self.seats

    def _speaker(self, view: SeatView) -> Seat | None:
        """Who is typing: on a shared terminal, whoever acts now; else this screen's seat."""
        if len(self.seats) == 1:
            return self.seats[0]
        return turn_actor(view.phase, view.sharer)

    def _may(self, command: str) -> Seat | None:
        """The seat here that may send a command of this type now, as the rules say."""
        for seat in self.seats:
            view = self.views.get(seat)
            if view is not None and command in view.legal:
                return seat
        return None

    def _send(self, command: Command) -> None:
        seat = self._may(command.type)
        if seat is not None:
            self.post_message(self.Act(seat, command))

    # --- bindings ------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Show only the keys for commands the rules allow the seats here now."""
        view = self.view
        if action == "type":
            return not self.aloud and view is not None and view.phase in IN_PLAY and not view.paused
        if action in _TURN_ACTIONS:
            return self._may(_TURN_ACTIONS[action].type) is not None
        if action not in _NEEDS:
            return True
        if view is None or self._may(_NEEDS[action]) is None:
            return False
        if action == "draw_lighter":
            return self._other_level(view, lighter=True) is not None
        if action == "draw_deeper":
            return self._other_level(view, lighter=False) is not None
        return True

    def _draw_level(self, view: SeatView) -> int:
        return view.level if view.level in view.drawable else view.drawable[0]

    def _other_level(self, view: SeatView, *, lighter: bool) -> int | None:
        default = self._draw_level(view) if view.drawable else view.level
        others = [lv for lv in view.drawable if (lv < default if lighter else lv > default)]
        if not others:
            return None
        return max(others) if lighter else min(others)

    def action_draw(self) -> None:
        """Draw from the current level (or the level on offer when it has run out)."""
        if self.view is not None and self.view.drawable:
            self._send(Draw(level=self._draw_level(self.view)))

    def action_draw_lighter(self) -> None:
        """Draw one level lighter, as a pass allows."""
        self._draw_other(lighter=True)

    def action_draw_deeper(self) -> None:
        """Draw from the next deeper level, when the current one has run out."""
        self._draw_other(lighter=False)

    def _draw_other(self, *, lighter: bool) -> None:
        if self.view is not None:
            level = self._other_level(self.view, lighter=lighter)
            if level is not None:
                self._send(Draw(level=level))

    def _turn_action(self, action: str) -> None:
        self._send(_TURN_ACTIONS[action])

    def action_share(self) -> None:
        """The sharer has shared."""
        self._turn_action("share")

    def action_pass_card(self) -> None:
        """Pass on this card."""
        self._turn_action("pass_card")

    def action_respond(self) -> None:
        """The listener has responded."""
        self._turn_action("respond")

    def action_stung(self) -> None:
        """The response stung."""
        self._turn_action("stung")

    def action_name_hurt(self) -> None:
        """The sharer has said how it felt."""
        self._turn_action("name_hurt")

    def action_repair(self) -> None:
        """The listener has repaired."""
        self._turn_action("repair")

    def action_let_go(self) -> None:
        """The listener lets it go."""
        self._turn_action("let_go")

    def action_forgive(self) -> None:
        """The sharer forgives."""
        self._turn_action("forgive")

    def action_not_yet(self) -> None:
        """The sharer is not ready to forgive."""
        self._turn_action("not_yet")

    def action_felt(self, key: str) -> None:
        """Tick or untick what the response gave."""
        self.felt = self.felt ^ {_FELT_KEYS[key]}
        if self.view is not None:
            self.query_one("#prompt", Static).update(self._prompt(self.view))

    def action_supported(self) -> None:
        """The sharer felt supported."""
        self._send(MarkSupported(felt=self.felt))

    def action_opener(self, number: int) -> None:
        """Say one of the ready-made openers."""
        listener = self._may("respond")
        if listener is not None and 1 <= number <= len(OPENERS):
            self.post_message(self.Speak(listener, OPENERS[number - 1]))

    def action_type(self) -> None:
        """Show the line for typed words and put the cursor in it."""
        if self.aloud:
            return
        say = self.say
        say.display = True
        say.focus()

    @on(Input.Submitted, "#say")
    def _typed(self, event: Input.Submitted) -> None:
        view = self.view
        speaker = self._speaker(view) if view is not None else None
        if speaker is not None and event.value.strip():
            self.post_message(self.Speak(speaker, event.value))
        event.input.clear()
        event.input.display = False
        self.set_focus(None)

    def action_hide_typing(self) -> None:
        """Hide the typing line."""
        say = self.say
        if say.has_focus:
            say.display = False
            self.set_focus(None)

    def show_words(self, seat: Seat, text: str) -> None:
        """Show a partner's words for this turn. They are never kept."""
        view = self.view
        name = view.name(seat) if view is not None else seat.value
        words = self.words
        words.display = True
        words.write(f"{name}: {text}")

    def action_pause(self) -> None:
        """Pause for both partners."""
        self._send(Pause())

    @work(group="table")
    async def action_limit(self) -> None:
        """Change a limit, privately, behind a hand-off screen."""
        from reciprocity.tui.screens.whose import WhoseScreen

        view = self.view
        if view is None or not self.seats:
            return
        seat: Seat | None = self.seats[0]
        if len(self.seats) == 2:
            names = {seat: view.name(seat) for seat in self.seats}
            seat = await self.app.push_screen_wait(WhoseScreen("Whose limit is changing?", names))
        if seat is not None:
            self.post_message(self.ChangeLimit(seat, view.name(seat)))

    @work(group="table")
    async def action_end(self) -> None:
        """End the game, after a gentle confirmation."""
        from reciprocity.tui.screens.confirm import ConfirmScreen

        view = self.view
        if view is None:
            return
        away = view.away if len(self.seats) == 1 else None
        question = "End the game here? No penalty, no questions."
        if away is not None:
            question = f"{away} is away. Close the game calmly, without waiting for {away}?"
        ended = await self.app.push_screen_wait(ConfirmScreen(question, yes="End", no="Stay"))
        if ended and self.seats:
            actor = turn_actor(view.phase, view.sharer)
            seat = actor if actor in self.seats else self.seats[0]
            self.post_message(self.Act(seat, End(partner_away=away is not None)))

    def _show_pause(self) -> None:
        from reciprocity.tui.screens.pause import PauseScreen

        view = self.view
        if view is not None:
            names = {seat: view.name(seat) for seat in Seat}
            self.app.push_screen(
                PauseScreen(names, self.seats).data_bind(TableScreen.view, TableScreen.views)
            )

    @work(group="table")
    async def _offer_pause(self) -> None:
        from reciprocity.tui.screens.confirm import ConfirmScreen

        pause = await self.app.push_screen_wait(
            ConfirmScreen("Would you like a pause together?", yes="Pause", no="Carry on")
        )
        if pause:
            self.action_pause()
