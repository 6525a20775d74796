"""The unsubscribe page's parts, table-driven: the masked address, the language chosen from
Accept-Language (hostile headers too), the texts of every language, the promised nightly
time, the button's contrast, the logo file as it is at serve time."""

from __future__ import annotations

import os
import string
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from pipeline.http.unsubscribe_page import (
    MAX_LOGO_BYTES,
    button_text_colour,
    contrast,
    mask_address,
    next_nightly,
    read_logo,
)
from pipeline.http.unsubscribe_texts import LANGUAGES, TEXTS, choose_language, format_when

pytestmark = pytest.mark.unit
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("jane.doe@example.com", "j***@example.com"),
        ("j@example.com", "j***@example.com"),  # one letter looks like any other length
        ("jo@example.com", "j***@example.com"),
        ("jane+news@sub.example.co.uk", "j***@sub.example.co.uk"),
        ("jane@xn--mnchen-3ya.de", "j***@münchen.de"),  # an IDN domain in the letters its owner reads
        ("jane@münchen.de", "j***@münchen.de"),
        ("jane@xn--a.de", "j***@xn--a.de"),  # undecodable: shown as it is
        ('"john doe"@example.com', '"j***"@example.com'),  # a quoted local part keeps its quotes
        ('"\\"x"@example.com', '"\\"***"@example.com'),  # an escaped first character keeps its backslash
        ('""@example.com', '"***"@example.com'),
        ('"a@b"@example.com', '"a***"@example.com'),  # the domain is after the last @
        ("ünïcode@example.com", "ü***@example.com"),
        ("e\u0301cole@example.com", "e\u0301***@example.com"),  # a combining accent stays on its letter
        ("\u202ejane@example.com", "***@example.com"),  # a bidi override is never shown
        (" jane@example.com", "***@example.com"),
        ("not-an-address", None),
        ("@example.com", None),
        ("jane@", None),
    ],
)
def test_mask_address(address: str, masked: str | None) -> None:
    assert mask_address(address) == masked


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        (None, "en"),
        ("", "en"),
        ("de", "de"),
        ("de-CH", "de"),
        ("DE-ch", "de"),
        ("fr-CA,fr;q=0.9,en;q=0.8", "fr"),
        ("es-419", "es"),
        ("en;q=0.5, es;q=0.9", "es"),  # by q-value, not by order
        ("pt-BR,pt;q=0.9", "en"),  # none of ours: English
        ("de;q=0, fr", "fr"),  # q=0 is "not this one"
        ("de;q=0", "en"),
        ("*", "en"),
        ("*;q=abc, de", "de"),  # a broken entry is skipped, the rest still read
        ("de;q=abc", "en"),
        ("de;q=1.5", "en"),  # not a q-value
        ("de;q=0.3333", "en"),  # four decimals: not a q-value
        ("deutsch-x", "en"),
        ("дe, fr", "fr"),  # non-ASCII
        ("\x00de", "en"),
        ("de,de,de" + ",xx" * 1000, "de"),
        (",".join(["xx"] * 1000) + ",de", "en"),  # entries past the first 32 are not read
        ("x" * 1_000_000, "en"),  # a huge header
        ("fr;q=0.8," + "a" * 100_000 + ",es", "fr"),
    ],
)
def test_choose_language(header: str | None, lang: str) -> None:
    assert choose_language(header) == lang


def test_every_language_has_every_key_and_the_same_placeholders() -> None:
    english = TEXTS["en"]
    assert set(LANGUAGES) == {"en", "de", "fr", "es"}
    for lang, words in TEXTS.items():
        assert set(words) == set(english), lang
        for key, text in words.items():
            assert text.strip(), (lang, key)
            assert _fields(text) == _fields(english[key]), (lang, key)
            assert "<" not in text and ">" not in text, (lang, key)  # texts are not HTML
        assert len(words["weekdays"].split()) == 7 and len(words["months"].split()) == 12, lang


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "Thursday 3 December 2026 at 02:00 UTC"),
        ("de", "Donnerstag, 3. Dezember 2026, um 02:00 Uhr UTC"),
        ("fr", "jeudi 3 décembre 2026 à 02:00 UTC"),
        ("es", "jueves, 3 de diciembre de 2026, a las 02:00 UTC"),
    ],
)
def test_the_time_reads_in_each_language(lang: str, text: str) -> None:
    assert format_when(lang, datetime(2026, 12, 3, 2, tzinfo=UTC)) == text


