"""The mail reader's own parse of a simple message (pipeline.channels.mail.reader.simple_message)
equals the standard library parser's, field for field, wherever it gives one: over generated
messages built from the pieces that make parsing hard (continuation lines, CR, colons, spaces,
8-bit bytes, "From " lines, multipart and message/* types), the labelled corpus, the seeds and
the shared corpora of real mail."""

from __future__ import annotations

from email import policy
from email.message import Message
from email.parser import BytesParser
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.channels.mail.reader import ReadMessage, read_messages, simple_message
from pipeline.core.errors import QuarantineError
from tests.unit.channels.mail import corpus, relayed

ROOT = Path(__file__).resolve().parents[4]
PARSER = BytesParser(ReadMessage, policy=policy.compat32)


def fields(msg: Message) -> dict[str, object]:
    """What the parser sets on a message (without what the reader remembers of it)."""
    return {k: v for k, v in vars(msg).items() if not k.startswith("_optout")}


def same_as_the_parser(data: bytes) -> bool:
    """True when `simple_message` gives a message (and then it must equal the parser's)."""
    mine = simple_message(data)
    if mine is None:
        return False
    theirs = PARSER.parsebytes(data)
    assert fields(mine) == fields(theirs), data[:300]
    assert type(mine) is type(theirs) is ReadMessage
    assert mine.as_string() == theirs.as_string()
    return True


NAMES = st.sampled_from(["From", "To", "Subject", "Content-Type", "X-Odd_Name.1", "Date", "", "From ", "Na me", "É"])
VALUES = st.sampled_from([
    " a@b.example", "Re: unsubscribe", " text/plain; charset=utf-8", " multipart/mixed; boundary=x", " message/rfc822",
    " Text/HTML", " message/delivery-status", "", " =?utf-8?q?D=C3=A9sabonnement?=", " \u00e9t\u00e9", " a: b: c", "\t",
])
LINE_ENDS = st.sampled_from(["\n", "\n", "\n", "\r\n", "\r"])
CONTINUATIONS = st.lists(st.sampled_from([" more", "\tmore", " ", "   folded: text", "not-continued"]), max_size=2)


@st.composite
def messages(draw: st.DrawFn) -> bytes:
    lines = []
    for _ in range(draw(st.integers(0, 5))):
        lines.append(draw(NAMES) + ":" + draw(VALUES))
        lines.extend(draw(CONTINUATIONS))
    if draw(st.booleans()):
        lines.insert(0, draw(st.sampled_from(["From x Sat Oct 10 10:00:00 2026", " leading continuation", ":no name", ""])))
    end = draw(LINE_ENDS)
    body = draw(st.sampled_from(["", "Please unsubscribe me.\n", "--x\nContent-Type: text/plain\n\nhi\n--x--\n", "a\n\nb", "\u00e9\n"]))
    text = end.join(lines) + end + draw(st.sampled_from([end, "", " \n", "\n\n"])) + body
    return text.encode("utf-8")


@settings(max_examples=3000, deadline=None)
@given(messages())
def test_generated_messages_read_as_the_parser_reads_them(data: bytes) -> None:
    same_as_the_parser(data)


def test_the_common_message_is_read_without_the_parser() -> None:
    data = b"From: Jane <jane@example.com>\nSubject: Unsubscribe\n folded\nContent-Type: text/plain\n\nPlease remove me.\n"
    assert same_as_the_parser(data)
    msg = simple_message(data)
    assert msg is not None and msg["Subject"] == "Unsubscribe\n folded" and msg.get_payload() == "Please remove me.\n"


def test_what_it_leaves_to_the_parser() -> None:
    for data in (
        b"From: a@b.example\r\n\r\nCRLF\r\n",  # CR anywhere
        b"From: a@b.example\nContent-Type: multipart/mixed; boundary=x\n\n--x--\n",
        b"From: a@b.example\nContent-Type: message/rfc822\n\nFrom: c@d.example\n\nhi\n",
        b"From x Sat Oct 10 10:00:00 2026\nFrom: a@b.example\n\nhi\n",  # an mbox "From " line
        b" continued first\nFrom: a@b.example\n\nhi\n",
        b"From: a@b.example\nno colon here\n\nhi\n",
        b"From: a@b.example\n",  # no blank line, no body
        b"\n\nFrom: a@b.example\n",
    ):
        assert simple_message(data) is None, data


def test_the_labelled_corpus_reads_as_the_parser_reads_it() -> None:
    read = sum(same_as_the_parser(case.data) for case in [*corpus.cases(), *relayed.relayed_cases(), *relayed.hostile_cases()])
    assert read > 50, "the common message of the corpus goes the quick way"


def test_every_seed_and_fixture_message_reads_as_the_parser_reads_it() -> None:
    checked = 0
    for path in [*sorted((ROOT / "seeds").rglob("*.mbox")), *sorted((ROOT / "seeds").rglob("*.eml")),
                 *sorted((ROOT / "tests").rglob("*.eml")), *sorted((ROOT / "tests").rglob("*.mbox"))]:
        try:
            checked += sum(same_as_the_parser(raw.data) for raw in read_messages(path))
        except QuarantineError:  # a hostile file that is no mailbox at all
            continue
    assert checked > 10


def test_the_shared_corpora_of_real_mail_read_as_the_parser_reads_them(corpora: Path) -> None:
    paths = sorted((corpora / "mail").rglob("*.eml"))
    assert paths
    quick = sum(same_as_the_parser(path.read_bytes()) for path in paths)
    assert quick < len(paths), "real mail with CRLF line ends and multipart bodies goes to the parser"


def test_a_message_object_as_the_classifier_expects() -> None:
    msg = simple_message(b"From: a@b.example\n\nhi\n")
    assert isinstance(msg, Message) and msg.policy is policy.compat32 and msg.defects == [] and not msg.is_multipart()


def test_the_content_type_remembered_follows_a_change_to_the_fields() -> None:
    msg = simple_message(b"From: a@b.example\nContent-Type: text/html\n\n<p>hi</p>\n")
    assert msg is not None and msg.get_content_type() == "text/html"
    msg.replace_header("Content-Type", "text/plain")
    assert msg.get_content_type() == "text/plain"
    del msg["Content-Type"]
    msg.set_default_type("message/rfc822")
    assert msg.get_content_type() == "message/rfc822"
    msg["Content-Type"] = "image/png"
    assert msg.get_content_type() == "image/png"
