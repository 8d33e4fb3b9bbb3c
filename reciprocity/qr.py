"""QR codes for the game's links, drawn with segno: as inline SVG for a page a phone reads
(the facilitator's slips), and as lines of text for a terminal (the web page's link).

A terminal draws two rows of modules in each line of text with half blocks, so a version-2
code (25 modules, with a quiet zone of 2) takes 15 lines and 29 columns.
"""

from __future__ import annotations

import segno

#: The quiet zone around a terminal's code, in modules: scanners want some; a terminal has
#: few lines.
BORDER = 2

_BLOCKS = {(False, False): " ", (True, False): "▀", (False, True): "▄", (True, True): "█"}


def qr_svg(payload: str) -> str:
    """`payload` as a QR code (medium error correction), an `<svg>` element that scales to
    the size its page gives it."""
    return str(segno.make_qr(payload, error="m").svg_inline(omitsize=True, svgclass="qr"))


def qr_code(text: str, *, capitals: bool = False) -> segno.QRCode:
    """The QR code for `text`. With `capitals`, a web address is carried in capital letters,
    which QR codes hold in fewer modules (alphanumeric mode); only for addresses whose server
    takes either case, as the game's web pages do."""
    return segno.make(text.upper() if capitals else text, boost_error=False)


def qr_lines(text: str, *, capitals: bool = False, ink: bool = True) -> list[str]:
    """The QR code for `text` as lines of half blocks, with its quiet zone.

    With `ink`, the blocks draw the dark modules: show them dark on a light background. Without
    it they draw the light modules and the quiet zone, for light text on a dark terminal.
    """
    code = qr_code(text, capitals=capitals)
    rows = [[bool(module) == ink for module in row] for row in code.matrix_iter(border=BORDER)]
    if len(rows) % 2:
        rows.append([not ink] * len(rows[0]))
    return [
        "".join(_BLOCKS[top, bottom] for top, bottom in zip(upper, lower, strict=True))
        for upper, lower in zip(rows[::2], rows[1::2], strict=True)
    ]
