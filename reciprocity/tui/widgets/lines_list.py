"""The list of topics a partner may leave out, where ticked and unticked read without colour."""

from __future__ import annotations

from rich.segment import Segment
from textual.strip import Strip
from textual.widgets import SelectionList
from textual.widgets._toggle_button import ToggleButton
from textual.widgets.option_list import OptionDoesNotExist


class LinesList(SelectionList[str]):
    """A SelectionList whose unticked boxes are empty: Textual draws an X in every box and
    tells them apart by colour alone."""

    def render_line(self, y: int) -> Strip:
        """The line as Textual draws it, with the X taken out of an unticked box."""
        strip = super().render_line(y)
        try:
            selection = self.get_option_at_index(self.scroll_offset.y + y)
        except OptionDoesNotExist:
            return strip
        if selection.value in self.selected:
            return strip
        segments = list(strip)
        if len(segments) > 1 and segments[1].text == ToggleButton.BUTTON_INNER:
            segments[1] = Segment(" " * len(ToggleButton.BUTTON_INNER), segments[1].style)
        return Strip(segments, strip.cell_length)
