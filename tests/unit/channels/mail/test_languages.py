"""The per-language labelled corpus (tests/unit/channels/mail/languages.py) through the support_inbox
channel: each message's label, precision of `accepted` 100% and recall at least 95% in every
language; and a support-inbox night holding the footers and the request real archives show."""

from __future__ import annotations

import unicodedata
from collections import Counter
from datetime import date
from email import message_from_bytes, message_from_string
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.channels import cancellation, support_inbox
from pipeline.channels.mail.classify import classify
from pipeline.core.config import Settings
from pipeline.intake.accounts import AccountIndex
from pipeline.intake.channel import ChannelContext
from pipeline.intake.landing import LandedFile
from tests.unit.channels.mail.languages import LANGS, MATERIAL, cases, label_of, language_of
from tests.unit.channels.mail.relayed import message
from tests.unit.channels.mail.scores import results, score, table

pytestmark = pytest.mark.unit

CASES = cases()


def test_every_language_has_its_corpus() -> None:
    per = Counter(language_of(c) for c in CASES)
    assert set(per) == set(LANGS) and min(per.values()) >= 40, per
    for lang in LANGS:
        labels = Counter(label_of(c.outcome, c.reason) for c in CASES if language_of(c) == lang)
        for label in ("accepted/optout", "ignored/bulk_mail", "ignored/not_optout", "ignored/auto_reply", "ignored/bounce"):
            assert labels[label] >= 2, (lang, label, labels)
        assert labels["accepted/optout"] >= 20 and labels["ignored/bulk_mail"] >= 5, (lang, labels)


def test_precision_and_recall_per_language(capsys: pytest.CaptureFixture[str]) -> None:
    rs = results(CASES)
    with capsys.disabled():
        print("\n" + table(rs))
    for lang in LANGS:
        s = score([r for r in rs if r.language == lang], "accepted")
        assert s.precision == 1.0, (
            lang,
            [f"{r.case.id}: {r.details}" for r in rs if r.language == lang and r.got.startswith("accepted") and not r.right],
        )
        assert s.recall >= 0.95, (lang, [f"{r.case.id}: {r.got}: {r.details}" for r in rs if r.language == lang and not r.right])


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_each_message(case) -> None:  # type: ignore[no-untyped-def]
    (r,) = results([case])
    assert (r.got, r.addresses if r.got.startswith("accepted") else frozenset()) == (r.expected, case.addresses), r.details


