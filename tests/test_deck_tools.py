"""`reciprocity deck list|show|check|schema|new`, run through the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reciprocity.cli import main
from reciprocity.cli.deck import MAX_WIDTH
from reciprocity.deck import TAGS, deck_schema
from reciprocity.deck_files import available_decks, find_deck, shipped_decks_dir

DOCS = Path(__file__).resolve().parent.parent / "docs"
SCHEMA_FILE = DOCS / "deck.schema.json"

GOOD = """\
id = "small"
title = "A small deck"
description = "Two levels, four cards."
advance_after = 1

[[levels]]
name = "Light"
intent = "Easy things."

[[levels.cards]]
id = "a"
text = "What made you laugh this week?"

[[levels.cards]]
id = "c"
text = "Which song have you had in your head lately?"

[[levels]]
name = "Deeper"
intent = "Harder things."

[[levels.cards]]
id = "b"
kind = "action"
text = "Hold hands for a minute in silence."
tags = ["touch"]

[[levels.cards]]
id = "x"
kind = "question"
text = "What do you wish people asked you about more often?"
tags = ["fears"]
"""


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the command line; return the exit code, stdout and stderr."""
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def table_row(out: str, deck_id: str) -> str:
    rows = [line for line in out.splitlines() if line.split()[:1] == [deck_id]]
    assert len(rows) == 1, out
    return rows[0]


# --- deck list -------------------------------------------------------------------------


