"""Spreadsheet formula injection: every cell a spreadsheet would evaluate gets a leading quote."""

from __future__ import annotations

import pytest

from pipeline.audit.export import export_hash, export_key_id, neutralise

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("=1+2@example.com", "'=1+2@example.com"),
        ("+1@example.com", "'+1@example.com"),
        ("-x@example.com", "'-x@example.com"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("alice@example.com", "alice@example.com"),
        ("a=b@example.com", "a=b@example.com"),  # only the first character matters
        ("", ""),
        ("'quoted", "'quoted"),
    ],
)
def test_neutralise(cell, expected):
    assert neutralise(cell) == expected


def test_export_hash_is_hmac_sha256_of_the_match_key():
    # printf 'alice@example.com' | openssl dgst -sha256 -hmac k
    assert (
        export_hash("k", "alice@example.com")
        == "8647c46883247f15eef1a99f12e62ee41a9c23bfbb22c41119e55ce8d84f3a39"
    )
    assert export_hash("k1", "a@b.c") != export_hash("k2", "a@b.c")
    assert export_key_id("k1") != export_key_id("k2") and len(export_key_id("k1")) == 16
