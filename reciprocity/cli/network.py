"""`reciprocity host` and `reciprocity join`: take a seat at a relay, then open the app."""

from __future__ import annotations

import argparse
import asyncio
from contextlib import AsyncExitStack

from reciprocity import DEFAULT_DECK
from reciprocity.cli.web import code_link, print_link, relay_here, start_web
from reciprocity.deck_files import find_deck
from reciprocity.engine.names import MAX_NAME
from reciprocity.net.choices import HostChoice, JoinChoice
from reciprocity.net.codes import DEFAULT_RELAY, check_code, join_url
from reciprocity.net.core import RelayError
from reciprocity.net.dialing import dial
from reciprocity.net.hosting import (
    LocalRelay,
    NetworkGame,
    open_game,
    resume_game,
)
from reciprocity.tui.app import ReciprocityApp


def network_command(args: argparse.Namespace) -> int:
    """Take a seat, then open the app.

    A relay that cannot be reached, a wrong code or a port in use ends here with one line.
    Without `--name` the app asks for the name first, and shows any refusal on screen.
    """
    return asyncio.run(_network(args))


async def _network(args: argparse.Namespace) -> int:
    async with AsyncExitStack() as web_page:  # `--web`'s page stops when the game ends
        return await _seat(args, web_page)


async def _seat(args: argparse.Namespace, web_page: AsyncExitStack) -> int:
    if args.resume:
        resumed = await resume_game(aloud=args.aloud)
        relay_url = resumed.relay.url if resumed.relay else resumed.connection.url
        web = await start_web(args, getattr(args, "web_host", ""), relay_url)
        if web is not None:
            web_page.push_async_callback(web.close)
            resumed.web = web.url
            print_link(code_link(web), "Your partner can come back from a browser at")
        return await _play(ReciprocityApp(network=resumed))
    choice: HostChoice | JoinChoice
    relay: LocalRelay | None = None
    name = " ".join((args.name or "").split())
    if len(name) > MAX_NAME:
        raise RelayError(f"please keep the name to {MAX_NAME} characters")
    if args.command == "host":
        deck = find_deck(args.deck or DEFAULT_DECK)
        web = await start_web(args, args.web_host, args.relay or relay_here("", args.port))
        if web is not None:
            web_page.push_async_callback(web.close)
        if args.relay is None:
            relay = await LocalRelay.start(args.port, deck)
        checkin = not args.no_checkin
        url = web.url if web else None
        choice = HostChoice(deck, name, args.relay, checkin, args.aloud, args.port, url)
    elif args.code is None:
        raise RelayError("please give the code your partner read out, such as 7-amber-harbor")
    else:
        code = check_code(args.code)
        choice = JoinChoice(code, name, args.relay or DEFAULT_RELAY, aloud=args.aloud)
    game: NetworkGame | None = None
    try:
        if name:
            handed, relay = relay, None
            game = await open_game(choice, handed)
        elif relay is None:
            assert choice.relay is not None
            await (await dial(choice.relay, timeout=10)).close()
    except BaseException:
        if relay is not None:
            await relay.close()
        raise
    if isinstance(choice, HostChoice) and choice.web is not None:
        link = join_url(choice.web, game.code if game is not None else None)
        print_link(link, "Your partner can join from a browser at")
    return await _play(
        ReciprocityApp(network=game, network_form=None if game else choice, relay=relay)
    )


async def _play(app: ReciprocityApp) -> int:
    crashed = True
    try:
        await app.run_async()
        crashed = bool(app.return_code)  # Textual shows an error and returns 1 after one
    finally:
        await app.leave_network(crashed=crashed)
    return app.return_code or 0
