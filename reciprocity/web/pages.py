"""The web pages a browser sees around the game: the privacy note before anything is typed,
the page that holds the game's terminal, and the plain pages for a full server or a bad link.

Nothing here loads from another site: the fonts and the terminal's script come with
textual-serve and are served by this program.
"""

from __future__ import annotations

from html import escape

#: What playing in a browser means for privacy, said before anything is typed (and in
#: docs/security.md).
PRIVACY = (
    "You play in this browser, but the game itself runs on the computer that serves this page. "
    "The words you type are sealed there, not in your browser, so that computer could read "
    "them. The relay between you and your partner still cannot. What you type to your partner "
    "is never written down; a private note you choose to keep at the end is saved on that "
    "computer, not on yours."
)
#: The page and what you type travel unencrypted between the browser and that computer.
PLAIN_HTTP = (
    "This page is plain http: use it on a network you trust, such as the room you are in, or "
    "behind an https proxy."
)

_STYLE = """
@font-face { font-family: "Roboto Mono";
  src: url("/static/fonts/RobotoMono-VariableFont_wght.ttf"); }
html, body { margin: 0; height: 100%; background: #0f1a20; color: #eef2f3;
  font-family: system-ui, -apple-system, "Segoe UI", sans-serif; }
main { max-width: 34rem; margin: 0 auto; padding: 2rem 1.25rem; line-height: 1.5; }
h1 { font-size: 1.6rem; margin: 0 0 1rem; }
.code { font-family: "Roboto Mono", monospace; font-size: 1.4rem; color: #ffd27f;
  white-space: nowrap; }
.note { background: #182a33; border-left: 4px solid #ffd27f; padding: 0.75rem 1rem; }
.muted { color: #a9b8bf; font-size: 0.95rem; }
a.go { display: inline-block; margin-top: 1.25rem; padding: 0.8rem 1.4rem; border-radius: 6px;
  background: #ffd27f; color: #0f1a20; font-weight: 600; text-decoration: none; }
"""


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="data:,">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>\n"
    )


def welcome_page(code: str | None, play: str) -> str:
    """The first page of a link: whose game it is, the privacy note, and the way in."""
    if code:
        heading = "Join your partner's game"
        what = (
            f'<p>Your game\'s code is <span class="code">{escape(code)}</span>. '
            "It is filled in for you: you will only type your name.</p>"
        )
    else:
        heading = "Join a game of Reciprocity"
        what = "<p>You will type the code your partner or facilitator gave you, and your name.</p>"
    return _page(
        "Reciprocity",
        f"<h1>{heading}</h1>{what}"
        f'<p class="note" id="privacy"><strong>Before you type:</strong> {escape(PRIVACY)}</p>'
        f'<p class="muted">{escape(PLAIN_HTTP)}</p>'
        '<p class="muted">Closing this tab keeps your seat: open the same link again in this '
        "browser to come back to it.</p>"
        f'<a class="go" id="open" href="{escape(play)}">I understand, open the game</a>',
    )


def play_page(websocket: str) -> str:
    """The page that holds the game: textual-serve's terminal, as wide as the screen allows
    (the font shrinks on a phone so that 80 columns fit), and a reconnect note when it ends."""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,"><title>Reciprocity</title>
<link rel="stylesheet" href="/static/css/xterm.css">
<script src="/static/js/textual.js"></script>
<style>{_STYLE}
body {{ display: flex; flex-direction: column; overflow: hidden; }}
#privacy-line {{ flex: none; font-size: 12px; padding: 4px 8px; background: #182a33;
  color: #a9b8bf; overflow: hidden; white-space: nowrap; text-overflow: ellipsis; }}
#terminal {{ flex: 1 1 0; min-height: 0; overflow: hidden; }}
#ended {{ display: none; position: absolute; inset: 0; background: #0f1a20; }}
body.-closed #ended {{ display: block; }}
/* A phone zooms in on a text box whose font is under 16px: the terminal's hidden one. */
.xterm-helper-textarea {{ font-size: 16px !important; }}
</style></head>
<body>
<div id="privacy-line">Words you type are sealed on the computer serving this page, which
could read them; the relay cannot.</div>
<div id="terminal" class="textual-terminal" data-session-websocket-url=""
  data-font-size="16"></div>
<div id="ended"><main><h1>The game has closed in this tab</h1>
<p>Your seat is kept. Open the link again, in this browser, to come back to it.</p>
<a class="go" href="">Open it again</a></main></div>
<script>
  const terminal = document.getElementById("terminal");
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  terminal.dataset.sessionWebsocketUrl = scheme + "//" + location.host + {_js(websocket)};
  // 80 columns of Roboto Mono take about 48em: shrink the font on a narrow screen.
  terminal.dataset.fontSize = Math.max(8, Math.min(16, Math.floor(window.innerWidth / 49)));
</script>
</body></html>
"""


def _js(text: str) -> str:
    """A JavaScript string literal of `text` (which is a path this program made)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\u003c") + '"'


def full_page(players: int) -> str:
    """The page when every browser seat this computer offers is taken."""
    return _page(
        "Reciprocity: full",
        "<h1>No room for another browser just now</h1>"
        f"<p>This computer is already running the game for {players} browser "
        f"player{'s' * (players != 1)}, as many as it was started for. Try again in a little "
        "while, or ask whoever runs it to start it with more (<code>--web-players</code>).</p>",
    )


def problem_page(status: int, text: str) -> str:
    """A plain page for a link that leads nowhere, or a request this server cannot answer."""
    return _page("Reciprocity", f"<h1>{escape(text)}</h1><p class='muted'>({status})</p>")
