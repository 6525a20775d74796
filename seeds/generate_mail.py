"""Generate the demo's mail and click seeds (deterministic): support@ mailboxes, cancel@
messages and the unsubscribe endpoint's logs for the three nights, using the accounts
snapshot that seeds/generate.py writes. Run it after generate.py (which clears seeds/landing):

    python seeds/generate.py && python seeds/generate_mail.py

Tokens are minted with the development key `dev:optout-development-token-key` (the default
of OPTOUT_TOKEN_KEYS), so `optout demo` and `optout run` verify them out of the box.
seeds/mail_expected.json lists each record's expected outcome and reason by source_ref.
"""

from __future__ import annotations

import csv
import hashlib
import json
import sys
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent))

from pipeline.channels.mail.reader import split_mbox  # noqa: E402
from pipeline.core.config import DEV_TOKEN_KEYS, parse_token_keys  # noqa: E402
from pipeline.intake.tokens import mint  # noqa: E402

LANDING = HERE / "landing"
DAYS = ("2026-10-08", "2026-10-09", "2026-10-10")
KEYS = parse_token_keys(DEV_TOKEN_KEYS)
SUPPORT = "ProGiga Support <support@progiga.example>"
CANCEL = "ProGiga Cancellations <cancel@progiga.example>"
NEWSLETTER_FOOTER = (
    "You receive ProGiga News because you are a customer.\nUnsubscribe: https://progiga.example/u/<token> | Manage preferences"
)
EXPECTED: dict[str, list[str]] = {}
JUNK = b"\x00\x01garbage that a broken export left behind\xff\xfe"


