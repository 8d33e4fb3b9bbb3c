"""The whole command line as argparse sees it, with help for every command.

Only argparse here: what each command does lives in its own module, imported when it runs.
"""

from __future__ import annotations

import argparse

from reciprocity_server.quotas import COMMANDS, CONNECTIONS, CREATES

from reciprocity import DEFAULT_DECK, __version__
from reciprocity.web import DEFAULT_PLAYERS, DEFAULT_WEB_PORT


def build_parser() -> argparse.ArgumentParser:
    """The whole command line, with help for every command."""
    parser = argparse.ArgumentParser(
        prog="reciprocity",
        description="A two-person conversation game: take turns sharing, meet each other "
        "with care, and go deeper together.",
    )
    parser.add_argument("--version", action="version", version=f"reciprocity {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    play = commands.add_parser("play", help="play on one shared terminal")
    _add_game_options(play)
    play.add_argument("--names", nargs=2, metavar=("A", "B"), help="the two partners' names")

    host = commands.add_parser(
        "host",
        help="host a game over the network and get a code for your partner",
        description="Host a game: shows a short code to pass to your partner. Starts a relay "
        "in this program unless --relay names one that already runs.",
    )
    _add_game_options(host)
    host.add_argument("--name", help="your name")
    host.add_argument("--relay", metavar="URL", help="a running relay, such as ws://host:8765")
    host.add_argument(
        "--port", type=_port, default=8765, help="port for the relay started here (default: 8765)"
    )
    host.add_argument("--aloud", action="store_true", help=_ALOUD_HELP)
    host.add_argument("--resume", action="store_true", help=_RESUME_HELP)
    _add_web_options(host, "your partner")
    host.add_argument(
        "--web-host",
        default="127.0.0.1",
        metavar="ADDRESS",
        help="address the web page listens on (default: 127.0.0.1, this computer only; "
        "0.0.0.0 for every address)",
    )

    join = commands.add_parser("join", help="join your partner's game with the code they gave")
    join.add_argument("code", metavar="CODE", nargs="?", help="the code, such as 7-amber-harbor")
    join.add_argument("--resume", action="store_true", help=_RESUME_HELP)
    join.add_argument("--name", help="your name")
    join.add_argument(
        "--relay", metavar="URL", help="the relay's address (default: ws://localhost:8765)"
    )
    join.add_argument("--aloud", action="store_true", help=_ALOUD_HELP)

    serve = commands.add_parser(
        "serve",
        help="run a relay for network games, with no screen; logs to stderr",
        description="Run the relay alone. It keeps outcomes in its database and never the "
        "words partners type.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument(
        "--port", type=_port_or_any, default=8765, help="port to listen on (0: any free port)"
    )
    serve.add_argument(
        "--db",
        metavar="PATH|URL",
        help="the relay's SQLite file (default: data folder), or a postgresql:// URL",
    )
    serve.add_argument(
        "--certfile",
        metavar="PEM",
        help="serve wss:// with this certificate chain (with --keyfile)",
    )
    serve.add_argument("--keyfile", metavar="PEM", help="the certificate's private key")
    serve.add_argument(
        "--trust-forwarded",
        action="store_true",
        help="count a client by the address in X-Forwarded-For, for connections from this "
        "machine only (a reverse proxy here sets it)",
    )
    serve.add_argument(
        "--idle-hours",
        type=_positive_hours,
        default=24.0,
        metavar="HOURS",
        help="close a game nobody has touched for this long (default: 24)",
    )
    serve.add_argument(
        "--creates-per-address",
        type=_positive_int,
        default=CREATES,
        metavar="N",
        help=f"new games one address (or IPv6 /64) may make per 10 minutes (default: {CREATES})",
    )
    serve.add_argument(
        "--connections-per-address",
        type=_positive_int,
        default=CONNECTIONS,
        metavar="N",
        help=f"connections one address may hold open at once (default: {CONNECTIONS})",
    )
    serve.add_argument(
        "--workers",
        type=_positive_int,
        default=1,
        metavar="N",
        help="run N relays on this machine behind Caddy, sharing a postgresql:// --db",
    )
    serve.add_argument(
        "--commands-per-second",
        type=_positive_int,
        default=COMMANDS,
        metavar="N",
        help=f"commands one seat may send per second (default: {COMMANDS})",
    )
    _add_web_options(serve, "players, on the address of --host")

    _add_facilitate_parser(commands)
    _add_deck_parser(commands)
    _add_history_parser(commands)
    return parser


_RESUME_HELP = (
    "go back to the network game this program was in when it stopped (no code needed); "
    "a host's relay comes back with it"
)
_ALOUD_HELP = "we're talking aloud (on a call): no typing line; ctrl+p switches back"


def _port(text: str) -> int:
    """A TCP port number, for argparse."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a port number") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port; choose one from 1 to 65535")
    return port


def _port_or_any(text: str) -> int:
    """A TCP port number, or 0 for any free port (the relay says which), for argparse."""
    return 0 if text.strip() == "0" else _port(text)


def _positive_hours(text: str) -> float:
    """A number of hours above zero, for argparse."""
    try:
        hours = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of hours") from None
    if not 0 < hours < 24 * 366:
        raise argparse.ArgumentTypeError("give a number of hours above 0 and below a year")
    return hours


_FACILITATE_EXAMPLES = """\
examples:
  reciprocity facilitate --deck fast-friends --pairs 12 --pace 15 --codes-out codes.txt
  reciprocity facilitate --deck my-workshop.toml --pairs 4 --totals-out totals.csv
  reciprocity facilitate --deck fast-friends --pairs 12 --handouts slips.html --aloud \
      --totals-out totals.csv --events-out turns.csv
  reciprocity facilitate --resume
"""


def _positive_int(text: str) -> int:
    """A whole number above zero, for argparse."""
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError("give a whole number above 0")
    return number


def _add_facilitate_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    """Add `facilitate --deck … --pairs N` to the command line."""
    facilitate = subparsers.add_parser(
        "facilitate",
        help="run a session for many pairs with a prepared deck, and watch it on a dashboard",
        description="Start a relay with one room per pair, bound to your deck, and open the "
        "dashboard. Each pair joins on their own terminals with their code. The dashboard "
        "shows levels, turns and outcomes: never their words, limits or lines.",
        epilog=_FACILITATE_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    facilitate.add_argument("--deck", help="deck id or path")
    facilitate.add_argument("--pairs", type=int, metavar="N", help="how many pairs (rooms) to make")
    facilitate.add_argument(
        "--resume",
        action="store_true",
        help="bring back the session this computer ran last, after a quit or a crash, with "
        "its codes, address and pace",
    )
    facilitate.add_argument("--host", help="address to listen on (default: every address)")
    facilitate.add_argument(
        "--port", type=_port_or_any, help="port (default: 8765; 0: any free port)"
    )
    facilitate.add_argument(
        "--pace",
        type=float,
        metavar="MINUTES",
        help="open the next level for everyone every MINUTES, from when every pair is seated "
        "or you press s (default: the deck's pace, from when you press s)",
    )
    # Hidden: a short pace in seconds, for tests and for trying a session out.
    facilitate.add_argument("--pace-seconds", type=float, help=argparse.SUPPRESS)
    facilitate.add_argument("--codes-out", metavar="FILE", help="write the codes, one a line")
    facilitate.add_argument(
        "--totals-out", metavar="FILE", help="write the totals CSV here on export and at the end"
    )
    facilitate.add_argument(
        "--events-out",
        metavar="FILE",
        help="write one CSV row per turn here on export and at the end, for research",
    )
    facilitate.add_argument(
        "--with-names",
        action="store_true",
        help="put the pairs' names in the totals and events files (default: pair numbers only)",
    )
    facilitate.add_argument(
        "--handouts",
        metavar="FILE",
        help="write a printable page of slips (HTML): each pair's code, join line and QR code",
    )
    facilitate.add_argument(
        "--aloud",
        action="store_true",
        help="pairs sit together and talk aloud: their join line adds --aloud (no typing line)",
    )
    _add_web_options(facilitate, "pairs, on the address of --host (default: this computer only)")


_DECK_EXAMPLES = """\
examples:
  reciprocity deck list
  reciprocity deck show first-steps --cards
  reciprocity deck new my-deck.toml
  reciprocity deck check my-deck.toml
"""


def _add_deck_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `deck list|show|check|schema|new` to the command line."""
    deck = subparsers.add_parser(
        "deck",
        help="list, preview, check and write decks",
        description="Work with decks: the shipped ones and your own.",
        epilog=_DECK_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    deck.set_defaults(deck_help=deck.format_help)
    actions = deck.add_subparsers(dest="deck_command", metavar="ACTION")
    actions.add_parser("list", help="the shipped decks and yours")
    show = actions.add_parser("show", help="preview a deck: its levels, notes and tags")
    show.add_argument("name", metavar="NAME|PATH", help="a deck id, or the path of a deck file")
    show.add_argument("--cards", action="store_true", help="print every card, level by level")
    check = actions.add_parser(
        "check",
        help="check deck files and say precisely what to fix",
        description="Check deck files. Prints `PATH: ok` for a good deck, and one line per "
        "problem for a broken one, naming the place and what to change. Warnings (such as "
        "a tag that is not a shared tag) do not fail the check. Exits 1 if any deck is broken.",
    )
    check.add_argument("paths", metavar="PATH", nargs="+", help="deck files to check")
    actions.add_parser("schema", help="print the JSON schema of a deck file, for editors")
    new = actions.add_parser("new", help="write a commented deck template to start from")
    new.add_argument("path", metavar="PATH", help="the file to write, such as my-deck.toml")


_HISTORY_EXAMPLES = """\
examples:
  reciprocity history
  reciprocity history --csv > games.csv
  reciprocity history delete 3f2a
  reciprocity history delete --all --yes
"""


def _add_history_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `history [--json|--csv]` and `history delete ID|--all [--yes]` to the command line."""
    history = subparsers.add_parser(
        "history",
        help="past games, their trends, exports, and deleting them",
        description="Past games on this machine, newest first, with trends across them. "
        "Only outcomes and counts are kept: never your words, limits or lines.",
        epilog=_HISTORY_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    export = history.add_mutually_exclusive_group()
    export.add_argument("--json", action="store_true", help="print every game as JSON")
    export.add_argument("--csv", action="store_true", help="print every game as CSV")
    actions = history.add_subparsers(dest="history_action", metavar="ACTION")
    delete = actions.add_parser(
        "delete",
        help="delete a game, or every game",
        description="Delete one game by its id (the start of it is enough), or every game.",
    )
    delete.add_argument("id", nargs="?", metavar="ID", help="the game's id, or its first letters")
    delete.add_argument("--all", action="store_true", help="delete every game")
    delete.add_argument("--yes", "-y", action="store_true", help="delete without asking")


def _add_game_options(parser: argparse.ArgumentParser) -> None:
    """The options every new game takes: its deck and whether to check in."""
    parser.add_argument("--deck", help=f"deck id or path (default: {DEFAULT_DECK})")
    parser.add_argument(
        "--no-checkin", action="store_true", help="skip the closeness check-in before and after"
    )


def _add_web_options(parser: argparse.ArgumentParser, who: str) -> None:
    """`--web [PORT]` and `--web-players N`: the same game in a browser, with nothing installed."""
    parser.add_argument(
        "--web",
        nargs="?",
        const=DEFAULT_WEB_PORT,
        type=_port,
        metavar="PORT",
        help=f"also serve the game as a web page for {who} to join from a browser "
        f"(port default: {DEFAULT_WEB_PORT})",
    )
    parser.add_argument(
        "--web-players",
        type=_positive_int,
        default=DEFAULT_PLAYERS,
        metavar="N",
        help=f"browser players the web page runs at once (default: {DEFAULT_PLAYERS})",
    )
