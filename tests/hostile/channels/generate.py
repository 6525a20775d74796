"""Writes the hostile channel corpus (one folder per channel) and its README.md table.

Run `python tests/hostile/channels/generate.py` after changing a case; the files are
committed, so the test reads exactly what is here. Conventions the test relies on: an address
at `ok.example` (typed, in a token, or the contact of an account `OKn`) belongs to a record
that must end `accepted`; anything at `bad.example` must not."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from esp_cases import esp_cases  # beside this script (run as a file or as tests.hostile.channels)

from pipeline.core.config import Settings
from pipeline.intake.tokens import mint

HERE = Path(__file__).resolve().parent
KEYS = Settings().token_keys
AT = datetime(2026, 10, 8, 12, 0, tzinfo=UTC)
BOM = b"\xef\xbb\xbf"
CASES: list[tuple[str, bytes, str, str]] = []  # path, content, hostile class, expected outcome


def case(path: str, content: bytes | str, what: str, expected: str) -> None:
    CASES.append((path, content.encode("utf-8") if isinstance(content, str) else content, what, expected))


def accounts() -> bytes:
    rows = ["account_id,status,email,phone,role,updated_at"]
    rows += [f"OK{n},active,ok{n}@ok.example,+1212555{n:04d},owner,2026-09-30T12:00:00Z" for n in range(1, 10)]
    return ("\n".join(rows) + "\n").encode()


# --- phone --------------------------------------------------------------------------------
PHONE_HEAD = "call_id,started_at,caller_number,account_id,email,disposition,agent_id,notes"


def call(n: int, email: str = "", at: str = "2026-10-08 10:00:00", notes: str = "", account: str = "", disposition: str = "OPT_OUT") -> str:
    return f"C{n},{at},+1 646 555 9{n:03d},{account},{email},{disposition},agent7,{notes}"


def phone_cases() -> None:
    good = [call(1, "p1@ok.example"), call(2, "p2@ok.example")]
    case("phone/time-overflow.csv", "\n".join([PHONE_HEAD, *good,
         call(3, "p3@ok.example", "9999-12-31T23:00:00-05:00"), call(4, "p4@ok.example", "0001-01-01T00:00:00+05:00"),
         call(5, "p5@ok.example", "99999999999999999999")]) + "\n",
         "`started_at` past year 9999 in UTC, before year 1, a 20-digit number", "accepted 5")
    rows = "\n".join([PHONE_HEAD, *good, call(3, "p3@ok.example", notes="Zoë Müller, 5 €")]) + "\n"
    cp_row = (call(4, "p4@ok.example", notes="François “Frank” Müller") + "\n").encode("cp1252")
    case("phone/windows-1252-mixed-with-utf8.csv", rows.encode() + cp_row,
         "UTF-8 rows and one Windows-1252 row in the same file", "accepted 4")
    case("phone/nul-byte.csv", "\n".join([PHONE_HEAD, *good, call(3, "p3@ok.example", notes="before\x00after"),
         call(4, "p4\x00@bad.example", account="")]) + "\n",
         "a NUL in a notes cell (row accepted) and in the typed address (invalid, caller unknown)", "accepted 3, needs_review 1")
    case("phone/bom.csv", BOM + ("\n".join([PHONE_HEAD, *good]) + "\n").encode(), "UTF-8 BOM before the header", "accepted 2")
    case("phone/cr-only-line-ends.csv", "\r".join([PHONE_HEAD, *good, call(3, "p3@ok.example")]) + "\r",
         "CR-only line ends", "accepted 3")
    case("phone/mixed-line-ends.csv", PHONE_HEAD + "\r\n" + good[0] + "\n" + good[1] + "\r" + call(3, "p3@ok.example") + "\r\n",
         "CRLF, LF and CR line ends in one file", "accepted 3")
    case("phone/huge-field.csv", "\n".join([PHONE_HEAD, *good, call(3, "p3@ok.example", notes="x" * 300_000)]) + "\n",
         "a 300,000-character notes cell (kept cut to 64 KiB)", "accepted 3")
    case("phone/ragged-rows.csv", "\n".join([PHONE_HEAD, *good, call(3, "p3@ok.example") + ",extra,cells,here",
         "C4,2026-10-08 10:00:00,+1 646 555 9004", "C5"]) + "\n",
         "a row with extra cells (kept), short rows (no disposition: not an opt-out)", "accepted 3, ignored 2")
    case("phone/duplicate-ids.csv", "\n".join([PHONE_HEAD, *good, call(1, "p1@ok.example"), call(1, "p9@bad.example")]) + "\n",
         "the same call_id three times", "accepted 2, duplicate 2")
    case("phone/stray-quote.csv", "\n".join([PHONE_HEAD, *good, call(3, "p3@ok.example", notes='Mr O"Brien said 5" of snow')]) + "\n",
         "a literal quote inside an unquoted cell", "accepted 3")
    case("phone/truncated-quote.csv", "\n".join([PHONE_HEAD, *good, call(3, "p3@bad.example", notes='"cut off here')]) + "\n",
         "a quoted cell never closed (file truncated)", "quarantined: unbalanced quote")
    case("phone/empty.csv", b"", "an empty file", "quarantined: empty file")
    case("phone/header-only.csv", PHONE_HEAD + "\n", "a header and no rows", "read 0")
    case("phone/unnamed-columns.csv", PHONE_HEAD + ",,\n" + good[0] + ",a,b\n" + good[1] + ",c,d\n",
         "two columns with no name in the header", "accepted 2")


# --- cancellation tickets and cancel@ mail -------------------------------------------------
TICKET_HEAD = "ticket_id,account_id,created_at,category,status,subject"


def ticket(n: int, account: str, at: str = "2026-10-08T09:00:00Z", subject: str = "close my account") -> str:
    return f"T{n},{account},{at},cancellation,open,{subject}"


def message(sender: str, n: int, date: str = "Thu, 08 Oct 2026 10:00:00 +0000", body: str = "Please unsubscribe me.",
            subject: str = "Unsubscribe", extra: str = "", to: str = "support@progiga.example") -> bytes:
    head = f"From: {sender}\nTo: {to}\nSubject: {subject}\nDate: {date}\nMessage-ID: <m{n}.{sender.split('@')[0]}@mail.example>\n"
    return (head + extra + "\n" + body + "\n").encode("utf-8")


def mbox(*messages: bytes) -> bytes:
    return b"".join(b"From someone@example.com Thu Oct  8 10:00:00 2026\n" + m + b"\n" for m in messages)


def cancellation_cases() -> None:
    good = [ticket(1, "OK1"), ticket(2, "OK2")]
    case("cancellation/time-overflow.csv", "\n".join([TICKET_HEAD, *good, ticket(3, "OK3", "9999-12-31T23:00:00-05:00"),
         ticket(4, "OK4", "0001-01-01T00:00:00+05:00")]) + "\n",
         "`created_at` that overflows when read in UTC", "accepted 4")
    case("cancellation/nul-byte.csv", "\n".join([TICKET_HEAD, *good, ticket(3, "OK3", subject="stop\x00now"),
         ticket(4, "BAD\x004")]) + "\n",
         "a NUL in a subject (accepted) and in an account id (not in the snapshot)", "accepted 3, needs_review 1")
    case("cancellation/bom.csv", BOM + ("\n".join([TICKET_HEAD, *good]) + "\n").encode(), "UTF-8 BOM", "accepted 2")
    case("cancellation/duplicate-ids.csv", "\n".join([TICKET_HEAD, *good, ticket(1, "OK1"), ticket(2, "BADX")]) + "\n",
         "ticket ids repeated", "accepted 2, duplicate 2")
    case("cancellation/mostly-binary.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + (b"\x00" * 60 + bytes(range(256))) * 4,
         "a PNG image named .csv", "quarantined: binary data")
    case("cancellation/utf-16.csv", ("\n".join([TICKET_HEAD, *good]) + "\n").encode("utf-16"),
         "a UTF-16 export", "quarantined: UTF-16")
    to = "cancel@progiga.example"
    case("cancellation/date-overflow.mbox", mbox(message("ok1@ok.example", 1, to=to), message("ok2@ok.example", 2, to=to),
         message("ok3@ok.example", 3, "Fri, 31 Dec 9999 23:00:00 -0500", to=to),
         message("ok4@ok.example", 4, "Mon, 01 Jan 0001 00:00:00 +0500", to=to)),
         "Date headers past 9999 and before year 1 in UTC (arrival time stands in)", "accepted 4")
    case("cancellation/date-overflow.eml", message("ok5@ok.example", 5, "Fri, 31 Dec 9999 23:00:00 -0500", to=to),
         "a single message whose Date overflows", "accepted 1")
    case("cancellation/bom.mbox", BOM + mbox(message("ok1@ok.example", 1, to=to), message("ok2@ok.example", 2, to=to)),
         "UTF-8 BOM before the first From line", "accepted 2")
    cut = b"Subj"  # cut off inside its first header name
    case("cancellation/truncated.mbox", mbox(message("ok1@ok.example", 1, to=to), message("ok2@ok.example", 2, to=to))
         + b"From someone@example.com Thu Oct  8 10:00:00 2026\n" + cut,
         "the last message cut off inside its headers", "accepted 2, rejected 1")


# --- preference_center ---------------------------------------------------------------------
PREF_HEAD = "change_id,user_id,account_id,email,marketing_opt_in,changed_at"


def change(n: int, email: str, at: str = "2026-10-08T08:00:00Z", value: str = "false", account: str = "") -> str:
    return f"P{n},U{n},{account},{email},{value},{at}"


def preference_cases() -> None:
    good = [change(1, "f1@ok.example"), change(2, "f2@ok.example")]
    case("preference_center/time-overflow.csv", "\n".join([PREF_HEAD, *good, change(3, "f3@ok.example", "9999-12-31T23:00:00-05:00"),
         change(4, "f4@ok.example", "0001-01-01T00:00:00+05:00")]) + "\n",
         "`changed_at` that overflows in UTC", "accepted 4")
    case("preference_center/huge-number-time.csv", "\n".join([PREF_HEAD, *good, change(3, "f3@ok.example", "9" * 5000)]) + "\n",
         "a 5,000-digit `changed_at`", "accepted 3")
    rows = ("\n".join([PREF_HEAD, *good]) + "\n").encode()
    case("preference_center/windows-1252-mixed-with-utf8.csv",
         rows + change(3, "f3@ok.example", account="Société").encode("cp1252") + b"\n"
         + change(4, "f4@ok.example", account="Zoë").encode() + b"\n",
         "a Windows-1252 row between UTF-8 rows", "accepted 4")
    case("preference_center/undefined-cp1252-bytes.csv", rows + b"P3,U3,,f3@ok.example,false,2026-10-08T08:00:00Z,\x81\x8d\x9d\n",
         "bytes neither UTF-8 nor Windows-1252 in an extra cell", "accepted 3")
    case("preference_center/nul-byte.csv", "\n".join([PREF_HEAD, *good, change(3, "f3@bad.example", value="fal\x00se")]) + "\n",
         "a NUL inside the opt-in value", "accepted 2, needs_review 1")
    case("preference_center/bom-cp1252.csv", BOM + rows + change(3, "f3@ok.example", account="Müller").encode("cp1252") + b"\n",
         "a UTF-8 BOM on a file that is not all UTF-8", "accepted 3")
    case("preference_center/ragged-rows.csv",
         "\n".join([PREF_HEAD, *good, "P3,U3,,f3@bad.example", change(4, "f4@ok.example") + ",,,x"]) + "\n",
         "a short row (no opt-in value) and a long one", "accepted 3, needs_review 1")
    case("preference_center/cr-only-line-ends.csv", "\r".join([PREF_HEAD, *good]) + "\r", "CR-only line ends", "accepted 2")


# --- postal_mail ---------------------------------------------------------------------------
POSTAL_HEAD = "letter_id,received_at,email,account_id,name,reference"


def letter(n: int, email: str, at: str = "2026-10-07", name: str = "A. Writer", account: str = "") -> str:
    return f"L{n},{at},{email},{account},{name},ref-{n}"


def postal_cases() -> None:
    good = [letter(1, "l1@ok.example"), letter(2, "", account="OK6")]
    case("postal_mail/bom.csv", BOM + ("\n".join([POSTAL_HEAD, *good]) + "\n").encode(), "UTF-8 BOM", "accepted 2")
    pepe = letter(3, "l3@ok.example", name="José Núñez “Pepe”")
    case("postal_mail/windows-1252.csv", ("\n".join([POSTAL_HEAD, *good, pepe]) + "\r\n").encode("cp1252"),
         "a whole file in Windows-1252", "accepted 3")
    case("postal_mail/nul-byte.csv", "\n".join([POSTAL_HEAD, *good, letter(3, "l3@ok.example", name="Nul\x00Name"),
         letter(4, "l4@bad.example\x00")]) + "\n",
         "a NUL in a name (accepted) and in an address (invalid)", "accepted 3, rejected 1")
    long_name = '"' + "long name, " * 20_000 + '"'
    case("postal_mail/huge-field.csv", "\n".join([POSTAL_HEAD, *good, letter(3, "l3@ok.example", name=long_name)]) + "\n",
         "a quoted 220,000-character name with commas", "accepted 3")
    case("postal_mail/huge-id.csv", "\n".join([POSTAL_HEAD, *good, "L" + "9" * 10_000 + ",2026-10-07,l3@ok.example,,x,y"]) + "\n",
         "a 10,000-character letter id (stored as its hash)", "accepted 3")
    case("postal_mail/time-overflow.csv", "\n".join([POSTAL_HEAD, *good, letter(3, "l3@ok.example", "9999-12-31T23:00:00-05:00")]) + "\n",
         "`received_at` that overflows in UTC", "accepted 3")
    case("postal_mail/duplicate-ids.csv", "\n".join([POSTAL_HEAD, *good, letter(1, "l1@ok.example"), letter(2, "l9@bad.example")]) + "\n",
         "letter ids repeated with different content", "accepted 2, duplicate 2")
    case("postal_mail/cr-only-with-nul.csv", "\r".join([POSTAL_HEAD, *good, letter(3, "l3@ok.example", name="a\x00b")]) + "\r",
         "CR-only line ends and a NUL in a name (the file is one line to a LF search)", "accepted 3")
    case("postal_mail/missing-column.csv", "letter_id;received_at;email\nL1;2026-10-07;l1@bad.example\n",
         "a ;-separated export (whole file)", "quarantined: ';'-separated")


# --- support_inbox -------------------------------------------------------------------------
def support_cases() -> None:
    good = [message("s1@ok.example", 1), message("s2@ok.example", 2)]
    case("support_inbox/date-overflow.mbox", mbox(*good, message("s3@ok.example", 3, "Fri, 31 Dec 9999 23:00:00 -0500"),
         message("s4@ok.example", 4, "Mon, 01 Jan 0001 00:00:00 +0500"), message("s5@ok.example", 5, "31 Dec 99999 99:99:99 +9999")),
         "Date headers that overflow or cannot be read", "accepted 5")
    case("support_inbox/date-year-one.eml", message("s6@ok.example", 6, "Mon, 01 Jan 0001 00:00:00 +0500"),
         "one message dated before year 1 in UTC", "accepted 1")
    case("support_inbox/nul-byte.mbox", mbox(*good, message("s3@ok.example", 3, body="Please unsubscribe me.\x00\x00 thanks"),
         message("s4@ok.example", 4, subject="Unsub\x00scribe", body="unsubscribe me")),
         "NUL bytes in a body and in a Subject", "accepted 4")
    case("support_inbox/bom.eml", BOM + message("s7@ok.example", 7), "a UTF-8 BOM before the first header", "accepted 1")
    case("support_inbox/bom.mbox", BOM + mbox(*good), "a UTF-8 BOM before the first From line", "accepted 2")
    case("support_inbox/truncated.mbox", mbox(*good) + b"From x@example.com Thu Oct  8 10:00:00 2026\nFrom: s9@bad.example\nSubj",
         "the last message cut off in its headers (read, not an opt-out)", "accepted 2, ignored 1")
    broken_mime = message("s3@ok.example", 3, extra='MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="never"\n',
                          body="--wrong\nContent-Type: text/plain\n\nPlease unsubscribe me.\n--never")
    nested = message("s4@ok.example", 4, extra="MIME-Version: 1.0\nContent-Type: multipart/mixed\n",
                     body="Please unsubscribe me.")
    case("support_inbox/broken-mime.mbox", mbox(*good, broken_mime, nested),
         "a multipart with the wrong boundary, and one with no boundary at all", "accepted 4")
    case("support_inbox/broken-header-encoding.mbox", mbox(*good,
         message("s3@ok.example", 3, subject="=?x-unknown?B?!!!?= =?utf-8?Q?Unsubscribe?="),
         message("s4@ok.example", 4, subject="=?utf-8?B?VW5zdWJzY3JpYmU?=", extra="X-Bad: =?utf-8?B?////?=\n"),
         ("From: Zo\xeb <s5@ok.example>\nTo: support@progiga.example\nSubject: Unsubscribe\n"
          "Date: Thu, 08 Oct 2026 10:00:00 +0000\n\nPlease unsubscribe me.\n").encode("latin-1")),
         "unknown charsets, broken encoded-words, raw Latin-1 in From", "accepted 5")
    crlf = [good[0].replace(b"\n", b"\r\n"), good[1], message("s3@ok.example", 3).replace(b"\n", b"\r\n")]
    case("support_inbox/crlf-and-lf.mbox", mbox(*crlf),
         "messages with CRLF and LF line ends in one mbox", "accepted 3")
    case("support_inbox/cr-only.mbox", mbox(*good).replace(b"\n", b"\r"), "an mbox with CR-only line ends", "accepted 2")
    case("support_inbox/not-an-mbox.mbox", b"hello\nthis is not mail\n", "text that is no mbox (whole file)", "quarantined: not an mbox")
    case("support_inbox/empty-message.mbox", mbox(*good) + b"From x@example.com Thu Oct  8 10:00:00 2026\n\n",
         "an mbox whose last message is empty", "accepted 2, rejected 1")
    case("support_inbox/duplicate-message-id.mbox", mbox(*good, good[0], good[1]), "the same messages twice", "accepted 2, duplicate 2")


# --- unsubscribe_link ----------------------------------------------------------------------
def click(n: int, address: str, at: str = "2026-10-08T09:30:00Z", **extra: object) -> str:
    row = {"event_id": f"e{n}", "occurred_at": at, "token": mint(KEYS, address, "oct", AT), "method": "POST",
           "one_click": True, "ip": "192.0.2.1", "user_agent": "Mail/1.0"} | extra
    return json.dumps(row)


def link_cases() -> None:
    good = [click(1, "u1@ok.example"), click(2, "u2@ok.example")]

    def jl(*lines: str) -> str:
        return "\n".join(lines) + "\n"

    case("unsubscribe_link/null-line.jsonl", jl(good[0], "null", good[1]), "a line that is `null`", "accepted 2, rejected 1")
    case("unsubscribe_link/array-and-scalars.jsonl", jl(good[0], "[1, 2, 3]", '"just a string"', "42", "true", good[1]),
         "lines that are an array, a string, a number, a boolean", "accepted 2, rejected 4")
    case("unsubscribe_link/deep-nesting.jsonl", jl(good[0], '{"event_id": "e9", "x": ' + "[" * 100_000 + "]" * 100_000 + "}", good[1]),
         "an object nested 100,000 levels deep", "accepted 2, rejected 1")
    case("unsubscribe_link/huge-number.jsonl", jl(good[0], '{"event_id": "e9", "occurred_at": ' + "9" * 5000 + "}", good[1]),
         "a 5,000-digit number", "accepted 2, rejected 1")
    case("unsubscribe_link/nan-and-infinity.jsonl", jl(good[0], '{"event_id": "e8", "occurred_at": NaN}',
         '{"event_id": "e9", "one_click": Infinity}', '{"event_id": "e10", "x": 1e999}', good[1]),
         "NaN, Infinity and a float that overflows", "accepted 2, rejected 3")
    nul_line = click(3, "u9@bad.example")[:-1] + ', "note": "a\x00b"}'
    case("unsubscribe_link/nul-byte.jsonl", jl(good[0], nul_line, click(4, "u4@ok.example", user_agent="a\x00b"), good[1]),
         "a raw NUL inside a line (invalid JSON) and an escaped \\u0000 (accepted, stored without NUL)", "accepted 3, rejected 1")
    lone = click(3, "u3@ok.example", user_agent="\ud800x\udfff", event_id="e\ud83d")
    case("unsubscribe_link/lone-surrogates.jsonl", jl(good[0], lone, good[1]),
         "lone UTF-16 surrogates in strings and in the event id", "accepted 3")
    case("unsubscribe_link/bom.jsonl", BOM + jl(*good).encode(), "a UTF-8 BOM before the first click", "accepted 2")
    case("unsubscribe_link/cr-only-line-ends.jsonl", "\r".join(good) + "\r", "CR-only line ends", "accepted 2")
    case("unsubscribe_link/mixed-line-ends.jsonl", good[0] + "\r\n" + good[1] + "\r" + click(3, "u3@ok.example") + "\n\n\r\n",
         "CRLF, CR and LF line ends and blank lines", "accepted 3")
    cp1252 = click(3, "u3@ok.example", user_agent="Zoë").encode("cp1252")
    case("unsubscribe_link/windows-1252-bytes.jsonl", jl(good[0]).encode() + cp1252 + b"\n" + jl(good[1]).encode(),
         "a Windows-1252 byte inside a JSON string", "accepted 3")
    case("unsubscribe_link/time-overflow.jsonl", jl(good[0], click(3, "u3@ok.example", "9999-12-31T23:00:00-05:00"),
         click(4, "u4@ok.example", "0001-01-01T00:00:00+05:00"), click(5, "u5@ok.example", 1e300), good[1]),
         "`occurred_at` that overflows in UTC, and one that is a huge float", "accepted 5")
    case("unsubscribe_link/huge-line.jsonl", jl(good[0], '{"event_id": "e9", "pad": "' + "x" * 1_200_000 + '"}', good[1]),
         "a 1.2 MB line, over the 1 MiB limit (its first 4,000 characters kept)", "accepted 2, rejected 1")
    typed = json.dumps({"event_id": {"a": 1}, "occurred_at": "2026-10-08T09:30:00Z", "token": 7, "method": ["POST"]})
    case("unsubscribe_link/wrong-types.jsonl", jl(good[0], typed,
         json.dumps({"event_id": "e9", "occurred_at": "2026-10-08T09:30:00Z", "token": ["x"], "method": "POST"}), good[1]),
         "fields of the wrong JSON type (object id, array method, numeric and array token)", "accepted 2, ignored 1, rejected 1")
    case("unsubscribe_link/duplicate-ids.jsonl", jl(*good, good[0], click(2, "u9@bad.example")), "event ids repeated",
         "accepted 2, duplicate 2")
    case("unsubscribe_link/torn-line.jsonl", jl(good[0], good[1][:50], good[1]), "a line cut in the middle", "accepted 2, rejected 1")
    case("unsubscribe_link/empty.jsonl", b"", "an empty file", "read 0")
    case("unsubscribe_link/binary.jsonl", b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + bytes(range(256)) * 8, "gzip data named .jsonl",
         "quarantined: binary data")


def readme() -> str:
    lines = [
        "# Hostile channel input",
        "",
        "Each file holds good records next to one hostile class, and is ingested through the real",
        "ingest path by `tests/integration/test_hostile_channels.py` on SQLite and PostgreSQL. The",
        "`expected` column is what that test asserts: the file's reconciliation counts (outcomes not",
        "listed are 0), or `quarantined: <text in the error>` for a whole-file problem (the file is",
        "still recorded). Addresses at `ok.example` (typed, in a token, or the contact of an account",
        "`OKn` in `accounts.csv`) must end suppressed; those at `bad.example` must not. The files are",
        "written by `generate.py`; change a case there and run it.",
        "",
        "| file | hostile class | expected |",
        "| --- | --- | --- |",
    ]
    lines += [f"| `{path}` | {what} | {expected} |" for path, _, what, expected in CASES]
    return "\n".join(lines) + "\n"


def main() -> None:
    for make in (phone_cases, cancellation_cases, preference_cases, postal_cases, support_cases, link_cases):
        make()
    esp_cases(case)
    (HERE / "accounts.csv").write_bytes(accounts())
    for path, content, _, _ in CASES:
        target = HERE / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    (HERE / "README.md").write_text(readme(), encoding="utf-8")


if __name__ == "__main__":
    main()