def contacts() -> dict[str, list[str]]:
    by_account: dict[str, list[str]] = {}
    with (LANDING / "accounts" / DAYS[0] / "accounts.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            by_account.setdefault(row["account_id"], []).append(row["email"])
    return by_account


def message(
    day: str,
    n: int,
    sender: str,
    subject: str,
    body: str,
    *,
    to: str = SUPPORT,
    html: bool = False,
    charset: str = "utf-8",
    extra: dict[str, str] | None = None,
    msg_id: str | None = None,
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime.fromisoformat(day).replace(tzinfo=UTC) + timedelta(hours=7, minutes=13 * n))
    msg["Message-ID"] = msg_id or f"<{day.replace('-', '')}.{n:03d}@mail.example.net>"
    for k, v in (extra or {}).items():
        msg[k] = v
    if html:
        paragraphs = "".join(f"<p>{p.replace(chr(10), '<br>' + chr(10))}</p>" for p in body.split("\n\n"))
        msg.set_content(f"<html><body>{paragraphs}</body></html>", subtype="html", charset=charset, cte="base64")
    else:
        msg.set_content(body, charset=charset, cte="quoted-printable")
    return msg


def expect(msg: EmailMessage | str, outcome: str, reason: str) -> None:
    ref = msg if isinstance(msg, str) else str(msg["Message-ID"])
    EXPECTED[ref] = [outcome, reason]


def quoted(text: str) -> str:
    return "\n".join("> " + line if line else ">" for line in text.split("\n"))


def dsn(day: str, n: int, bad: str) -> EmailMessage:
    msg = message(
        day,
        n,
        "Mail Delivery System <MAILER-DAEMON@mx.mail.example.net>",
        "Undelivered Mail Returned to Sender",
        f"This is the mail system at host mx.mail.example.net.\n\n<{bad}>: host said: 550 5.1.1 User unknown",
        extra={"Auto-Submitted": "auto-replied"},
    )
    return msg


def arf(day: str, n: int, complainer: str) -> bytes:
    boundary = f"arf-{day}-{n}"
    stamp = format_datetime(datetime.fromisoformat(day).replace(tzinfo=UTC) + timedelta(hours=5))
    return (
        f"From: Yahoo Feedback Loop <feedback@arf.mail.yahoo.example>\nTo: abuse@progiga.example\nSubject: Email Feedback Report\n"
        f"Date: {stamp}\nMessage-ID: <arf.{day}.{n}@arf.mail.yahoo.example>\nMIME-Version: 1.0\n"
        f'Content-Type: multipart/report; report-type=feedback-report; boundary="{boundary}"\n\n'
        f"--{boundary}\nContent-Type: text/plain\n\nThis is an email abuse report.\n\n"
        f"--{boundary}\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\nUser-Agent: YahooFBL/1.0\nVersion: 1\n"
        f"Original-Mail-From: <news@progiga.example>\nOriginal-Rcpt-To: <{complainer}>\n\n"
        f"--{boundary}\nContent-Type: message/rfc822\n\nFrom: ProGiga News <news@progiga.example>\nTo: {complainer}\n"
        f"Subject: October deals\n\nOur biggest sale.\n{NEWSLETTER_FOOTER}\n\n--{boundary}--\n"
    ).encode()


def mbox(items: list[EmailMessage | bytes]) -> bytes:
    out = b""
    for item in items:
        data = item if isinstance(item, bytes) else item.as_bytes(policy=SMTP).replace(b"\r\n", b"\n")
        data = b"\n".join(b">" + line if line.startswith(b"From ") else line for line in data.split(b"\n"))
        out += b"From MAILER-DAEMON Thu Oct  8 23:59:00 2026\n" + data.rstrip(b"\n") + b"\n\n"
    return out


def support(acc: dict[str, list[str]]) -> None:
    d1, d2, d3 = DAYS
    night1: list[EmailMessage | bytes] = []
    m = message(d1, 1, acc["AC0012"][0], "Unsubscribe", "Please unsubscribe me from your newsletter.\n\nThanks,\nBruno")
    expect(m, "accepted", "optout")
    night1.append(m)
    m = message(
        d1,
        2,
        acc["AC0020"][0],
        "Re: October deals: 50% off",
        f"Hi, my invoice INV-2291 was charged twice. Can you check?\n\n"
        f"On Tue, 6 Oct 2026, ProGiga News <news@progiga.example> wrote:\n"
        f"{quoted('Our biggest sale of the year.' + chr(10) + NEWSLETTER_FOOTER)}\n",
    )
    expect(m, "ignored", "not_optout")
    night1.append(m)
    m = message(
        d1,
        3,
        acc["AC0030"][2],
        "Automatic reply: October deals",
        "I am out of the office until 12 October.",
        extra={"Auto-Submitted": "auto-replied"},
    )
    expect(m, "ignored", "auto_reply")
    night1.append(m)
    m = message(
        d1,
        4,
        "Hélène Martin <helene.martin@exemple.fr>",
        "Désabonnement",
        "Bonjour,\n\nMerci de me désabonner de votre lettre d'information.\n\nCordialement,\nHélène",
        charset="iso-8859-1",
    )
    expect(m, "accepted", "optout")
    night1.append(m)
    m = dsn(d1, 5, "old.customer@gone.example")
    expect(m, "ignored", "bounce")
    night1.append(m)
    m = message(d1, 6, acc["AC0033"][0], "Question", "Will unsubscribing from the newsletter also stop my renewal reminders?")
    expect(m, "needs_review", "unclear")
    night1.append(m)
    (LANDING / "support_inbox" / d1).mkdir(parents=True, exist_ok=True)
    (LANDING / "support_inbox" / d1 / "support_2026-10-08.mbox").write_bytes(mbox(night1))
    complaint = arf(d1, 7, acc["AC0024"][1])
    expect(f"<arf.{d1}.7@arf.mail.yahoo.example>", "accepted", "complaint")
    (LANDING / "support_inbox" / d1 / "fbl_yahoo_0001.eml").write_bytes(complaint)

    night2: list[EmailMessage | bytes] = []
    m = message(
        d2,
        1,
        acc["AC0036"][1],
        "AW: Oktober-Angebote",
        "Guten Tag,\n\nbitte tragen Sie mich aus Ihrem Verteiler aus. Ich möchte keine Werbung mehr erhalten.\n\n"
        "Mit freundlichen Grüßen\nBruno Silva\n\n-----Ursprüngliche Nachricht-----\nVon: ProGiga News\n"
        + NEWSLETTER_FOOTER,
        html=True,
    )
    expect(m, "accepted", "optout")
    night2.append(m)
    m = message(
        d2, 2, acc["AC0040"][0], "Re: your ticket", "Please do NOT unsubscribe me, I only wanted to update my billing address.\n\nOlga"
    )
    expect(m, "ignored", "not_optout")
    night2.append(m)
    m = message(
        d2,
        3,
        "José Pérez via Hosting Users <users@lists.example.org>",
        "Darme de baja",
        "Hola:\n\nPor favor, denme de baja de su lista de correo.\n\nSaludos,\nJosé",
        extra={"Reply-To": "José Pérez <jose.perez@ejemplo.es>"},
    )
    expect(m, "accepted", "optout")
    night2.append(m)
    m = message(
        d2,
        4,
        acc["AC0042"][0],
        "Fwd: Ofertas de outubro",
        "Não quero mais receber e-mails promocionais, e removam também yusuf.silva@outlook.example da lista.\n\nAtenciosamente,\n"
        "Tariq\n\n---------- Forwarded message ---------\nFrom: ProGiga News <news@progiga.example>\n\n"
        + NEWSLETTER_FOOTER,
    )
    expect(m, "accepted", "optout")
    night2.append(m)
    m = message(d2, 5, acc["AC0018"][0], "unsubscribe", "", to="unsubscribe@progiga.example")
    expect(m, "accepted", "optout")  # by its words; with OPTOUT_UNSUBSCRIBE_MAILBOXES set, reason unsubscribe_mailbox
    night2.append(m)
    night2.append(night1[0])  # the mail system exported yesterday's first message again: a duplicate
    (LANDING / "support_inbox" / d2).mkdir(parents=True, exist_ok=True)
    (LANDING / "support_inbox" / d2 / "support_2026-10-09.mbox").write_bytes(mbox(night2))

    night3: list[EmailMessage | bytes] = []
    m = message(d3, 1, acc["AC0021"][1], "Stop", "Stop sending me promotional emails!", html=True)
    expect(m, "accepted", "optout")
    night3.append(m)
    m = message(
        d3,
        2,
        acc["AC0039"][0],
        "Site down",
        "My site has shown error 502 since this morning.\n\n-- \nAlice Rossi | Rossi Design\n"
        "This e-mail is confidential. To unsubscribe from Rossi Design news, reply STOP.",
    )
    expect(m, "ignored", "not_optout")
    night3.append(m)
    night3.append(JUNK)
    m = message(
        d3,
        4,
        acc["AC0045"][0] if "AC0045" in acc else acc["AC0044"][0],
        "Cancel my hosting",
        "Please cancel my hosting plan at the end of the month.",
    )
    expect(m, "needs_review", "unclear")
    night3.append(m)
    (LANDING / "support_inbox" / d3).mkdir(parents=True, exist_ok=True)
    data = mbox(night3)
    (LANDING / "support_inbox" / d3 / "support_2026-10-10.mbox").write_bytes(data)
    junk = next(chunk for _, chunk in split_mbox(data) if chunk.startswith(JUNK))
    expect("sha256:" + hashlib.sha256(junk).hexdigest()[:32], "rejected", "unparseable")  # no Message-ID: a hash


def cancel_mail(acc: dict[str, list[str]]) -> None:
    items = [
        (DAYS[0], 1, acc["AC0050"][0], "Cancel my account", "Please close my account AC0050 at the end of the billing period.", "accepted"),
        (DAYS[1], 1, "former.customer@example.net", "Cancel", "Cancel everything, I moved to another host.", "accepted"),
        (DAYS[2], 1, acc["AC0060"][0], "Kündigung", "Hiermit kündige ich meinen Vertrag zum nächstmöglichen Termin.", "accepted"),
        (
            DAYS[2],
            2,
            acc["AC0061"][0] if "AC0061" in acc else acc["AC0062"][0],
            "Automatische Antwort: Ihre Kündigung",
            "Ich bin nicht im Büro.",
            "ignored",
        ),
    ]
    for day, n, sender, subject, body, outcome in items:
        extra = {"Auto-Submitted": "auto-replied"} if outcome == "ignored" else None
        m = message(day, 50 + n, sender, subject, body, to=CANCEL, extra=extra)
        expect(m, outcome, "cancellation" if outcome == "accepted" else "auto_reply")
        folder = LANDING / "cancellation" / day
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"cancel_{day}_{n}.eml").write_bytes(m.as_bytes(policy=SMTP))


