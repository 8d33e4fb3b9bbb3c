"""A QR code for one of the game's web links, dark on light whatever the theme, so that a
phone's camera can read it from the screen."""

from __future__ import annotations

from textual.widgets import Static

from reciprocity.qr import qr_lines


class QRCode(Static):
    """The QR code of a web address (which the game's pages take in either case)."""

    DEFAULT_CSS = """
    QRCode {
        width: auto;
        height: auto;
        color: black;
        background: white;
    }
    """

    def __init__(self, url: str, *, id: str | None = None) -> None:
        """The code for `url`."""
        super().__init__(self._draw(url), markup=False, id=id)
        self.url = url

    def show(self, url: str) -> None:
        """Show the code for another address."""
        self.url = url
        self.update(self._draw(url))

    @staticmethod
    def _draw(url: str) -> str:
        return "\n".join(qr_lines(url, capitals=True))
