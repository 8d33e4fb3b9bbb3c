"""Text fitted to terminal cells, in the one place that does it."""

from __future__ import annotations

from reciprocity.text import fit, fit_pair, plural


def test_fit_counts_cells_not_characters() -> None:
    assert fit("Sam", 3) == "Sam"
    assert fit("Samantha", 5) == "Sama…"
    assert fit("智子さん", 5) == "智子…"  # two cells a character
    assert fit("anything", 0) == ""


def test_partner_names_shorten_each_so_both_show() -> None:
    assert fit_pair("Sam", "Ben", 20) == "Sam & Ben"
    assert fit_pair("Alexandra", "Benjamin", 15) == "Alexa… & Benja…"
    assert fit_pair("Alexandra", "Jo", 10) == "Alex… & Jo"
    assert fit_pair("智子さん", "Ben", 10) == "智… & Ben"  # 智子 and … would be 5 cells


def test_plural() -> None:
    assert plural(1, "game") == "1 game"
    assert plural(3, "game") == "3 games"
    assert plural(2, "pass", "passes") == "2 passes"
