"""Labelled messages as list archives and support inboxes hold them: people's requests relayed by
Google Groups, Mailman 2 and 3, and Sympa (List-Id, List-Unsubscribe, Precedence: list or bulk,
"Jane via Group" From with the person in Reply-To, the list's footer below the text); bare
subject-only commands behind list tags and reply prefixes in many languages; misspelled
"unsubscribe"; and what must stay out: newsletters with Precedence: bulk and unsubscribe
footers, auto-replies with Precedence: bulk and Auto-Submitted, an out-of-office quoting a
request, a list member's reply to someone else's "unsubscribe", a no-reply bulk sender.

The hostile ones (broken headers, encoded-words, odd line endings) are files under
tests/hostile/mail/, labelled in its README.md; `hostile_cases` reads them from there."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

from tests.unit.channels.mail.corpus import SUPPORT, Case

HOSTILE = Path(__file__).resolve().parents[3] / "hostile" / "mail"
_n = itertools.count(1)

GROUP = "hosting-users@googlegroups.com"
GG_FOOTER = (
    '\n-- \nYou received this message because you are subscribed to the Google Groups "Hosting Users" group.\n'
    "To unsubscribe from this group and stop receiving emails from it, send an email to hosting-users+unsubscribe@googlegroups.com.\n"
    "To view this discussion visit https://groups.google.com/d/msgid/hosting-users/CAF1.2%40mail.gmail.com.\n"
)
GG_FOOTER_NO_DASHES = GG_FOOTER.replace("\n-- \n", "\n")
MM2_FOOTER = (
    "\n_______________________________________________\nUsers mailing list\nUsers@lists.example.org\n"
    "https://lists.example.org/mailman/listinfo/users\n"
)
MM3_FOOTER = (
    "\n_______________________________________________\nUsers mailing list -- users@lists.example.org\n"
    "To unsubscribe send an email to users-leave@lists.example.org\n"
)
NEWSLETTER_TEXT = (
    "Our autumn sale starts today: managed WordPress from $2.99 a month.\n\n"
    "You are receiving this email because you signed up at acme.example.\n"
    "If you no longer wish to receive these emails, unsubscribe here: https://acme.example/u/9f3a\n\n"
    "Don't want these? Unsubscribe.\n"
)
DIGEST = (
    "Send Users mailing list submissions to\n\tusers@lists.example.org\n\n"
    "To subscribe or unsubscribe via the World Wide Web, visit\n\thttps://lists.example.org/mailman/listinfo/users\n"
    "or, via email, send a message with subject or body 'help' to\n\tusers-request@lists.example.org\n\n"
    "Today's Topics:\n\n   1. unsubscribe (Jane Roe)\n   2. Re: unsubscribe (Carol Diaz)\n\n"
    "----------------------------------------------------------------------\n\nMessage: 1\n"
    "From: Jane Roe <jane.roe@example.com>\nSubject: unsubscribe\n\nunsubscribe\n\n"
    "------------------------------\n\nMessage: 2\nFrom: Carol Diaz <carol.diaz@example.net>\n"
    "Subject: Re: unsubscribe\n\nUse the link at the bottom, nobody here can do it for you.\n"
)
NEWSLETTER_HTML = (
    "<html><body><table><tr><td><h1>Autumn sale</h1><p>Managed WordPress from $2.99 a month.</p></td></tr>"
    '<tr><td><p><a href="https://acme.example/u/9f3a">Unsubscribe</a></p>'
    '<p><a href="https://acme.example/prefs">Update your preferences</a></p></td></tr></table></body></html>'
)


def _headers(sender: str, subject: str, extra: dict[str, str], to: str) -> str:
    n = next(_n)
    lines = [f"From: {sender}", f"To: {to}", f"Subject: {subject}", f"Date: Fri, 9 Oct 2026 08:{n % 60:02d}:00 +0000"]
    lines.append(f"Message-ID: <relayed.{n}@mail.example>")
    lines += [f"{k}: {v}" for k, v in extra.items()]
    return "\n".join(lines)


def message(sender: str, subject: str, body: str, extra: dict[str, str] | None = None, *, to: str = SUPPORT, html: str = "") -> bytes:
    """A raw message: text/plain, or multipart/alternative when `html` is given ("" body and
    an html body: HTML only)."""
    head = _headers(sender, subject, {"MIME-Version": "1.0", **(extra or {})}, to)
    if not html:
        return f"{head}\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n{body}".encode()
    if not body:
        return f"{head}\nContent-Type: text/html; charset=utf-8\n\n{html}\n".encode()
    return (
        f'{head}\nContent-Type: multipart/alternative; boundary="b1"\n\n--b1\nContent-Type: text/plain; charset=utf-8\n\n'
        f"{body}\n--b1\nContent-Type: text/html; charset=utf-8\n\n{html}\n--b1--\n"
    ).encode()


def google_groups(person: str, address: str, *, precedence: str = "list", reply_to: str | None = None) -> dict[str, str]:
    """The headers Google Groups adds when it relays a post and rewrites From for DMARC."""
    return {
        "Reply-To": reply_to or f"{person} <{address}>",
        "Sender": GROUP,
        "X-Original-Sender": address,
        "X-Original-From": f"{person} <{address}>",
        "Precedence": precedence,
        "Mailing-list": f"list {GROUP}; contact hosting-users+owners@googlegroups.com",
        "List-ID": "<hosting-users.googlegroups.com>",
        "List-Post": f"<https://groups.google.com/group/hosting-users/post>, <mailto:{GROUP}>",
        "List-Unsubscribe": "<mailto:googlegroups-manage+1234+unsubscribe@googlegroups.com>, "
        "<https://groups.google.com/group/hosting-users/subscribe>",
    }


def mailman(precedence: str = "list", version: int = 2) -> dict[str, str]:
    headers = {
        "Precedence": precedence,
        "List-Id": "Users <users.lists.example.org>",
        "List-Unsubscribe": "<https://lists.example.org/mailman/options/users>,"
        " <mailto:users-request@lists.example.org?subject=unsubscribe>",
        "List-Post": "<mailto:users@lists.example.org>",
        "Sender": "Users <users-bounces@lists.example.org>",
        "Errors-To": "users-bounces@lists.example.org",
    }
    if version == 3:
        headers["List-Unsubscribe"] = "<mailto:users-leave@lists.example.org>"
        headers["Sender"] = "users-bounces@lists.example.org"
    return headers


SYMPA = {
    "Precedence": "list",
    "List-Id": "<news.lists.exemple.fr>",
    "List-Unsubscribe": "<mailto:sympa@lists.exemple.fr?subject=unsubscribe%20news>",
    "X-Loop": "news@lists.exemple.fr",
    "X-Sequence": "4411",
}
BULK_NEWSLETTER = {
    "Precedence": "bulk",
    "List-Unsubscribe": "<https://acme.example/u/9f3a>, <mailto:unsub-9f3a@acme.example>",
    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    "Feedback-ID": "campaign-77:acme:esp",
}


def _case(id: str, data: bytes, outcome: str, reason: str, *addresses: str) -> Case:
    return Case(f"relayed-{id}", data, outcome, reason, frozenset(a.lower() for a in addresses))


def relayed_cases() -> list[Case]:
    jane = ("Jane Roe", "jane.roe@example.com")
    via = f"Jane Roe via Hosting Users <{GROUP}>"
    gg = google_groups(*jane)
    out = [
        # Google Groups relays: the person is in Reply-To; From is the group (SPEC: both).
        _case("gg-bare-command", message(via, "unsubscribe", "unsubscribe\n" + GG_FOOTER, gg), "accepted", "optout", GROUP, jane[1]),
        _case(
            "gg-bulk-misspelled-subject",
            message(via, "Re: [hosting-users] unsubcribe", GG_FOOTER_NO_DASHES, google_groups(*jane, precedence="bulk")),
            "accepted",
            "optout",
            GROUP,
            jane[1],
        ),
        _case(
            "gg-bulk-unsuscribe-body",
            message(
                via, "[hosting-users] (no subject)", "Hi all,\n\nunsuscribe\n\nJane\n" + GG_FOOTER, google_groups(*jane, precedence="bulk")
            ),
            "accepted",
            "optout",
            GROUP,
            jane[1],
        ),
        _case(
            "gg-question-footer",
            message(
                via,
                "[hosting-users] SPF record for a subdomain",
                "How do I add an SPF record for mail.example.com?\n" + GG_FOOTER_NO_DASHES,
                gg,
            ),
            "ignored",
            "not_optout",
        ),
        _case(
            "gg-question-bulk",
            message(
                via,
                "[hosting-users] PHP 8.3",
                "When will PHP 8.3 be available on shared plans?\n" + GG_FOOTER,
                google_groups(*jane, precedence="bulk"),
            ),
            "ignored",
            "auto_reply",
        ),
        _case(
            "gg-x-original-from",
            message(
                f"Bob Stone via Hosting Users <{GROUP}>",
                "[hosting-users] too much mail",
                "Please remove me from this list.\n" + GG_FOOTER,
                google_groups("Bob Stone", "bob.stone@example.org", reply_to=GROUP),
            ),
            "accepted",
            "optout",
            GROUP,
            "bob.stone@example.org",
        ),
        # A member's reply to someone else's "unsubscribe": the subject is not the replier's.
        _case(
            "gg-reply-to-a-command",
            message(
                f"Carol Diaz via Hosting Users <{GROUP}>",
                "Re: [hosting-users] unsubscribe",
                "You need to use the link at the bottom of every message, nobody here can do it for you.\n\n"
                "On Thu, Jane Roe wrote:\n> unsubscribe\n" + GG_FOOTER,
                google_groups("Carol Diaz", "carol.diaz@example.net"),
            ),
            "ignored",
            "not_optout",
        ),
        _case(
            "gg-empty-reply",
            message(via, "Re: [hosting-users] Meeting notes", "\n" + GG_FOOTER, gg),
            "ignored",
            "not_optout",
        ),
        # Mailman 2.1 and 3: From is the person (or "via" after DMARC munging), footer below.
        _case(
            "mm-command-with-list-and-address",
            message(
                "Carl Fox <carl.fox@example.com>", "[Users] unsubscribe", "unsubscribe users carl@example.net\n" + MM2_FOOTER, mailman()
            ),
            "accepted",
            "optout",
            "carl.fox@example.com",
            "carl@example.net",
        ),
        _case(
            "mm-bulk-greeting-command-name",
            message("Dana Kim <dana.kim@example.com>", "[Users]", "Hi,\n\nunsuscribe\n\nDana\n" + MM2_FOOTER, mailman("bulk")),
            "accepted",
            "optout",
            "dana.kim@example.com",
        ),
        _case(
            "mm-dmarc-via",
            message(
                "Erin Smith via Users <users@lists.example.org>",
                "[Users] drowning",
                "Please take me off this list, I'm drowning in mail.\n" + MM2_FOOTER,
                {**mailman(), "Reply-To": "Erin Smith <erin.smith@example.com>"},
            ),
            "accepted",
            "optout",
            "users@lists.example.org",
            "erin.smith@example.com",
        ),
        _case(
            "mm3-question-footer",
            message(
                "Gus Lee <gus.lee@example.com>", "[Users] SPF", "How do I set up SPF for my domain?\n" + MM3_FOOTER, mailman(version=3)
            ),
            "ignored",
            "not_optout",
        ),
        _case(
            "mm-robot-address-not-opted-out",
            message(
                "Frank Ode <frank.ode@example.com>",
                "[Users] help",
                "Unsubscribe me, users-request@lists.example.org does not answer.\n" + MM2_FOOTER,
                mailman(),
            ),
            "accepted",
            "optout",
            "frank.ode@example.com",
        ),
        _case(
            "mm-bulk-command-says-more",
            message(
                "Hana Ito <hana.ito@example.com>",
                "[Users] unsubscribe",
                "The web page keeps failing and my password reset never arrives, three times now.\n" + MM2_FOOTER,
                mailman("bulk"),
            ),
            "needs_review",
            "unclear",
        ),
        _case(
            "mm-list-command-says-more",
            message(
                "Ivan Roth <ivan.roth@example.com>",
                "[Users] unsubscribe",
                "The web page keeps failing and my password reset never arrives, three times now.\n" + MM2_FOOTER,
                mailman(),
            ),
            "accepted",
            "optout",
            "ivan.roth@example.com",
        ),
        # Sympa and LISTSERV commands.
        _case(
            "sympa-signoff",
            message("Luc Bernard <luc.bernard@exemple.fr>", "SIGNOFF news", "", SYMPA),
            "accepted",
            "optout",
            "luc.bernard@exemple.fr",
        ),
        _case(
            "sympa-desabonnement",
            message("Luc Bernard <luc.bernard@exemple.fr>", "[news] Désabonnement", "", SYMPA),
            "accepted",
            "optout",
            "luc.bernard@exemple.fr",
        ),
        _case(
            "sympa-caps-body",
            message("Ana Lima <ana.lima@exemplo.com.br>", "", "UNSUBSCRIBE NEWS\n", SYMPA),
            "accepted",
            "optout",
            "ana.lima@exemplo.com.br",
        ),
        # Subject-only requests sent straight to support@, behind tags and prefixes.
        *(
            _case(f"subject-{i}", message("Mia Wong <mia.wong@example.com>", subject, ""), "accepted", "optout", "mia.wong@example.com")
            for i, subject in enumerate(
                (
                    "[ProGiga News] Unsubscribe",
                    "(newsletter) unsubscribe",
                    "Fw: unsubscribe",
                    "AW: WG: Abmeldung",
                    "Réf : désinscription",
                    "RE : unsubscribe newsletter",
                    "TR: RV: UNSUBSCRIBE",
                    "remove",
                    "STOP EMAILS",
                    "Unsubscirbe",
                    "unsubscrible",
                    "[ProGiga News] unsubscripe",
                    "Re: Re: [News] re: Unsubscribe me please",
                    "Unsubscribe request",
                )
            )
        ),
        _case(
            "subject-confirmation-is-a-topic",
            message("Mia Wong <mia.wong@example.com>", "Unsubscribe confirmation", "I got this in my inbox, what is it?"),
            "needs_review",
            "unclear",
        ),
        _case(
            "misspelled-body",
            message("Noa Berg <noa.berg@example.com>", "Hello", "please unsubscibe me"),
            "accepted",
            "optout",
            "noa.berg@example.com",
        ),
        _case(
            "misspelled-want",
            message("Noa Berg <noa.berg@example.com>", "Hello", "I want to unsubsribe from all of it."),
            "accepted",
            "optout",
            "noa.berg@example.com",
        ),
        _case(
            "junk-person-asks",
            message("Omar Haddad <omar.haddad@example.com>", "enough", "Stop sending me these newsletters.", {"Precedence": "junk"}),
            "accepted",
            "optout",
            "omar.haddad@example.com",
        ),
        _case(
            "list-keep",
            message(
                "Pia Holm <pia.holm@example.com>",
                "[Users] address change",
                "Please do not unsubscribe me, I only changed my address.\n" + MM2_FOOTER,
                mailman(),
            ),
            "ignored",
            "not_optout",
        ),
        # What must stay out.
        _case(
            "newsletter-bulk-footer",
            message("Acme News <news@acme.example>", "Autumn sale", NEWSLETTER_TEXT, BULK_NEWSLETTER, html=NEWSLETTER_HTML),
            "ignored",
            "bulk_mail",
        ),
        _case(
            "newsletter-bulk-html-only",
            message("Acme News <news@acme.example>", "Autumn sale", "", BULK_NEWSLETTER, html=NEWSLETTER_HTML),
            "ignored",
            "bulk_mail",
        ),
        _case(
            "newsletter-list-unsubscribe-only",
            message(
                "Acme News <news@acme.example>",
                "Autumn sale",
                "Managed WordPress from $2.99 a month.\n\nUnsubscribe: https://acme.example/u/9f3a",
                {"List-Unsubscribe": "<https://acme.example/u/9f3a>"},
            ),
            "ignored",
            "bulk_mail",
        ),
        _case(
            "confirmation-you-asked",
            message(
                "Acme News <news@acme.example>",
                "Please confirm",
                "You have asked to unsubscribe from Acme News. Confirm by clicking the link below.\nhttps://acme.example/c/77",
                BULK_NEWSLETTER,
            ),
            "ignored",
            "bulk_mail",
        ),
        _case(
            "autoreply-bulk-auto-submitted",
            message(
                "Helpdesk <helpdesk@vendor.example>",
                "Re: unsubscribe",
                "unsubscribe",
                {"Precedence": "bulk", "Auto-Submitted": "auto-replied"},
            ),
            "ignored",
            "auto_reply",
        ),
        _case(
            "ooo-quoting-request",
            message(
                "Quinn Park <quinn.park@example.com>",
                "Out of Office: unsubscribe",
                "I am away until Monday.\n\nOn Fri, Mia Wong wrote:\n> Please unsubscribe me from your newsletter.\n",
                {"Precedence": "bulk"},
            ),
            "ignored",
            "auto_reply",
        ),
        _case(
            "ticket-echo-bulk",
            message(
                "Vendor Helpdesk <helpdesk@vendor.example>",
                "[Ticket #4411] unsubscribe",
                "We have received your request and will answer within 24 hours.",
                {"Precedence": "bulk"},
            ),
            "needs_review",
            "unclear",
        ),
        _case(
            "bulk-request-in-words-says-more",
            message(
                via,
                "[hosting-users] leaving",
                "Please unsubscribe me. I have been on this list for years and it was great, but I moved on.\n" + GG_FOOTER,
                google_groups(*jane, precedence="bulk"),
            ),
            "accepted",
            "optout",
            GROUP,
            jane[1],
        ),
        _case(
            "newsletter-bulk-impersonal-request",
            message(
                "Acme News <news@acme.example>",
                "Autumn sale",
                "Managed WordPress from $2.99 a month.\n\nUnsubscribe from this newsletter",
                BULK_NEWSLETTER,
            ),
            "ignored",
            "bulk_mail",
        ),
        _case(
            "bulk-impersonal-request-alone",
            message(
                "Ravi Shah <ravi.shah@example.com>", "[Users] Re: digest", "No more newsletters please.\n" + MM2_FOOTER, mailman("bulk")
            ),
            "accepted",
            "optout",
            "ravi.shah@example.com",
        ),
        _case(
            "mailman-digest-bulk",
            message("users-request@lists.example.org", "Users Digest, Vol 5, Issue 3", DIGEST, mailman("bulk")),
            "ignored",
            "auto_reply",
        ),
        _case(
            "mailman-digest-list",
            message("users-request@lists.example.org", "Users Digest, Vol 5, Issue 4", DIGEST, mailman()),
            "needs_review",
            "unclear",
        ),
        _case(
            "forwarded-confirmation-empty-body",
            message("Mia Wong <mia.wong@example.com>", "Fwd: Unsubscribe confirmation", ""),
            "ignored",
            "not_optout",
        ),
        _case(
            "noreply-bulk",
            message("Acme <no-reply@acme.example>", "unsubscribe", "unsubscribe", {"Precedence": "bulk"}),
            "ignored",
            "auto_reply",
        ),
    ]
    return out


def hostile_table() -> list[tuple[str, str, str, frozenset[str], str]]:
    """(file, outcome, reason, opted-out addresses, what it is) from tests/hostile/mail/README.md."""
    rows = []
    for line in (HOSTILE / "README.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0].endswith(".eml"):
            name, outcome, reason, addresses, what = cells
            opted = frozenset(a.lower() for a in re.split(r"[ ,]+", addresses) if "@" in a)
            rows.append((name, outcome, reason, opted, what))
    return rows


def hostile_cases() -> list[Case]:
    return [
        Case(f"hostile-{name.removesuffix('.eml')}", (HOSTILE / name).read_bytes(), outcome, reason, opted)
        for name, outcome, reason, opted, _ in hostile_table()
    ]
