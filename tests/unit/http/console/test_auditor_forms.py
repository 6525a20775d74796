"""Reading the auditor pages' form fields: each bad value is refused with the field's name."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from pipeline.http.console import auditor_forms as forms
from pipeline.http.console.auditor_lookup import history_filters
from pipeline.http.console.auditor_review import addresses_field

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("value,expected", [
    (None, None), ("", None), ("  ", None),
    ("2026-10-10", datetime(2026, 10, 10, tzinfo=UTC)),
    ("2026-10-10T03:00Z", datetime(2026, 10, 10, 3, tzinfo=UTC)),
    ("2026-10-10T05:00+02:00", datetime(2026, 10, 10, 3, tzinfo=UTC)),
])
def test_timestamps(value, expected):
    assert forms.timestamp_field(value, "as_of") == expected


@pytest.mark.parametrize("value", ["9999-99-99", "yesterday", "2026-10-10T25:00", "1" * 300, "2026-10-10\x00", "9999-12-31T23:00-05:00"])
def test_bad_timestamps_name_the_field(value):
    with pytest.raises(forms.FieldError, match=r"^as_of: ") as caught:
        forms.timestamp_field(value, "as_of")
    assert caught.value.field == "as_of"


@pytest.mark.parametrize("value", ["-1", "0", "1.5", "1e3", "٣", "１", "99999999999", "+3", " 3 x"])
def test_bad_versions(value):
    with pytest.raises(forms.FieldError, match=r"^version: "):
        forms.int_field(value, "version")


def test_good_version():
    assert forms.int_field(" 7 ", "version") == 7 and forms.int_field("", "version") is None


@pytest.mark.parametrize("value,message", [
    ("", "give an address"), ("a" * 400, "too long"), ("ann\x00@example.com", "control characters"),
    ("ann@example.com\r\nX-Injected: 1", "control characters"),
])
def test_bad_addresses(value, message):
    with pytest.raises(forms.FieldError, match=f"^address: .*{message}"):
        forms.address_field(value)


def test_dates_and_reversed_periods():
    assert history_filters("2026-10-01", "2026-10-01", None, None).start == date(2026, 10, 1)
    with pytest.raises(forms.FieldError, match=r"^from: 2026-10-10 is after to \(2026-10-01\)"):
        history_filters("2026-10-10", "2026-10-01", None, None)
    with pytest.raises(forms.FieldError, match=r"^to: not a date"):
        history_filters(None, "10/01/2026", None, None)
    with pytest.raises(forms.FieldError, match=r"^channel: must be one of"):
        history_filters(None, None, "<script>", None)


def test_filters_make_a_query_string_in_form_order():
    f = history_filters("2026-10-01", "2026-10-09", "postal_mail", "suppress")
    assert f.query() == "from=2026-10-01&to=2026-10-09&channel=postal_mail&action=suppress"
    assert history_filters(None, None, None, None).query() == ""


def test_addresses_one_per_line_or_separated():
    assert addresses_field("a@example.com\r\nb@example.com, c@example.com;d@example.com") == [
        "a@example.com", "b@example.com", "c@example.com", "d@example.com"]
    with pytest.raises(forms.FieldError, match=r"^addresses: at most 50"):
        addresses_field("\n".join(f"u{i}@example.com" for i in range(51)))
