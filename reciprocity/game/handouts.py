"""The facilitator's printable slips: one page of HTML, one slip per pair, cut lines between.

Each slip holds the pair's number, their code, the exact line they type to join (the same
line the dashboard shows, with the code filled in) and a QR code: of the browser address,
when the pair has one, else of the join line. A code is the pair's password, so the page
says to keep the slip.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path

from reciprocity.game.facilitation import join_line
from reciprocity.game.session_export import write_file
from reciprocity.qr import qr_svg


@dataclass(frozen=True, slots=True)
class Slip:
    """One pair's slip: their number, code and join line, and the address of their browser
    join when there is one (its QR code is then that address)."""

    number: int
    code: str
    join: str
    url: str | None = None

    @property
    def payload(self) -> str:
        """What the slip's QR code holds."""
        return self.url if self.url is not None else self.join


def slips(
    codes: Mapping[int, str],
    relay: str,
    *,
    aloud: bool = False,
    urls: Mapping[int, str] | None = None,
) -> list[Slip]:
    """A slip for each pair (`codes` by number), joining through `relay`; `urls`, by number,
    the pairs' browser addresses, if any."""
    urls = urls or {}
    return [
        Slip(number, code, join_line(relay, code, aloud=aloud), urls.get(number))
        for number, code in codes.items()
    ]


_STYLE = """
body { font-family: Georgia, "Times New Roman", serif; color: #000; background: #fff;
       margin: 1.5rem auto; max-width: 46rem; line-height: 1.4; }
header { margin-bottom: 1rem; }
h1 { font-size: 1.3rem; margin: 0 0 .3rem; }
header p { margin: 0; }
.slip { display: flex; gap: 1.2rem; align-items: center; padding: 1rem .5rem;
        border-bottom: 1.5px dashed #000; break-inside: avoid; page-break-inside: avoid; }
.slip:first-of-type { border-top: 1.5px dashed #000; }
.words { flex: 1; min-width: 0; }
h2 { font-size: 1.2rem; margin: 0 0 .4rem; }
.code { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 1.5rem;
        font-weight: bold; letter-spacing: .03em; margin: 0 0 .5rem; }
.join { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: .8rem;
        overflow-wrap: break-word; border: 1px solid #000; padding: .3rem .45rem; margin: 0; }
.join span { white-space: nowrap; }
.type { margin: 0 0 .2rem; }
.note { font-size: .85rem; margin: .4rem 0 0; }
figure { margin: 0; text-align: center; font-size: .75rem; }
svg.qr { width: 1.35in; height: 1.35in; display: block; }
@media print {
  body { margin: 0; max-width: none; }
  header { display: none; }
  @page { margin: 12mm; }
}
"""


def handouts_html(pairs: Sequence[Slip], *, title: str, aloud: bool = False) -> str:
    """The printable page: a slip for each pair of a session playing `title`. With `aloud`,
    each slip says the pair talks aloud."""
    count = f"{len(pairs)} pair{'s' * (len(pairs) != 1)}"
    head = (
        f"<header><h1>Reciprocity · {escape(title)} · {count}</h1>"
        "<p>Print this page, cut along the dashed lines, and give each pair their slip. "
        "Each code works for one pair only.</p></header>"
    )
    body = "\n".join(_slip(slip, title, aloud) for slip in pairs)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>Reciprocity · {escape(title)} · slips</title>\n<style>{_STYLE}</style>\n"
        f"</head>\n<body>\n{head}\n{body}\n</body>\n</html>\n"
    )


def _slip(slip: Slip, title: str, aloud: bool) -> str:
    # Each word stays whole: a line breaks only between words, never inside `--relay`.
    join = " ".join(f"<span>{escape(word)}</span>" for word in slip.join.split(" "))
    scan = "Or scan to play in a browser" if slip.url else "The join line, as a QR code"
    how = (
        "Sitting together, you answer each other aloud: your screens leave out the typing line."
        if aloud
        else "Each of you types this line on your own computer."
    )
    return (
        '<section class="slip">\n<div class="words">\n'
        f"<h2>Pair {slip.number} · {escape(title)}</h2>\n"
        f'<p class="code">{escape(slip.code)}</p>\n'
        f'<p class="type">Both of you type:</p>\n<p class="join">{join}</p>\n'
        f'<p class="note">{how}</p>\n'
        '<p class="note"><strong>Keep this slip for your pair:</strong> the code is your '
        "pair's key, so please don't show it to others.</p>\n</div>\n"
        f"<figure>{qr_svg(slip.payload)}<figcaption>{scan}</figcaption></figure>\n</section>"
    )


def write_handouts(path: Path, pairs: Sequence[Slip], *, title: str, aloud: bool) -> None:
    """Write the slips to `path`, owner-only (the codes are the pairs' passwords)."""
    write_file(path, handouts_html(pairs, title=title, aloud=aloud), "the slips")
