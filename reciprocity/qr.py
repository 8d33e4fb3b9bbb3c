"""QR codes as inline SVG, for a page a phone reads: `segno` draws them."""

from __future__ import annotations

import segno


def qr_svg(payload: str) -> str:
    """`payload` as a QR code (medium error correction), an `<svg>` element that scales to
    the size its page gives it."""
    return str(segno.make_qr(payload, error="m").svg_inline(omitsize=True, svgclass="qr"))