def test_list_shows_shipped_decks_user_decks_and_broken_ones(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    write(data_dir / "decks", "small.toml", GOOD)
    broken = write(data_dir / "decks", "broken.toml", 'id = "broken"\n')

    code, out, err = run(capsys, "deck", "list")

    assert code == 0
    assert err == ""
    lines = out.splitlines()
    assert lines[0].split() == ["DECK", "TITLE", "LEVELS", "CARDS", "FROM"]
    for entry in available_decks():
        if entry.shipped:
            assert entry.deck is not None
            row = table_row(out, entry.deck.id)
            assert row.split()[-3:] == [
                str(entry.deck.depth),
                str(entry.deck.card_count),
                "shipped",
            ]
    small = table_row(out, "small")
    assert "A small deck" in small
    assert small.split()[-3:] == ["2", "4", "yours"]
    assert "broken.toml (yours) has problems" in out
    assert f"reciprocity deck check {broken}" in out
    assert f"Your decks folder:\n  {data_dir / 'decks'}\n" in out
    table = lines[: lines.index("")]
    assert all(len(line) <= MAX_WIDTH for line in table)


def test_list_with_no_user_decks_says_how_to_start_one(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    code, out, _ = run(capsys, "deck", "list")

    assert code == 0
    assert "It is empty" in out
    assert f"reciprocity deck new {data_dir / 'decks' / 'my-deck.toml'}" in out


def test_list_notes_a_user_deck_that_reuses_a_shipped_id(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    write(data_dir / "decks", "mine.toml", GOOD.replace('id = "small"', 'id = "first-steps"'))

    code, out, _ = run(capsys, "deck", "list")

    assert code == 0
    assert "mine.toml (yours) has the same id as first-steps.toml" in " ".join(out.split())


def test_list_shortens_long_titles_to_fit(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    long_title = "A deck with a very long title that goes on and on about itself, for ever"
    write(data_dir / "decks", "long.toml", GOOD.replace("A small deck", long_title))

    code, out, _ = run(capsys, "deck", "list")

    assert code == 0
    row = table_row(out, "small")
    assert len(row) <= MAX_WIDTH
    assert "…" in row


# --- deck show -------------------------------------------------------------------------


def test_show_previews_a_shipped_deck(capsys: pytest.CaptureFixture[str]) -> None:
    deck = find_deck("after-betrayal")

    code, out, err = run(capsys, "deck", "show", "after-betrayal")

    assert code == 0
    assert err == ""
    flat = " ".join(out.split())
    assert out.startswith(deck.title + "\n")
    assert f"Deck id: {deck.id}" in flat
    assert f"Author: {deck.author}" in flat
    assert f"Going deeper: after {deck.advance_after} supported shares each at a level" in flat
    assert f"{deck.card_count} in {deck.depth} levels" in flat
    assert f"Content notes: {' '.join(deck.content_notes)}" in flat
    first_note = next(line for line in out.splitlines() if line.startswith("Content notes:"))
    assert deck.content_notes[0].startswith(first_note.removeprefix("Content notes:").strip())
    for number, level in enumerate(deck.levels, start=1):
        assert f"Level {number}: {level.name} ({len(level.cards)} cards" in flat
        assert " ".join(level.intent.split()) in flat
    for tag in deck.tags():
        assert tag in flat
    assert "reciprocity deck show after-betrayal --cards" in out
    assert deck.levels[0].cards[0].text not in flat


def test_show_by_path_with_pacing_and_every_card(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(
        tmp_path, "small.toml", GOOD.replace('title = "A', 'pace_minutes = 15\ntitle = "A')
    )

    code, out, _ = run(capsys, "deck", "show", str(path), "--cards")

    assert code == 0
    lines = out.splitlines()
    assert "Pacing:        15 minutes a level" in lines
    assert "Level 1: Light (2 cards: 2 questions)" in lines
    assert "Level 2: Deeper (2 cards: 1 question, 1 action)" in lines
    assert "  b · action · touch" in lines
    assert "    Hold hands for a minute in silence." in lines
    assert lines.index("  a · question") < lines.index(
        "Level 2: Deeper (2 cards: 1 question, 1 action)"
    )
    assert "Tags used:     fears (1), touch (1)" in lines


@pytest.mark.parametrize("path", sorted(shipped_decks_dir().glob("*.toml")), ids=lambda p: p.stem)
def test_show_cards_prints_every_card_within_80_columns(
    capsys: pytest.CaptureFixture[str], path: Path
) -> None:
    deck = find_deck(str(path))

    code, out, _ = run(capsys, "deck", "show", deck.id, "--cards")

    assert code == 0
    assert all(len(line) <= MAX_WIDTH for line in out.splitlines())
    flat = " ".join(out.split())
    for level in deck.levels:
        for card in level.cards:
            assert f"{card.id} · {card.kind.value}" in flat
            assert " ".join(card.text.split()) in flat


def test_show_marks_tags_that_are_not_shared(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(tmp_path, "odd.toml", GOOD.replace('["fears"]', '["gardening"]'))

    code, out, _ = run(capsys, "deck", "show", str(path))

    assert code == 0
    assert "gardening* (1)" in out
    assert "* not a shared tag" in out


def test_show_unknown_deck_is_one_line_and_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "deck", "show", "no-such-deck")

    assert code == 1
    assert out == ""
    assert err.splitlines() == [
        "reciprocity: no deck named 'no-such-deck'; "
        "`reciprocity deck list` shows the decks there are"
    ]


# --- deck check ------------------------------------------------------------------------


def test_check_good_deck(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = write(tmp_path, "small.toml", GOOD)

    code, out, err = run(capsys, "deck", "check", str(path))

    assert code == 0
    assert out == f"{path}: ok (2 levels, 4 cards)\n"
    assert err == ""


BROKEN = [
    pytest.param(
        GOOD.replace('title = "A small deck"', 'title = "A small deck'),
        "this is not valid TOML: ",
        id="bad-toml",
    ),
    pytest.param(
        GOOD.replace('title = "A small deck"\n', ""),
        "`title` is missing; add it",
        id="missing-title",
    ),
    pytest.param(
        GOOD.replace('text = "What do you wish', 'txt = "What do you wish'),
        "level 2, card `x`: `text` is missing; add it",
        id="missing-card-text",
    ),
    pytest.param(
        GOOD.replace('id = "b"', 'id = "a"'),
        "level 2, card `a`: this id is already used in level 1; give each card its own id",
        id="duplicate-card-id",
    ),
    pytest.param(
        GOOD.replace('["fears"]', '["Big Fears"]'),
        "level 2, card `x`: a tag must be lowercase letters, digits and single hyphens",
        id="bad-tag-slug",
    ),
    pytest.param(
        GOOD[: GOOD.index('[[levels]]\nname = "Deeper"')]
        + '[[levels]]\nname = "Deeper"\nintent = "Harder things."\ncards = []\n',
        "level 2: `cards` is empty; add at least one",
        id="empty-level",
    ),
    pytest.param(
        GOOD.replace('kind = "question"', 'kind = "dare"'),
        "level 2, card `x`: `kind` must be 'question' or 'action'",
        id="bad-kind",
    ),
    pytest.param(
        GOOD.replace('kind = "question"', 'colour = "red"'),
        "level 2, card `x`: `colour` is not a deck field; remove it or check its spelling",
        id="unknown-field",
    ),
    pytest.param(
        GOOD.replace('title = "A', 'pace_minutes = 15\nmove_on_clock = "yes"\ntitle = "A'),
        "`move_on_clock` must be true or false, not 'yes'",
        id="move-on-clock-not-a-bool",
    ),
    pytest.param(
        GOOD.replace('title = "A', 'move_on_clock = true\ntitle = "A'),
        "`move_on_clock = true` needs `pace_minutes`, the minutes each level lasts",
        id="move-on-clock-without-pace",
    ),
]


@pytest.mark.parametrize(("text", "message"), BROKEN)
def test_check_broken_deck_names_the_file_the_place_and_the_fix(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str, message: str
) -> None:
    path = write(tmp_path, "broken.toml", text)

    code, out, err = run(capsys, "deck", "check", str(path))

    assert code == 1
    assert out == ""
    assert "Traceback" not in err
    problems = err.splitlines()
    assert problems
    assert all(line.startswith(f"{path}: ") for line in problems)
    assert any(message in line for line in problems), err


def test_check_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "nowhere.toml"

    code, out, err = run(capsys, "deck", "check", str(path))

    assert code == 1
    assert out == ""
    assert err == f"{path}: no such file; check the path and the spelling\n"


def test_check_folder(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "deck", "check", str(tmp_path))

    assert code == 1
    assert err == (
        f"{tmp_path}: is a folder, not a deck file; to check the decks in it, "
        f"give their paths, such as {tmp_path}/*.toml\n"
    )


def test_check_file_that_is_not_utf8(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(GOOD.replace("laugh", "sourire à").encode("latin-1"))

    code, _, err = run(capsys, "deck", "check", str(path))

    assert code == 1
    assert err == f"{path}: line 12 is not UTF-8 text; save the file as UTF-8 in your editor\n"


def test_check_file_with_byte_order_mark(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode())

    code, _, err = run(capsys, "deck", "check", str(path))

    assert code == 1
    assert "byte-order mark" in err
    assert len(err.splitlines()) == 1


def test_check_several_files_reports_each_and_fails_if_any_is_broken(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    good = write(tmp_path, "good.toml", GOOD)
    bad = write(tmp_path, "bad.toml", GOOD.replace('kind = "action"', 'kind = "hug"'))

    code, out, err = run(capsys, "deck", "check", str(good), str(bad))

    assert code == 1
    assert out == f"{good}: ok (2 levels, 4 cards)\n"
    assert err.startswith(f"{bad}: level 2, card `b`: `kind` must be")


def test_check_warns_about_tags_that_are_not_shared_but_passes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(tmp_path, "typo.toml", GOOD.replace('["fears"]', '["faers"]'))

    code, out, err = run(capsys, "deck", "check", str(path))

    assert code == 0
    assert out == f"{path}: ok (2 levels, 4 cards), with 1 warning\n"
    warnings = err.splitlines()
    assert warnings[0] == (
        f"{path}: level 2, card `x`: warning: tag `faers` is not a shared tag, "
        "so partners' lines may not cover it; did you mean `fears`?"
    )
    assert all(tag in err for tag in TAGS)


def test_check_warns_about_a_level_too_thin_to_go_deeper(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(tmp_path, "thin.toml", GOOD.replace("advance_after = 1", "advance_after = 3"))

    code, out, err = run(capsys, "deck", "check", str(path))

    assert code == 0
    assert out.endswith("with 1 warning\n")
    assert err == (
        f"{path}: level 1: warning: only 2 cards, but a pair needs 6 supported shares "
        "here (3 each) to go deeper; add cards\n"
    )


LINES = """\
id = "lines"
title = "A deck that leans on one tag"
description = "Ruling out 'family' empties most of its first level."
advance_after = 2

[[levels]]
name = "Home"
intent = "Where you come from."

[[levels.cards]]
id = "h1"
text = "Which meal from home would you cook for a friend?"
tags = ["family"]

[[levels.cards]]
id = "h2"
text = "Who in your family do you take after?"
tags = ["family", "childhood"]

[[levels.cards]]
id = "h3"
text = "What did your family do on a rainy Sunday?"
tags = ["family", "childhood"]

[[levels.cards]]
id = "h4"
text = "What's a song you can't hear without smiling?"

[[levels.cards]]
id = "h5"
kind = "action"
text = "Each name one thing the other did today that you liked."

[[levels]]
name = "Deeper"
intent = "Harder things."

[[levels.cards]]
id = "d1"
text = "What do you wish your family understood about you?"
tags = ["family"]
"""


def test_check_warns_when_ruling_out_one_tag_leaves_a_level_too_thin(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(tmp_path, "lines.toml", LINES)

    code, out, err = run(capsys, "deck", "check", str(path))

    assert code == 0
    assert out == f"{path}: ok (2 levels, 6 cards), with 2 warnings\n"
    assert err.splitlines() == [
        f"{path}: level 1 (Home): warning: a partner who rules out 'childhood' leaves this "
        "level 3 cards, and a pair needs at least 4 here to go deeper; add cards without "
        "'childhood', or keep 'childhood' for the cards that are really about it",
        f"{path}: level 1 (Home): warning: a partner who rules out 'family' leaves this "
        "level 2 cards, and a pair needs at least 4 here to go deeper; add cards without "
        "'family', or keep 'family' for the cards that are really about it",
    ]


def test_check_says_nothing_of_lines_when_every_level_keeps_enough(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    untagged = LINES.replace('tags = ["family", "childhood"]\n', "")
    path = write(tmp_path, "lines.toml", untagged)

    code, out, err = run(capsys, "deck", "check", str(path))

    assert (code, err) == (0, "")
    assert out == f"{path}: ok (2 levels, 6 cards)\n"


def test_check_leaves_lines_to_the_thin_level_warning_when_a_level_is_thin_anyway(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(tmp_path, "lines.toml", LINES.replace("advance_after = 2", "advance_after = 3"))

    code, out, err = run(capsys, "deck", "check", str(path))

    assert code == 0
    assert out.endswith("with 1 warning\n")
    assert "level 1: warning: only 5 cards" in err
    assert "rules out" not in err


# --- deck schema -----------------------------------------------------------------------


def test_schema_is_json_schema_of_a_deck(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "deck", "schema")

    assert code == 0
    schema = json.loads(out)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert set(schema["required"]) == {"id", "title", "levels"}
    assert "cards" in schema["$defs"]["Level"]["properties"]


def test_committed_schema_is_up_to_date() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == deck_schema(), (
        "docs/deck.schema.json is stale; regenerate it with "
        "`uv run reciprocity deck schema > docs/deck.schema.json`"
    )


def test_the_guides_complete_example_passes_check(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    guide = (DOCS / "decks.md").read_text(encoding="utf-8")
    after_marker = guide.split("<!-- complete example:", 1)[1]
    example = after_marker.split("```toml\n", 1)[1].split("```", 1)[0]
    path = write(tmp_path, "sunday-evenings.toml", example)

    code, out, err = run(capsys, "deck", "check", str(path))

    assert (code, err) == (0, "")
    assert out == f"{path}: ok (3 levels, 12 cards)\n"


def test_the_guide_lists_every_shared_tag() -> None:
    guide = (DOCS / "decks.md").read_text(encoding="utf-8")
    for tag, meaning in TAGS.items():
        assert f"| `{tag}` | {meaning} |" in guide


# --- deck new --------------------------------------------------------------------------


def test_new_writes_a_template_that_passes_check(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "Our Deck.toml"

    code, out, err = run(capsys, "deck", "new", str(path))

    assert code == 0
    assert err == ""
    assert f"reciprocity deck check '{path}'" in out
    assert f"reciprocity play --deck '{path}'" in out
    assert all(len(line) <= MAX_WIDTH for line in path.read_text().splitlines())
    deck = find_deck(str(path))
    assert deck.id == "our-deck"
    assert deck.depth == 2
    assert {card.kind.value for level in deck.levels for card in level.cards} == {
        "question",
        "action",
    }

    code, out, err = run(capsys, "deck", "check", str(path))

    assert code == 0
    assert out == f"{path}: ok (2 levels, 8 cards)\n"
    assert err == ""


def test_new_refuses_to_overwrite(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = write(tmp_path, "mine.toml", "keep me\n")

    code, out, err = run(capsys, "deck", "new", str(path))

    assert code == 1
    assert out == ""
    assert err == (
        f"reciprocity: {path} already exists; choose another name, or move it aside first\n"
    )
    assert path.read_text() == "keep me\n"


def test_new_in_the_decks_folder_shows_up_in_list(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    path = data_dir / "decks" / "picnic.toml"
    path.parent.mkdir(parents=True)

    code, out, _ = run(capsys, "deck", "new", str(path))

    assert code == 0
    assert "It is in your decks folder" in out
    code, out, _ = run(capsys, "deck", "list")
    assert table_row(out, "picnic").split()[-3:] == ["2", "8", "yours"]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("notes.txt", "a deck file's name ends in .toml; try {folder}/notes.toml"),
        ("missing/deck.toml", "the folder {folder} does not exist; create it first"),
    ],
)
def test_new_explains_a_path_it_cannot_use(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str, message: str
) -> None:
    path = tmp_path / name

    code, _, err = run(capsys, "deck", "new", str(path))

    assert code == 1
    expected = message.format(path=path, folder=path.parent)
    assert err == f"reciprocity: {path}: {expected}\n"
    assert not path.exists()


def test_deck_without_an_action_shows_the_actions(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "deck")

    assert code == 0
    assert out.startswith("usage: reciprocity deck [-h] ACTION ...")
    for action in ("list", "show", "check", "schema", "new"):
        assert f"\n    {action} " in out
