"""Writes the hostile .eml files of this folder (run: python tests/hostile/mail/generate.py).
Each is a message a list, a client or a broken gateway really sends; README.md labels them.
The bytes are written exactly, so line endings (CR only, mixed CRLF/LF) survive."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
GG = (
    "Reply-To: Jane Roe <jane.roe@example.com>\nSender: hosting-users@googlegroups.com\nPrecedence: bulk\n"
    "List-ID: <hosting-users.googlegroups.com>\nList-Unsubscribe: <mailto:googlegroups-manage+1+unsubscribe@googlegroups.com>\n"
)
GG_FOOTER = (
    '\n-- \nYou received this message because you are subscribed to the Google Groups "Hosting Users" group.\n'
    "To unsubscribe from this group and stop receiving emails from it, send an email to hosting-users+unsubscribe@googlegroups.com.\n"
)


def head(n: int, sender: str, subject: str, extra: str = "") -> str:
    return (
        f"From: {sender}\nTo: support@progiga.example\nSubject: {subject}\nDate: Fri, 9 Oct 2026 09:{n:02d}:00 +0000\n"
        f"Message-ID: <hostile.{n}@mail.example>\nMIME-Version: 1.0\n{extra}"
    )


def plain(n: int, sender: str, subject: str, body: str, extra: str = "") -> str:
    return head(n, sender, subject, extra) + "Content-Type: text/plain; charset=utf-8\n\n" + body


MIA = "Mia Wong <mia.wong@example.com>"
VIA = "Jane Roe via Hosting Users <hosting-users@googlegroups.com>"
NEWSLETTER_HTML_B64 = (
    "PGh0bWw+PGJvZHk+PHA+QXV0dW1uIHNhbGU6IG1hbmFnZWQgV29yZFByZXNzIGZyb20gJDIuOTk8L3A+"
    "PHA+PGEgaHJlZj0iaHR0cHM6Ly9hY21lLmV4YW1wbGUvdS85ZjNhIj5VbnN1YnNjcmliZTwvYT48L3A+PC9ib2R5PjwvaHRtbD4="
)

FILES: dict[str, bytes] = {
    "encoded-word-q-subject-only.eml": plain(1, MIA, "=?utf-8?q?unsubscribe?=", "").encode(),
    "encoded-word-b-misspelled-subject.eml": plain(2, MIA, "=?UTF-8?B?VW5zdWJjcmliZQ==?=", "").encode(),
    "encoded-word-unknown-charset.eml": plain(3, MIA, "=?x-unknown-charset?q?unsubscribe?=", "").encode(),
    "encoded-word-broken-base64-body-asks.eml": plain(4, MIA, "=?utf-8?b?!!!not-base64?=", "unsubscribe\n").encode(),
    "encoded-word-list-tag-and-prefix.eml": plain(5, MIA, "=?utf-8?q?Re=3A_=5BUsers=5D_unsubscribe?=", "").encode(),
    "cr-only-line-endings-group-relay.eml": plain(6, VIA, "[hosting-users] unsubscribe", "unsubscribe\n" + GG_FOOTER, GG)
    .replace("\n", "\r")
    .encode(),
    "mixed-crlf-lf-folded-subject.eml": plain(7, MIA, "[Users]\r\n\tunsubscribe", "\r\n", "Precedence: list\r\n").encode(),
    "no-space-after-colon.eml": b"From:mia.wong@example.com\nTo:support@progiga.example\nSubject:unsubscribe\nPrecedence:bulk\n"
    b"Message-ID:<hostile.8@mail.example>\nDate:Fri, 9 Oct 2026 09:08:00 +0000\n\nunsubscribe\n",
    "precedence-twice-list-first.eml": plain(9, MIA, "[Users] unsubscibe", "", "Precedence: list\nPrecedence: bulk\n").encode(),
    "raw-8bit-subject-latin1.eml": head(
        10, "Luc Bernard <luc.bernard@exemple.fr>", "[liste] D\xe9sabonnement", "Precedence: list\n"
    ).encode("latin-1")
    + b"Content-Type: text/plain; charset=iso-8859-1\n\n",
    "from-without-address-reply-to-person.eml": plain(
        11, "Jane Roe via Hosting Users", "unsubscribe", "", "Reply-To: jane.roe@example.com\nPrecedence: bulk\n"
    ).encode(),
    "newsletter-uppercase-bulk-base64-html.eml": (
        head(12, "Acme News <news@acme.example>", "Autumn sale", "Precedence: BULK\nList-Unsubscribe: <https://acme.example/u/9f3a>\n")
        + "Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
        + NEWSLETTER_HTML_B64
        + "\n"
    ).encode(),
    "ooo-encoded-subject-quoting-request.eml": plain(
        13,
        "Quinn Park <quinn.park@example.com>",
        "=?iso-8859-1?q?R=E9ponse_automatique_:_unsubscribe?=",
        "Je suis absente.\n\n> unsubscribe\n",
        "Precedence: bulk\n",
    ).encode(),
    "five-hundred-reply-prefixes.eml": plain(14, MIA, "Re: " * 500 + "unsubscribe", "").encode(),
    "subject-only-a-list-tag.eml": plain(15, MIA, "[Users]", "", "Precedence: list\n").encode(),
    "nul-bytes-in-body.eml": plain(16, MIA, "hello", "unsub\x00scribe\x00 please\n").encode(),
    "auto-submitted-bulk-unsubscribe.eml": plain(
        17, "Helpdesk <helpdesk@vendor.example>", "Re: unsubscribe", "unsubscribe\n", "Auto-Submitted: auto-replied\nPrecedence: bulk\n"
    ).encode(),
}


def main() -> None:
    for name, data in FILES.items():
        (HERE / name).write_bytes(data)


if __name__ == "__main__":
    main()