# ----------------------------------------------------------- a night of real-looking mail
SPANISH_MAILING = (
    "From: Asociación Vecinal <boletin@asociacion.ejemplo.es>\nTo: support@progiga.example\n"
    "Subject: =?utf-8?q?Bolet=C3=ADn_de_octubre?=\nDate: Thu, 8 Oct 2026 18:02:11 +0000\n"
    "Message-ID: <mc.8f2c@mail123.suw11.mcsv.example>\nMIME-Version: 1.0\n"
    "List-Unsubscribe: <https://asociacion.us1.list-manage.example/unsubscribe?u=8f2c&id=77>,\n"
    " <mailto:unsubscribe-mc.us1_8f2c@mailin.mcsv.example>\n"
    "X-MC-User: 8f2c1d0e\n"
    'Content-Type: multipart/alternative; boundary="mc"\n\n'
    "--mc\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
    "Fiesta del barrio el sábado 17.\n\n============================================================\n"
    "Darme de baja de esta lista (https://asociacion.us1.list-manage.example/unsubscribe?u=8f2c&id=77&e=1)\n"
    "Actualizar preferencias de suscripción (https://asociacion.us1.list-manage.example/profile?u=8f2c)\n"
    "--mc\nContent-Type: text/html; charset=utf-8\n\n"
    "<html><body><table><tr><td><p>Fiesta del barrio el sábado 17.</p></td></tr><tr><td>"
    '<a href="https://asociacion.us1.list-manage.example/unsubscribe?u=8f2c&amp;id=77&amp;e=1">Darme de baja de esta lista</a> | '
    '<a href="https://asociacion.us1.list-manage.example/profile?u=8f2c">Actualizar preferencias de suscripción</a>'
    "</td></tr></table></body></html>\n--mc--\n"
)
GERMAN_NEWSLETTER = (
    "From: Gartenversand <info@gartenversand.beispiel.de>\nTo: support@progiga.example\nSubject: Herbstangebote\n"
    "Date: Thu, 8 Oct 2026 07:30:00 +0200\nMessage-ID: <nl.2026.41@gartenversand.beispiel.de>\nMIME-Version: 1.0\n"
    "Precedence: bulk\nList-Unsubscribe: <mailto:abmelden@gartenversand.beispiel.de>\n"
    "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
    "Liebe Gartenfreunde,\n\ndiese Woche alle Blumenzwiebeln 30 % günstiger.\n\n"
    "Wenn Sie unsere E-Mails nicht mehr erhalten möchten, senden Sie uns bitte eine E-Mail an "
    "abmelden@gartenversand.beispiel.de mit dem Betreff „Abmelden“.\n"
)
FRENCH_SPAM = (
    "From: Offres Pro <contact@offres-pro.exemple.fr>\nTo: support@progiga.example\nSubject: Votre devis gratuit\n"
    "Date: Thu, 8 Oct 2026 11:11:11 +0200\nMessage-ID: <x77@offres-pro.exemple.fr>\nMIME-Version: 1.0\n"
    'Content-Type: multipart/alternative; boundary="s"\n\n'
    "--s\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
    "Obtenez votre devis gratuit en 24 h.\n\nPour ne plus recevoir de courriels de notre part : mailto:stop@offres-pro.exemple.fr\n"
    "--s\nContent-Type: text/html; charset=utf-8\n\n<html><body><table><tr><td>"
    '<a href="https://r.offres-pro.exemple.fr/click/6a1f0c9e2b7d4a8c9e0f1a2b3c4d5e6f?utm_source=mail">Obtenez votre devis</a></td>'
    '<td><a href="https://r.offres-pro.exemple.fr/click/0c9e2b7d4a8c9e0f1a2b3c4d5e6f6a1f?utm_source=mail">Nos offres</a></td></tr>'
    "<tr><td>Pour ne plus recevoir de courriels de notre part : "
    '<a href="mailto:stop@offres-pro.exemple.fr">mailto:stop@offres-pro.exemple.fr</a></td><td></td></tr></table>'
    '<img src="https://r.offres-pro.exemple.fr/o/6a1f.gif" width="1" height="1"></body></html>\n--s--\n'
)
PORTUGUESE_REQUEST = (
    "From: Rui Teixeira <rui.teixeira@exemplo.pt>\nTo: support@progiga.example\nSubject: Re: Novidades de outubro\n"
    "Date: Fri, 9 Oct 2026 08:40:00 +0100\nMessage-ID: <CAPT.1@mail.exemplo.pt>\nIn-Reply-To: <news.10@progiga.example>\n"
    "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
    "Boa tarde,\n\nquero cancelar a subscricao\n\nObrigado\nRui\n\n"
    "Em qui., 8 de out. de 2026 às 10:00, ProGiga News <news@progiga.example> escreveu:\n"
    "> As novidades de outubro.\n> Para cancelar a subscrição, clique aqui: https://progiga.example/u/abc\n"
)
NIGHT = {
    "<mc.8f2c@mail123.suw11.mcsv.example>": (SPANISH_MAILING, "ignored", "bulk_mail", frozenset[str]()),
    "<nl.2026.41@gartenversand.beispiel.de>": (GERMAN_NEWSLETTER, "ignored", "bulk_mail", frozenset[str]()),
    "<x77@offres-pro.exemple.fr>": (FRENCH_SPAM, "ignored", "bulk_mail", frozenset[str]()),
    "<CAPT.1@mail.exemplo.pt>": (PORTUGUESE_REQUEST, "accepted", "optout", frozenset({"rui.teixeira@exemplo.pt"})),
}