@pytest.mark.parametrize(
    ("now", "run"),
    [
        (datetime(2026, 12, 2, 16, 0, tzinfo=UTC), datetime(2026, 12, 3, 2, tzinfo=UTC)),
        (datetime(2026, 12, 2, 0, 30, tzinfo=UTC), datetime(2026, 12, 2, 2, tzinfo=UTC)),  # tonight's run reads it
        (datetime(2026, 12, 2, 1, 49, tzinfo=UTC), datetime(2026, 12, 2, 2, tzinfo=UTC)),
        (datetime(2026, 12, 2, 1, 55, tzinfo=UTC), datetime(2026, 12, 3, 2, tzinfo=UTC)),  # too close: the next one
        (datetime(2026, 12, 2, 2, 0, 1, tzinfo=UTC), datetime(2026, 12, 3, 2, tzinfo=UTC)),  # the run may have read already
        (datetime(2026, 12, 31, 23, 59, tzinfo=UTC), datetime(2027, 1, 1, 2, tzinfo=UTC)),
        (datetime(2026, 12, 2, 2, 30, tzinfo=timezone(timedelta(hours=2))), datetime(2026, 12, 2, 2, tzinfo=UTC)),  # 00:30 UTC
    ],
)
def test_next_nightly_is_the_first_run_sure_to_read_the_click(now: datetime, run: datetime) -> None:
    assert next_nightly(now) == run
    assert (run - now).total_seconds() < 48 * 3600  # and so "within 48 hours" holds


@pytest.mark.parametrize(
    ("colour", "text"),
    [("#1d4ed8", "#ffffff"), ("#ffeb3b", "#000000"), ("#777777", "#000000"), ("#000000", "#ffffff"), ("#ffffff", "#000000")],
)
def test_the_button_text_is_readable_on_any_brand_colour(colour: str, text: str) -> None:
    assert button_text_colour(colour) == text
    assert contrast(colour, text) >= 4.5


def test_contrast_matches_the_wcag_figures() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)
    assert all(contrast(f"#{v:02x}{v:02x}{v:02x}", button_text_colour(f"#{v:02x}{v:02x}{v:02x}")) >= 4.5 for v in range(256))


def test_a_logo_is_read_when_it_is_what_it_says(tmp_path: Path) -> None:
    cases = {
        "logo.png": (PNG, "image/png"),
        "logo.JPG": (b"\xff\xd8\xff\xe0" + b"\x00" * 16, "image/jpeg"),
        "logo.webp": (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        "logo.svg": (b'\xef\xbb\xbf<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>', "image/svg+xml"),
    }
    for name, (data, kind) in cases.items():
        (tmp_path / name).write_bytes(data)
        assert read_logo(tmp_path / name) == (data, kind), name


def test_a_logo_that_is_not_servable_is_none(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0")
    (tmp_path / "link.png").symlink_to(secret)
    (tmp_path / "link-to-png.png").symlink_to(tmp_path / "real.png")
    (tmp_path / "real.png").write_bytes(PNG)
    (tmp_path / "huge.png").write_bytes(PNG + b"\x00" * MAX_LOGO_BYTES)
    (tmp_path / "html.svg").write_bytes(b"<html><script>alert(1)</script></html>")
    (tmp_path / "text.png").write_bytes(b"just text")
    (tmp_path / "folder.png").mkdir()
    os.mkfifo(tmp_path / "fifo.png")  # would block a plain open()
    assert read_logo(None) is None
    for name in ("link.png", "link-to-png.png", "huge.png", "html.svg", "text.png", "folder.png", "fifo.png", "gone.png"):
        assert read_logo(tmp_path / name) is None, name
    assert read_logo(tmp_path / "real.png") is not None
    assert read_logo(tmp_path / "secret.txt") is None  # not an image name at all
