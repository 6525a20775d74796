"""Which sentences are bare unsubscribe commands, instructions to the reader or requests, and
how a subject loses its reply prefixes and list tags (docs/email-classification.md)."""

from __future__ import annotations

from email.message import Message

import pytest

from pipeline.channels.mail import phrases as P
from pipeline.channels.mail.headers import subject_of
from pipeline.channels.mail.sentences import read_sentence

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("sentence", "kind"),
    [
        ("unsubscribe", "command"),
        ("UNSUBSCRIBE", "command"),
        ("Unsubscribe.", "command"),
        ("unsubscribe newsletter", "command"),
        ("unsubscribe users-list me@example.com", "command"),
        ("unsubscribe from the newsletter", "optout"),
        ("unsub", "command"),
        ("SIGNOFF news", "command"),
        ("opt out", "command"),
        ("remove", "command"),
        ("remove me please", "command"),
        ("stop", "command"),
        ("STOP EMAILS", "command"),
        ("Unsubscribe request", "command"),
        ("unsubcribe", "command"),
        ("unsuscribe", "command"),
        ("unsubscibe", "command"),
        ("unsubscirbe", "command"),
        ("unsubsribe", "command"),
        ("unsubscrible", "command"),
        ("unsubscripe", "command"),
        ("Désabonnement", "command"),
        ("Abmeldung", "command"),
        ("Unsubscribe confirmation", "mention"),
        ("unsubscribe link", "mention"),
        ("unsubscribe not working", "mention"),
        ("Unsubscribe here: https://acme.example/u/1", "instruction"),
        ("To unsubscribe from this group, send an email to g+unsubscribe@googlegroups.com.", "instruction"),
        ("If you no longer wish to receive these emails, click here.", "instruction"),
        ("Don't want to receive these emails anymore?", "instruction"),
        ("You can unsubscribe at any time.", "instruction"),
        ("You have asked to unsubscribe from Acme News.", "instruction"),
        ("Pour vous désabonner, cliquez ici.", "instruction"),
        ("Um sich abzumelden, klicken Sie hier.", "instruction"),
        ("I clicked here to unsubscribe and it failed, please remove me from your list.", "optout"),  # first person: the writer's own
        ("please unsubscibe me", "optout"),
        ("I want to unsubsribe.", "optout"),
        ("Please do not unsubscribe me.", "keep"),
        ("Hi all,", "greeting"),
        ("Jane Roe", "name"),
    ],
)
def test_what_a_sentence_says_in_relayed_mail(sentence: str, kind: str) -> None:
    assert read_sentence(sentence, relayed=True).kind == kind


@pytest.mark.parametrize(
    "sentence",
    [
        "If you don't stop sending me newsletters I will report you as spam.",
        "To unsubscribe from your newsletter I wrote twice already.",
        "Si no dejan de enviarme correos, quiero darme de baja de su lista.",
        "Wenn Sie mich bitte austragen könnten, wäre ich dankbar.",
    ],
)
def test_mail_sent_directly_speaks_for_its_writer(sentence: str) -> None:
    """In a person's own message to support@, a conditional in which the writer speaks ("I",
    "ich", "quiero") is the writer's; in list mail it would be a footer's instruction."""
    assert read_sentence(sentence).kind in ("optout", "mention")


@pytest.mark.parametrize(
    ("sentence", "lang"),
    [
        ("If you no longer wish to receive emails from me, reply STOP.", "en"),
        ("To unsubscribe, click here.", "en"),
        ("Unsubscribe here: https://progiga.example/u/abc123", "en"),
        ("Wenn Sie unsere E-Mails nicht mehr erhalten möchten, senden Sie uns bitte eine E-Mail an abmelden@shop.example.", "de"),
        ("Pour ne plus recevoir de courriels de notre part : mailto:desabonnement@boutique.example", "fr"),
        ("Para darse de baja, haga clic aquí.", "es"),
        ("Darme de baja de esta lista <https://tienda.example/baja?u=1>", "es"),
        ("Se não deseja mais receber os nossos e-mails, clique aqui.", "pt"),
        ("Se nao deseja receber mais mensagens, responda SAIR.", "pt"),
        ("Wil je geen e-mails meer ontvangen? Klik dan hier.", "nl"),
        ("Klik hier om je af te melden.", "nl"),
    ],
)
def test_instructions_are_never_requests_in_any_mail(sentence: str, lang: str) -> None:
    """A footer's or a spammer's instruction to its readers, in every language, is never a
    request — in mail a list relays and in mail sent straight to support@ alike."""
    for relayed in (False, True):
        assert read_sentence(sentence, relayed=relayed).kind == "instruction", (lang, relayed)


@pytest.mark.parametrize(
    "sentence",
    ["cancel", "leave", "leave request", "help", "stop by tomorrow", "remove the DNS record"],  # cancel: the account
)
def test_words_that_are_not_commands(sentence: str) -> None:
    assert read_sentence(sentence, relayed=True).kind not in ("command", "optout")


@pytest.mark.parametrize(
    ("subject", "stripped", "replied"),
    [
        ("[Users] unsubscribe", "unsubscribe", False),
        ("(list) unsubscribe", "unsubscribe", False),
        ("Re: [hosting-users] Re: unsubscribe", "unsubscribe", True),
        ("RE : unsubscribe", "unsubscribe", True),
        ("Réf : désinscription", "désinscription", True),
        ("AW: WG: Abmeldung", "Abmeldung", True),
        ("TR: RV: Fw: FWD: unsubscribe", "unsubscribe", True),
        ("Re[2]: unsubscribe", "unsubscribe", True),
        ("October deals", "October deals", False),
        ("Reminder: renewal", "Reminder: renewal", False),  # "Reminder" is no prefix
        ("[Users]", "", False),
    ],
)
def test_subject_prefixes_and_list_tags(subject: str, stripped: str, replied: bool) -> None:
    msg = Message()
    msg["Subject"] = subject
    assert subject_of(msg) == (stripped, replied)


@pytest.mark.parametrize(
    ("written", "fixed"),
    [("unsubcribed", "unsubscribed"), ("un-subscribe", "unsubscribe"), ("Subscribe", "subscribe"), ("un subscriber", "un subscriber")],
)
def test_misspellings_are_fixed_and_nothing_else(written: str, fixed: str) -> None:
    assert P.fix_spelling(written.lower()) == fixed