def test_a_support_inbox_night_of_footers_and_one_request(tmp_path: Path) -> None:
    """The three footers are bulk mail, and the Portuguese request (no accents) is accepted."""
    mbox = b"".join(b"From MAILER-DAEMON Fri Oct  9 09:00:00 2026\n" + raw.encode() + b"\n" for raw, *_ in NIGHT.values())
    path = tmp_path / "support-2026-10-09.mbox"
    path.write_bytes(mbox)
    ctx = ChannelContext(Settings(), AccountIndex(), LandedFile("support_inbox", path, date(2026, 10, 9), "0" * 64, len(mbox)))
    records = {r.source_ref: r for r in support_inbox.read(path, ctx)}
    assert set(records) == set(NIGHT)
    for ref, (_, outcome, reason, addresses) in NIGHT.items():
        r = records[ref]
        assert (str(r.outcome), r.reason, frozenset(q.address for q in r.requests)) == (outcome, reason, addresses), r.details


@pytest.mark.parametrize("ref", [ref for ref, (_, outcome, *_) in NIGHT.items() if outcome == "ignored"])
def test_archived_copies_without_list_headers_are_still_never_requests(ref: str) -> None:
    """An archive keeps a mailing's body but may drop its List-* and ESP headers: the footer's
    words still ask nothing."""
    raw = NIGHT[ref][0]
    head, body = raw.split("\n\n", 1)
    kept = "\n".join(line for line in head.split("\n") if not line.startswith(("List-", "X-MC-", "Precedence")))
    assert classify(message_from_string(kept + "\n\n" + body)).kind in ("bulk_mail", "not_optout")


# ------------------------------------------------------------------- properties
def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


REQUESTS = st.sampled_from([(lang, phrase) for lang in LANGS for phrase in MATERIAL[lang].requests])
FOOTERS = st.sampled_from([(lang, f.format(shop=MATERIAL[lang].shop)) for lang in LANGS for f in MATERIAL[lang].footers])


@settings(max_examples=150, deadline=None)
@given(REQUESTS, st.booleans(), st.sampled_from(["lower", "upper", "asis"]))
def test_a_request_is_a_request_with_or_without_accents_in_any_case(request: tuple[str, str], strip: bool, case: str) -> None:
    lang, phrase = request
    text = _strip_accents(phrase) if strip else phrase
    text = text.lower() if case == "lower" else text.upper() if case == "upper" else text
    msg = message_from_bytes(message("Ana Lima <ana.lima@example.org>", "Hello", f"{text}\n"))
    verdict = classify(msg)
    assert verdict.kind == "optout" and "ana.lima@example.org" in verdict.addresses, (lang, text, verdict.details)


@settings(max_examples=150, deadline=None)
@given(st.lists(FOOTERS, min_size=1, max_size=3), st.booleans(), st.sampled_from(["", "bulk"]))
def test_footers_are_never_requests(footers: list[tuple[str, str]], strip: bool, precedence: str) -> None:
    """A mailing's content and its footers, in any language and number, with or without
    accents and Precedence: bulk, sent straight to support@: never an opt-out."""
    lines = [_strip_accents(f) if strip else f for _, f in footers]
    extra = {"Precedence": precedence} if precedence else {}
    msg = message_from_bytes(message("Shop <shop@shop.example>", "Offers", "Only today: 70% off.\n\n" + "\n\n".join(lines) + "\n", extra))
    assert classify(msg).kind in ("bulk_mail", "not_optout", "auto_reply"), lines


@pytest.mark.parametrize(
    ("raw", "outcome", "reason"),
    [
        (SPANISH_MAILING, "ignored", "bulk_mail"),
        (GERMAN_NEWSLETTER, "ignored", "bulk_mail"),
        (PORTUGUESE_REQUEST, "accepted", "cancellation"),  # cancel@ reads any person's message as a cancellation
    ],
)
def test_bulk_mail_to_cancel_is_never_a_cancellation(tmp_path: Path, raw: str, outcome: str, reason: str) -> None:
    path = tmp_path / "cancel.eml"
    path.write_text(raw, encoding="utf-8")
    ctx = ChannelContext(Settings(), AccountIndex(), LandedFile("cancellation", path, date(2026, 10, 9), "0" * 64, path.stat().st_size))
    (record,) = list(cancellation.read(path, ctx))
    assert (str(record.outcome), record.reason) == (outcome, reason), record.details
