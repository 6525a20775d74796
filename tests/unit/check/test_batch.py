"""A batch of addresses checked as a file (pipeline/check/batch.py): what the check file carries
for each address, and answers read back from the send and removed files in the order given."""
from __future__ import annotations

import stat
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.check.batch import (
    INPUT,
    PLACEHOLDER,
    REMOVED,
    SEND,
    BatchMismatch,
    address_keys,
    new_check_folder,
    read_answers,
    write_input,
    written_form,
)
from pipeline.check.loaded_list import Entry
from pipeline.check.run import filter_file
from pipeline.core.addresses import try_parse

pytestmark = pytest.mark.unit
SINCE = datetime(2026, 10, 1, tzinfo=UTC)


class FakeList:
    """A list that suppresses the given match keys (by letter, since SINCE)."""

    def __init__(self, *keys: str) -> None:
        self.keys = set(keys)

    def lookup(self, key: str) -> Entry | None:
        return Entry("postal_mail", SINCE, "marketing") if key in self.keys else None

    def lookup_many(self, keys: pa.Array, hashes: np.ndarray | None = None) -> tuple[np.ndarray, dict[int, Entry]]:
        mask = np.array([k in self.keys for k in keys.to_pylist()], dtype=bool)
        return mask, {int(i): Entry("postal_mail", SINCE, "marketing") for i in np.flatnonzero(mask)}


@pytest.mark.parametrize(("address", "written"), [
    ("ann@example.com", "ann@example.com"),
    ("a,b@example.com", "a,b@example.com"),  # quoted by the CSV writer, not changed
    ('=HYPERLINK("http://x")', '=HYPERLINK("http://x")'),  # input.csv keeps addresses exactly
    ("J\x01 <Zed@Example.com>", "zed@example.com"),  # valid: its match key
    ("\x1fann@example.com", "ann@example.com"),
    ("nul\x00@example.com", "nul\\u0000@example.com"),  # invalid: spelled out, still invalid
    ("new\nline@example.com", "new\\u000aline@example.com"),
    ("cr\r@example.com", "cr\\u000d@example.com"),
    ("\ud800@example.com", "\\ud800@example.com"),
])
def test_written_form(address: str, written: str) -> None:
    [key] = address_keys([address])
    assert written_form(address, key) == written
    assert (try_parse(written) is None) == (key is None)


def test_a_new_folder_each_time_private(tmp_path: Path) -> None:
    now = datetime(2026, 10, 11, 2, 0, tzinfo=UTC)
    first, second = new_check_folder(tmp_path, "api", now), new_check_folder(tmp_path, "api", now)
    assert first != second and first.parent == second.parent == tmp_path / "checks" / "api"
    assert first.name.startswith("20261011T020000000000Z-")
    assert stat.S_IMODE(first.stat().st_mode) == 0o700


TRICKY = ["ann@example.com", "bob@example.com", "Bob@Example.com", "junk", "", " ", "=bob@example.com", "'=bob@example.com",
          "a,b@example.com", 'q"@example.com', "x\ny@example.com", "nul\x00", "J\x01 <bob@example.com>", "\ttab@example.com",
          "-cmd@example.com", "+sum@example.com", "@at", "\ufeffbom@example.com"]
LISTED = FakeList("bob@example.com", "=bob@example.com", "-cmd@example.com")


def checked(folder: Path, addresses: list[str]) -> list[tuple[bool, bool]]:
    keys = address_keys(addresses)
    texts = [written_form(a, k) for a, k in zip(addresses, keys, strict=True)]
    write_input(folder / INPUT, texts)
    filter_file(folder / INPUT, folder / SEND, folder / REMOVED, None, LISTED)  # type: ignore[arg-type]
    answers = read_answers(folder, addresses, keys, texts)
    assert [a.address for a in answers] == addresses
    assert all(a.since == SINCE and a.channel == "postal_mail" for a in answers if a.suppressed)
    return [(a.match_key is not None, a.suppressed) for a in answers]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(TRICKY), min_size=1, max_size=40))
def test_answers_follow_the_files_in_order(tmp_path_factory: pytest.TempPathFactory, addresses: list[str]) -> None:
    folder = tmp_path_factory.mktemp("batch")
    keys = address_keys(addresses)
    assert checked(folder, addresses) == [(k is not None, k in LISTED.keys) for k in keys]


def test_files_that_do_not_line_up_are_a_defect(tmp_path: Path) -> None:
    addresses = ["ann@example.com", "bob@example.com", "junk"]
    checked(tmp_path, addresses)
    keys = address_keys(addresses)
    with pytest.raises(BatchMismatch):
        read_answers(tmp_path, ["ann@example.com", "carol@example.com", "junk"], ["ann@example.com", "carol@example.com", None],
                     ["ann@example.com", "carol@example.com", "junk"])
    with pytest.raises(BatchMismatch):
        read_answers(tmp_path, addresses[:2], keys[:2], addresses[:2])  # a removed row left over


def test_the_placeholder_is_invalid() -> None:
    assert try_parse(PLACEHOLDER) is None
