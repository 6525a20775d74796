"""A message's own text: quotes, forwards, signatures and disclaimers removed; HTML to text."""

from __future__ import annotations

import pytest

from pipeline.channels.mail.text import html_to_text, strip_quotes, strip_signature

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "own"),
    [
        ("Please stop.\n\nOn Tue, 6 Oct 2026 at 09:12, News <n@x> wrote:\n> Unsubscribe here", "Please stop.\n"),
        ("On Tue, 6 Oct 2026 at 09:12, News <n@x>\nwrote:\n> offer\n> Unsubscribe\n\nRemove me.", "\nRemove me."),  # wrapped, bottom-posted
        ("Top.\n\n-----Original Message-----\nFrom: a\nUnsubscribe", "Top.\n"),
        ("Top.\n\n________________________________\nFrom: News <n@x>\nSent: Tuesday\nTo: me\nSubject: s\n\nUnsubscribe", "Top.\n"),
        ("Oben.\n\nVon: News <n@x>\nGesendet: Dienstag\nAn: mich\nBetreff: s\n\nabbestellen", "Oben.\n"),
        ("Haut.\n\nDe : News\nEnvoyé : mardi\nÀ : moi\n\ndésabonner", "Haut.\n"),
        ("Mine.\n\n---------- Forwarded message ---------\nFrom: News\n\nUnsubscribe", "Mine.\n"),
        ("Mine.\n\nBegin forwarded message:\n\nFrom: News", "Mine.\n"),
        ("Arriba.\n\nEl mar, 6 oct 2026 a las 9:12, News escribió:\n> baja", "Arriba.\n"),
        ("From: my old address is a@b.c, please update it.", "From: my old address is a@b.c, please update it."),  # not a header block
    ],
)
def test_strip_quotes(text: str, own: str) -> None:
    assert strip_quotes(text)[0] == own


@pytest.mark.parametrize(
    ("text", "own"),
    [
        ("Question?\n\nThanks,\nMary\nAcme — unsubscribe at acme", "Question?\n"),
        ("Question?\n-- \nMary | To unsubscribe reply STOP", "Question?"),
        ("Question?\n\nCONFIDENTIALITY NOTICE: unsubscribe…", "Question?\n"),
        ("Thanks!\n\nPlease unsubscribe me.", "Thanks!\n\nPlease unsubscribe me."),  # a sign-off needs text before it
        ("Frage?\n\nMit freundlichen Grüßen\nJürgen", "Frage?\n"),
        ("unsubscribe\n\n_______________________________________________\nUsers mailing list\nUsers@lists.example.org", "unsubscribe\n"),
        ('unsubscribe\nYou received this message because you are subscribed to the Google Groups "U" group.', "unsubscribe"),
        ("To unsubscribe from this list, what do I do?", "To unsubscribe from this list, what do I do?"),  # a person's own line
        ("Total: 12\n______________\nTax: 2", "Total: 12\n______________\nTax: 2"),  # a rule, no list below it
    ],
)
def test_strip_signature(text: str, own: str) -> None:
    assert strip_signature(text)[0] == own


def test_html_blockquotes_become_quotes_and_scripts_vanish() -> None:
    html = (
        "<html><style>p{}</style><body><p>Stop&nbsp;it</p><div>please</div>"
        "<blockquote><p>Unsubscribe</p></blockquote><script>x()</script></body></html>"
    )
    assert html_to_text(html).strip() == "Stop it\n\nplease\n\n> Unsubscribe"
