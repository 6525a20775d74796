"""Erasure on disk, file by file: which files are rewritten, which are listed, and that a
rewrite gives back every other byte of the file."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.audit.erase_files import LANDING, OUTPUT, apply_plan, plan_files
from pipeline.audit.file_texts import as_text
from pipeline.audit.redaction import Redactor

pytestmark = pytest.mark.unit

ERIN = Redactor("erintarget@gmail.com", ["erin.target@gmail.com"])


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_a_file_read_as_text_writes_back_to_the_same_bytes(data):
    found = as_text(data)
    if found is not None:
        text, codec = found
        assert text.encode(codec) == data


@pytest.mark.parametrize(
    ("name", "content", "action", "note"),
    [
        ("a.csv", b"x,erin.target@gmail.com\n", "rewrite", ""),
        ("a.csv", "x,Zoë,erin.target@gmail.com\n".encode("cp1252"), "rewrite", ""),
        ("a.csv", "x,erin.target@gmail.com\n".encode("utf-16"), "rewrite", ""),
        ("a.csv.gz", gzip.compress(b"erin.target@gmail.com"), "manual", "gzip"),
        ("a.bin", b"\x00erin.target@gmail.com", "manual", "binary"),
        (".a.csv", b"erin.target@gmail.com", "manual", "in-flight"),
        ("a.part", b"erin.target@gmail.com", "manual", "in-flight"),
        ("erin.target@gmail.com.eml", b"Subject: hi\n\nbob", "rewrite", ""),
        ("a.csv", b"x,bob@example.org\n", None, ""),
        ("b.gz", gzip.compress(b"bob@example.org"), None, ""),
        ("c.gz", b"\x1f\x8bnot gzip at all", "manual", "cannot be searched"),
    ],
)
def test_each_kind_of_file(tmp_path, name, content, action, note):
    path = tmp_path / name
    path.write_bytes(content)
    plan = plan_files(ERIN, [(LANDING, tmp_path)], [], {}, set(), stage=False)
    assert [c.action for c in plan.changes] == ([action] if action else [])
    if action:
        assert note in plan.changes[0].note


@settings(max_examples=100, deadline=None)
@given(
    before=st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="@\x00"), max_size=60),
    after=st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="@\x00"), max_size=60),
    codec=st.sampled_from(["utf-8", "utf-16", "latin-1"]),
)
def test_a_rewrite_keeps_every_other_byte(tmp_path_factory, before, after, codec):
    folder = tmp_path_factory.mktemp("f")
    try:
        content = f"{before} erin.target@gmail.com {after}".encode(codec)
    except UnicodeEncodeError:
        return
    path = folder / "f.txt"
    path.write_bytes(content)
    plan = plan_files(ERIN, [(OUTPUT, folder)], [], {}, set(), stage=True)
    try:
        apply_plan(_NoStore(), plan)  # type: ignore[arg-type]
    finally:
        plan.discard()
    assert path.read_bytes() == f"{before} [erased] {after}".encode(codec)
    assert sorted(p.name for p in folder.iterdir()) == ["f.txt"]  # no staged file left


class _NoStore:
    """Output files move no `ingested_files` hash: a store is never asked."""

    def execute(self, *_args: object) -> None:
        raise AssertionError("the store was asked")


def test_a_file_whose_name_holds_the_address_is_renamed(tmp_path):
    path = tmp_path / "Erin.Target+x@gmail.com.eml"
    path.write_bytes(b"Subject: hi\n\nbob@example.org")
    plan = plan_files(ERIN, [(OUTPUT, tmp_path)], [], {}, set(), stage=True)
    apply_plan(_NoStore(), plan)  # type: ignore[arg-type]
    assert [p.name for p in tmp_path.iterdir()] == ["[erased].eml"]
    assert Path(plan.changes[0].new_path or "").read_bytes() == b"Subject: hi\n\nbob@example.org"


def test_a_folder_named_after_the_address_is_listed(tmp_path):
    (tmp_path / "erin.target@gmail.com").mkdir()
    (tmp_path / "erin.target@gmail.com" / "a.txt").write_text("bob@example.org")
    plan = plan_files(ERIN, [(OUTPUT, tmp_path)], [], {}, set(), stage=False)
    assert [(c.action, Path(c.path).name) for c in plan.changes] == [("manual", "erin.target@gmail.com")]
    assert "folder" in plan.changes[0].note


def test_a_file_that_cannot_be_replaced_is_listed_and_its_staged_copy_removed(tmp_path, monkeypatch):
    path = tmp_path / "a.csv"
    path.write_bytes(b"x,erin.target@gmail.com\n")
    plan = plan_files(ERIN, [(OUTPUT, tmp_path)], [], {}, set(), stage=True)

    def refuse(*_args: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("pipeline.audit.erase_files.os.replace", refuse)
    try:
        (change,) = apply_plan(_NoStore(), plan)  # type: ignore[arg-type]
    finally:
        plan.discard()
    assert change.action == "manual" and "could not be replaced (Permission denied)" in change.note
    assert [p.name for p in tmp_path.iterdir()] == ["a.csv"] and b"erin" in path.read_bytes()
