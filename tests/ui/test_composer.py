"""The composer shows encoding, counts, parts and UDHs as the user types."""

from __future__ import annotations

import pytest

from ui.composer import ComposerPanel


@pytest.fixture
def composer(qtbot):
    w = ComposerPanel()
    qtbot.addWidget(w)
    return w


def test_160_gsm7_chars_is_one_part(composer, qtbot):
    qtbot.keyClicks(composer.editor, "a" * 160)
    assert composer.counts_label.text() == "160 chars · 160 septets · 140 octets"
    assert composer.parts_label.text().startswith("1 part (160 septets per part, 0 left)")
    assert composer.encoding_label.text() == "GSM7 · data_coding 0x00"
    assert composer.parts_model.rowCount() == 1
    assert composer.parts_model.data(composer.parts_model.index(0, 3)) == "—"  # no UDH


def test_161_gsm7_chars_is_two_parts_with_udh(composer):
    composer.set_text("a" * 161)
    assert composer.parts_label.text().startswith("2 parts (153 septets per part")
    model = composer.parts_model
    assert model.rowCount() == 2
    udh1 = model.data(model.index(0, 3)).split()
    udh2 = model.data(model.index(1, 3)).split()
    # UDHL 05, IEI 00 (8-bit reference), IEL 03, ref, total 2, seq 1/2
    assert udh1[:3] == ["05", "00", "03"] and udh1[4:] == ["02", "01"]
    assert udh2[4:] == ["02", "02"] and udh1[3] == udh2[3]
    assert model.data(model.index(0, 1)) == "153" and model.data(model.index(1, 1)) == "8"


def test_euro_counts_two_septets_and_is_highlighted(composer):
    composer.set_text("€")
    assert "1 chars · 2 septets" in composer.counts_label.text()
    assert composer.encoding_label.text().startswith("GSM7")
    assert composer.highlighted() == ["€"]


def test_emoji_forces_ucs2_and_is_highlighted(composer, qtbot):
    qtbot.keyClicks(composer.editor, "Hello ")
    composer.editor.insertPlainText("😀 there")
    assert composer.encoding_label.text() == "UCS2 · data_coding 0x08"
    assert "'😀'" in composer.forcing_label.text() and "at 6" in composer.forcing_label.text()
    assert composer.highlighted() == ["😀"]
    # 13 characters, the emoji is a surrogate pair: 14 UCS2 units, 28 octets
    assert composer.counts_label.text() == "13 chars · 14 UCS2 units · 28 octets"


def test_71_ucs2_chars_is_two_parts_of_67(composer):
    composer.set_text("ж" * 71)
    assert composer.parts_label.text().startswith("2 parts (67 UCS2 units per part")


def test_explicit_gsm7_with_emoji_shows_error(composer):
    composer.set_encoding("gsm7")
    composer.set_text("smile 😀")
    assert composer.result is None
    assert "😀" in composer.message_label.text()
    assert composer.parts_model.rowCount() == 0
    composer.set_text("smile")  # fixing the text clears the error
    assert composer.message_label.text() == ""
    assert composer.parts_model.rowCount() == 1


def test_sar_concat_has_no_udh_but_sar_values(composer):
    composer.set_concat("sar")
    composer.set_text("b" * 200)
    model = composer.parts_model
    assert model.rowCount() == 2
    assert model.data(model.index(0, 3)) == "—"
    ref, total, seq = model.data(model.index(1, 4)).split("/")
    assert (total, seq) == ("2", "2")