GMAIL_UA = "Mozilla/5.0 (compatible; Google-One-Click-Unsubscribe)"
SCANNER_UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) SafeLinks/1.0"
BROWSER_UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Safari/604.1"


def clicks(acc: dict[str, list[str]]) -> None:
    issued = datetime(2026, 10, 6, 9, 0, tzinfo=UTC)
    plan = {
        DAYS[0]: [
            ("AC0070", "POST", True, GMAIL_UA),
            ("AC0071", "GET", False, SCANNER_UA),
            ("AC0071", "POST", False, BROWSER_UA),
            ("AC0072", "GET", False, SCANNER_UA),
            ("AC0012", "POST", True, GMAIL_UA),
        ],
        DAYS[1]: [
            ("AC0080", "POST", True, GMAIL_UA),
            ("AC0081", "POST", True, GMAIL_UA),
            ("AC0082", "GET", False, BROWSER_UA),
            ("TAMPERED", "POST", True, "curl/8.5.0"),
            ("AC0083", "POST", False, BROWSER_UA),
        ],
        DAYS[2]: [
            ("AC0090", "POST", True, GMAIL_UA),
            ("AC0091", "GET", False, SCANNER_UA),
            ("AC0092", "POST", True, GMAIL_UA),
            ("TRUNCATED", "POST", True, "Mozilla/5.0"),
            ("AC0093", "POST", True, GMAIL_UA),
        ],
    }
    for d, (day, rows) in enumerate(plan.items()):
        lines = []
        for n, (who, method, one_click, agent) in enumerate(rows, start=1):
            account = who if who in acc else "AC0070"
            token = mint(KEYS, acc[account][0], f"news-2026-10-0{6 + d}", issued)
            if who == "TAMPERED":
                payload, sig = token.split(".")
                token = payload[:-4] + "QUFB" + "." + sig
            elif who == "TRUNCATED":
                token = token[:-6]
            event_id = f"clk-{day.replace('-', '')}-{n:04d}"
            occurred = datetime.fromisoformat(day).replace(tzinfo=UTC) + timedelta(hours=9, minutes=17 * n)
            lines.append(
                json.dumps(
                    {
                        "event_id": event_id,
                        "occurred_at": occurred.isoformat().replace("+00:00", "Z"),
                        "token": token,
                        "method": method,
                        "one_click": one_click,
                        "ip": f"198.51.100.{10 + n}",
                        "user_agent": agent,
                    }
                )
            )
            if method == "GET":
                expect(event_id, "ignored", "page_view")
            elif who in ("TAMPERED", "TRUNCATED"):
                expect(event_id, "rejected", "bad_token")
            else:
                expect(event_id, "accepted", "optout")
        folder = LANDING / "unsubscribe_link" / day
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"clicks-web1-{day}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    acc = contacts()
    support(acc)
    cancel_mail(acc)
    clicks(acc)
    (HERE / "mail_expected.json").write_text(json.dumps(EXPECTED, indent=2, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
