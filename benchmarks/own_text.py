"""Which code finds a message's own new text best (SPEC §2.2): ours (pipeline/channels/mail/text.py
`strip_quotes`) or a kept library — quotequail, mail-parser-reply, email-reply-parser — put
in its place. Each candidate removes quotes, attributions and forwarded messages; our
signature, disclaimer and list-footer cut runs after every one of them, and everything else
(the classifier, the support_inbox channel) is unchanged. Measured on the labelled corpora:
tests/unit/channels/mail/corpus.py (generated support@ mail, relayed.py, tests/hostile/mail/) and
tests/unit/channels/mail/languages.py (six languages).

    python -m benchmarks.own_text

Prints, per candidate: messages whose outcome and reason are right, precision and recall of
`accepted`, and the time taken. A library that is not installed is reported as such (they
are not dependencies: `pip install quotequail mail-parser-reply email-reply-parser`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any

from pipeline.channels.mail import text as own_text_module
from tests.unit.channels.mail.corpus import cases as support_cases
from tests.unit.channels.mail.languages import cases as language_cases
from tests.unit.channels.mail.scores import Result, results, score

Splitter = Callable[[str], tuple[str, str]]
MAIL_PARSER_REPLY_LANGUAGES = ["en", "de", "fr", "es", "nl"]  # it has no Portuguese


def _rest(text: str, own: str) -> str:
    """What a library left out of `own`, for the stored reason's "only quoted text…"."""
    at = text.find(own) if own else -1
    return text if at < 0 else text[:at] + text[at + len(own) :]


def quotequail_splitter() -> Splitter:
    import quotequail  # type: ignore[import-untyped]

    def split(text: str) -> tuple[str, str]:
        parts = quotequail.quote(text)
        own = "\n".join(t for shown, t in parts if shown)
        return own, "\n".join(t for shown, t in parts if not shown)

    return split


def mail_parser_reply_splitter() -> Splitter:
    from mailparser_reply import EmailReplyParser  # type: ignore[import-untyped]

    parser = EmailReplyParser(languages=MAIL_PARSER_REPLY_LANGUAGES)

    def split(text: str) -> tuple[str, str]:
        own = parser.parse_reply(text=text) or ""
        return own, _rest(text, own)

    return split


def email_reply_parser_splitter() -> Splitter:
    from email_reply_parser import EmailReplyParser  # type: ignore[import-untyped]

    def split(text: str) -> tuple[str, str]:
        own = EmailReplyParser.parse_reply(text) or ""
        return own, _rest(text, own)

    return split


CANDIDATES: dict[str, Callable[[], Splitter]] = {
    "ours (pipeline/channels/mail/text.py)": lambda: own_text_module.strip_quotes,
    "quotequail 0.5.4": quotequail_splitter,
    "mail-parser-reply 1.36": mail_parser_reply_splitter,
    "email-reply-parser 0.5.12": email_reply_parser_splitter,
}


@contextmanager
def splitting_with(split: Splitter) -> Any:
    original = own_text_module.strip_quotes
    own_text_module.strip_quotes = split  # own_text looks it up at each call
    try:
        yield
    finally:
        own_text_module.strip_quotes = original


def measure() -> list[dict[str, Any]]:
    corpus = support_cases() + language_cases()
    rows = []
    for name, make in CANDIDATES.items():
        try:
            split = make()
        except ImportError as exc:
            rows.append({"candidate": name, "missing": str(exc)})
            continue
        started = time.perf_counter()
        with splitting_with(split):
            rs: list[Result] = results(corpus)
        elapsed = time.perf_counter() - started
        s = score(rs, "accepted")
        rows.append(
            {
                "candidate": name,
                "messages": len(rs),
                "right": sum(r.right for r in rs),
                "precision": s.precision,
                "recall": s.recall,
                "false_accepts": s.fp,
                "missed": s.fn,
                "seconds": elapsed,
                "wrong": [f"{r.case.id}: expected {r.expected}, got {r.got}" for r in rs if not r.right],
            }
        )
    return rows


def main() -> None:
    rows = measure()
    print("| own text found by | labels right | accepted precision | accepted recall | false accepts | missed | seconds |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for row in rows:
        if "missing" in row:
            print(f"| {row['candidate']} | not installed ({row['missing']}) | | | | | |")
            continue
        print(
            f"| {row['candidate']} | {row['right']}/{row['messages']} | {row['precision']:.1%} | {row['recall']:.1%} |"
            f" {row['false_accepts']} | {row['missed']} | {row['seconds']:.1f} |"
        )
    for row in rows:
        for line in row.get("wrong", [])[:15]:
            print(f"{row['candidate']}: {line}")


if __name__ == "__main__":
    main()
