"""A labelled corpus of support@ mail, generated the way real clients write it.

Every case is a complete RFC 5322 message (bytes) with the outcome SPEC §2.2 requires and
the addresses an accepted message must opt out. The messages vary what real mail varies:
multipart/alternative, HTML-only, base64 and quoted-printable bodies, ISO-8859-1 and UTF-8
with encoded-word headers, top- and bottom-posting over a quoted newsletter (whose footer
says "unsubscribe"), Outlook header blocks, nested forwards, long signatures with
disclaimers, auto-replies in five languages, RFC 3464 DSNs and RFC 5965 ARF reports; and
(relayed.py) what lists, group aliases and bulk senders send.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.charset import BASE64, QP, Charset
from email.header import Header
from email.message import Message
from email.mime.base import MIMEBase
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, make_msgid
from html import escape

SUPPORT = "support@progiga.example"
UNSUBSCRIBE_MAILBOX = "unsubscribe@progiga.example"
NEWS = "ProGiga News <news@progiga.example>"
BASE_TIME = datetime(2026, 10, 9, 8, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Case:
    id: str
    data: bytes
    outcome: str  # accepted | ignored | needs_review
    reason: str
    addresses: frozenset[str] = field(default_factory=frozenset)  # normalised, for accepted


# ------------------------------------------------------------------ language material
PEOPLE = {
    "en": ("Mary Johnson", "mary.johnson@example.com"),
    "fr": ("Hélène Lefèvre", "helene.lefevre@exemple.fr"),
    "es": ("José Muñoz", "jose.munoz@ejemplo.es"),
    "de": ("Jürgen Müller", "juergen.mueller@beispiel.de"),
    "pt": ("João Gonçalves", "joao.goncalves@exemplo.com.br"),
    "nl": ("Daan de Vries", "daan.devries@voorbeeld.nl"),
}
GREETING = {"en": "Hello,", "fr": "Bonjour,", "es": "Hola:", "de": "Guten Tag,", "pt": "Olá,", "nl": "Hallo,"}
SIGN_OFF = {
    "en": "Thanks,",
    "fr": "Cordialement,",
    "es": "Saludos,",
    "de": "Mit freundlichen Grüßen",
    "pt": "Atenciosamente,",
    "nl": "Met vriendelijke groet,",
}
NEWSLETTER = {
    "en": (
        "October deals: 50% off managed WordPress",
        "Our biggest sale of the year starts today.\nManaged WordPress from $2.99/month.\n\n"
        "You receive this newsletter because you are a ProGiga customer.\n"
        "Unsubscribe: https://progiga.example/u/abc123 | Manage your preferences",
    ),
    "fr": (
        "Offres d'octobre : -50 % sur WordPress",
        "Notre plus grande promotion de l'année commence aujourd'hui.\n\n"
        "Vous recevez cette lettre car vous êtes client ProGiga.\n"
        "Pour vous désabonner, cliquez ici : https://progiga.example/u/abc123",
    ),
    "es": (
        "Ofertas de octubre: 50 % en WordPress",
        "Nuestra mayor oferta del año empieza hoy.\n\nRecibes este boletín porque eres cliente de ProGiga.\n"
        "Para darte de baja, haz clic aquí: https://progiga.example/u/abc123",
    ),
    "de": (
        "Oktober-Angebote: 50 % auf WordPress",
        "Unser größter Sale des Jahres beginnt heute.\n\nSie erhalten diesen Newsletter als ProGiga-Kunde.\nNewsletter abbestellen: https://progiga.example/u/abc123",
    ),
    "pt": (
        "Ofertas de outubro: 50% no WordPress",
        "A nossa maior promoção do ano começa hoje.\n\nVocê recebe esta newsletter porque é cliente ProGiga.\n"
        "Para se descadastrar, clique aqui: https://progiga.example/u/abc123",
    ),
    "nl": (
        "Oktoberaanbiedingen: 50% korting op WordPress",
        "Onze grootste uitverkoop van het jaar begint vandaag.\n\nU ontvangt deze nieuwsbrief omdat u klant bent van ProGiga.\n"
        "Klik hier om je af te melden: https://progiga.example/u/abc123",
    ),
}
ATTRIBUTION = {
    "en": "On Tue, 6 Oct 2026 at 09:12, ProGiga News <news@progiga.example> wrote:",
    "fr": "Le mar. 6 oct. 2026 à 09:12, ProGiga News <news@progiga.example> a écrit :",
    "es": "El mar, 6 oct 2026 a las 9:12, ProGiga News (<news@progiga.example>) escribió:",
    "de": "Am Di., 6. Okt. 2026 um 09:12 Uhr schrieb ProGiga News <news@progiga.example>:",
    "pt": "Em ter., 6 de out. de 2026 às 09:12, ProGiga News <news@progiga.example> escreveu:",
    "nl": "Op di 6 okt. 2026 om 09:12 schreef ProGiga News <news@progiga.example>:",
}
OUTLOOK_BLOCK = {
    "en": "From: ProGiga News <news@progiga.example>\nSent: Tuesday, October 6, 2026 9:12 AM\nTo: {me}\nSubject: {subject}",
    "fr": "De : ProGiga News <news@progiga.example>\nEnvoyé : mardi 6 octobre 2026 09:12\nÀ : {me}\nObjet : {subject}",
    "es": "De: ProGiga News <news@progiga.example>\nEnviado el: martes, 6 de octubre de 2026 9:12\nPara: {me}\nAsunto: {subject}",
    "de": "Von: ProGiga News <news@progiga.example>\nGesendet: Dienstag, 6. Oktober 2026 09:12\nAn: {me}\nBetreff: {subject}",
    "pt": "De: ProGiga News <news@progiga.example>\nEnviada em: terça-feira, 6 de outubro de 2026 09:12\nPara: {me}\nAssunto: {subject}",
    "nl": "Van: ProGiga News <news@progiga.example>\nVerzonden: dinsdag 6 oktober 2026 09:12\nAan: {me}\nOnderwerp: {subject}",
}
FORWARD = {
    "en": "---------- Forwarded message ---------",
    "fr": "-------- Message transféré --------",
    "es": "---------- Mensaje reenviado ---------",
    "de": "---------- Weitergeleitete Nachricht ----------",
    "pt": "---------- Mensagem encaminhada ---------",
    "nl": "---------- Doorgestuurd bericht ---------",
}
DISCLAIMER = (
    "CONFIDENTIALITY NOTICE: This e-mail and any attachments are confidential and intended solely for the "
    "addressee. If you are not the intended recipient, please delete it. To unsubscribe from Acme Corp "
    "marketing communications, reply with UNSUBSCRIBE or visit https://acme.example/unsubscribe."
)

OPTOUT_PHRASES = {
    "en": [
        "Please unsubscribe me from your newsletter.",
        "Unsubscribe",
        "Remove me from your mailing list.",
        "Stop sending me promotional emails!",
        "I no longer wish to receive your marketing emails.",
        "Take me off this list please.",
        "How do I unsubscribe? I keep getting these offers.",
        "I unsubscribed last month and I still get your newsletters.",
        "Please opt me out of all marketing.",
        "No more newsletters please.",
    ],
    "fr": [
        "Merci de me désabonner de votre newsletter.",
        "Désabonnez-moi, s'il vous plaît.",
        "Je ne veux plus recevoir vos e-mails publicitaires.",
        "Veuillez supprimer mon adresse de votre liste de diffusion.",
        "Arrêtez de m'envoyer des promotions.",
        "Je souhaite me désinscrire de la lettre d'information.",
    ],
    "es": [
        "Por favor, denme de baja de su lista de correo.",
        "Quiero darme de baja del boletín.",
        "No quiero recibir más correos publicitarios.",
        "Eliminen mi dirección de su lista, por favor.",
        "Dejen de enviarme promociones.",
        "Solicito la baja de sus comunicaciones comerciales.",
    ],
    "de": [
        "Bitte melden Sie mich vom Newsletter ab.",
        "Ich möchte keine Werbung mehr von Ihnen erhalten.",
        "Bitte tragen Sie mich aus Ihrem Verteiler aus.",
        "Ich möchte Ihre E-Mails nicht mehr erhalten.",
        "Newsletter abbestellen",
        "Hiermit widerspreche ich der Nutzung meiner Daten für Werbung.",
    ],
    "pt": [
        "Por favor, quero me descadastrar da newsletter.",
        "Não quero mais receber e-mails promocionais.",
        "Removam meu e-mail da lista de envio, por favor.",
        "Parem de me enviar promoções.",
        "Gostaria de cancelar a minha inscrição na newsletter.",
        "Descadastre-me, por favor.",
    ],
}
KEEP_PHRASES = {
    "en": [
        "Please do NOT unsubscribe me, I love the newsletter. I only changed my billing address.",
        "I accidentally unsubscribed last week, please add me back to the list.",
    ],
    "fr": [
        "Ne me désabonnez pas, j'aime bien vos offres. Je voulais juste changer mon adresse de facturation.",
        "Je ne veux pas me désabonner, merci de corriger mon nom.",
    ],
    "es": [
        "No me den de baja, por favor; solo quiero actualizar mi dirección de facturación.",
        "Quiero seguir recibiendo el boletín en mi nueva dirección.",
    ],
    "de": [
        "Bitte melden Sie mich nicht ab, ich möchte den Newsletter weiterhin erhalten.",
        "Ich möchte nicht abgemeldet werden, bitte nur meine Rechnungsadresse ändern.",
    ],
    "pt": ["Não me descadastrem, quero continuar recebendo as ofertas.", "Não quero me descadastrar, só atualizar o meu endereço."],
}
QUESTIONS = {
    "en": [
        "My invoice INV-2291 shows two charges for October. Can you check?",
        "My WordPress site has shown error 502 since this morning.",
        "How do I point my domain to your nameservers?",
        "Please remove the old DNS record from my domain and email settings.",
        "Please remove my old e-mail address from my account and use jane.new@example.com instead.",
        "Please stop sending me paper invoices.",
    ],
    "fr": [
        "Ma facture FAC-2291 comporte deux prélèvements pour octobre. Pouvez-vous vérifier ?",
        "Mon site affiche une erreur 502 depuis ce matin.",
    ],
    "es": ["Mi factura FAC-2291 tiene dos cargos de octubre. ¿Pueden revisarlo?", "Mi sitio muestra un error 502 desde esta mañana."],
    "de": [
        "Meine Rechnung RE-2291 enthält zwei Abbuchungen für Oktober. Können Sie das prüfen?",
        "Meine Website zeigt seit heute Morgen den Fehler 502.",
    ],
    "pt": ["A minha fatura FAT-2291 tem duas cobranças de outubro. Podem verificar?", "O meu site mostra o erro 502 desde esta manhã."],
}
UNCLEAR_PHRASES = [
    ("en", "Will unsubscribing from the newsletter also stop my invoices and renewal reminders?"),
    ("en", "My customers say the unsubscribe link on my own Mailman list is broken. Can you look at the server?"),
    ("en", "Please cancel my hosting account at the end of the month."),
    ("en", "Unsubscribe me. Actually no, please don't remove me, I need the maintenance notices."),
    ("fr", "Est-ce que le désabonnement arrête aussi les factures ?"),
    ("es", "¿Darme de baja del boletín cancela también mi dominio?"),
    ("de", "Muss ich mich abmelden, um die Rechnungen per Post zu bekommen?"),
    ("pt", "Se eu me descadastrar, ainda recebo os avisos de manutenção?"),
]
AUTO_REPLIES = [
    (
        {"Auto-Submitted": "auto-replied"},
        "Automatic reply: October deals",
        "I am out of the office until 12 October with limited access to e-mail.",
    ),
    ({"X-Autoreply": "yes"}, "Re: October deals", "Thank you for your message. I will reply when I am back."),
    ({"Precedence": "auto_reply"}, "Away", "I am travelling this week."),
    ({"X-Autorespond": "on"}, "Re: Your ticket", "This mailbox is not monitored."),
    ({}, "Out of Office: October deals", "I'm out of office. To unsubscribe from my out-of-office replies, ignore this."),
    ({}, "Réponse automatique : Offres d'octobre", "Je suis absente jusqu'au 12 octobre. Pour toute urgence, contactez mon collègue."),
    ({}, "Respuesta automática: Ofertas de octubre", "Estoy fuera de la oficina hasta el 12 de octubre."),
    ({}, "Automatische Antwort: Oktober-Angebote", "Ich bin bis zum 12. Oktober nicht im Büro. Bitte melden Sie mich nicht ab."),
    ({}, "Abwesenheitsnotiz: Oktober-Angebote", "Vielen Dank für Ihre Nachricht. Ich bin ab dem 14.10. wieder erreichbar."),
    ({}, "Resposta automática: Ofertas de outubro", "Estou de férias até 12 de outubro."),
    (
        {"Auto-Submitted": "auto-generated", "Precedence": "bulk"},
        "Ticket received",
        "We received your request. Please unsubscribe me is not a valid command.",
    ),
    ({}, "Fuera de la oficina", "Estaré fuera de la oficina. Para darme de baja de esta respuesta automática no haga nada."),
]


# ------------------------------------------------------------------ message building
_counter = itertools.count(1)


def _charset(name: str, cte: str) -> Charset:
    cs = Charset(name)
    cs.body_encoding = {"qp": QP, "b64": BASE64}.get(cte, None)
    cs.header_encoding = QP if name.lower() == "iso-8859-1" else BASE64
    return cs


def _text(body: str, subtype: str, charset: str, cte: str) -> MIMEText:
    """A text part; cte is qp, b64, or 8bit/7bit (no transfer encoding)."""
    return MIMEText(body, subtype, _charset(charset, cte))  # type: ignore[arg-type]


def _html(text: str, quoted_html: str = "") -> str:
    paras = "".join(f"<p>{escape(p).replace(chr(10), '<br>')}</p>" for p in text.split("\n\n") if p.strip())
    return f"<html><head><style>p {{margin:0}}</style></head><body>{paras}{quoted_html}</body></html>"


def _headers(
    msg: Message, sender: tuple[str, str], subject: str, charset: str, to: str = SUPPORT, extra: dict[str, str] | None = None
) -> None:
    name, address = sender
    n = next(_counter)
    msg["From"] = Header(name, charset).encode() + f" <{address}>" if not name.isascii() else f"{name} <{address}>"
    msg["To"] = to
    msg["Subject"] = Header(subject, charset).encode() if not subject.isascii() else subject
    msg["Date"] = format_datetime(BASE_TIME + timedelta(minutes=n))
    msg["Message-ID"] = make_msgid(idstring=f"c{n}", domain=address.split("@")[1])
    msg["MIME-Version"] = "1.0"
    for k, v in (extra or {}).items():
        msg[k] = v


def build(
    lang: str,
    body_text: str,
    *,
    form: str,
    subject: str | None = None,
    sender: tuple[str, str] | None = None,
    to: str = SUPPORT,
    extra: dict[str, str] | None = None,
    signature: str = "",
) -> bytes:
    """A message whose own text is `body_text`, wrapped in the given client `form`."""
    sender = sender or PEOPLE[lang]
    news_subject, news_body = NEWSLETTER[lang]
    charset = "iso-8859-1" if form in ("plain_latin1", "html_latin1") and lang != "en" else "utf-8"
    own = f"{GREETING[lang]}\n\n{body_text}\n\n{SIGN_OFF[lang]}\n{sender[0]}" + (f"\n\n{signature}" if signature else "")
    quoted = "\n".join("> " + line if line else ">" for line in news_body.split("\n"))
    if form == "plain_qp":
        msg: Message = _text(own, "plain", "utf-8", "qp")
    elif form == "plain_b64":
        msg = _text(own, "plain", "utf-8", "b64")
    elif form == "plain_latin1":
        msg = _text(own, "plain", charset, "qp")
    elif form == "plain_8bit":
        msg = _text(own, "plain", "utf-8", "8bit")
    elif form == "html_only":
        msg = _text(_html(own), "html", "utf-8", "b64")
    elif form == "html_latin1":
        msg = _text(_html(own), "html", charset, "qp")
    elif form == "alternative_top":  # Gmail: reply above, quote below, both parts
        subject = subject or f"Re: {news_subject}"
        text = f"{own}\n\n{ATTRIBUTION[lang]}\n{quoted}\n"
        html = _html(
            own, f'<div class="gmail_quote"><div>{escape(ATTRIBUTION[lang])}</div><blockquote>{_html(news_body)}</blockquote></div>'
        )
        msg = MIMEMultipart("alternative")
        msg.attach(_text(text, "plain", "utf-8", "qp"))
        msg.attach(_text(html, "html", "utf-8", "qp"))
    elif form == "bottom_post":  # quote first, the answer below it
        subject = subject or f"Re: {news_subject}"
        msg = _text(f"{ATTRIBUTION[lang]}\n{quoted}\n\n{body_text}\n\n{SIGN_OFF[lang]}\n{sender[0]}\n", "plain", "utf-8", "qp")
    elif form == "outlook_top":  # Outlook: no quote marks, a header block and the old message
        subject = subject or f"RE: {news_subject}"
        block = OUTLOOK_BLOCK[lang].format(me=sender[1], subject=news_subject)
        text = f"{own}\n\n________________________________\n{block}\n\n{news_body}\n"
        msg = MIMEMultipart("alternative")
        msg.attach(_text(text, "plain", "utf-8", "b64"))
        msg.attach(_text(_html(text.replace("________________________________\n", "")), "html", "utf-8", "b64"))
    elif form == "forward":  # own text above a forwarded newsletter, itself forwarding another
        subject = subject or f"Fwd: {news_subject}"
        inner = f"{FORWARD['en']}\nFrom: {NEWS}\nDate: Mon, 5 Oct 2026\nSubject: Welcome\n\nWelcome! Unsubscribe anytime: https://progiga.example/u/x"
        text = (
            f"{own}\n\n{FORWARD[lang]}\nFrom: {NEWS}\nDate: Tue, 6 Oct 2026 at 09:12\n"
            f"Subject: {news_subject}\nTo: {sender[1]}\n\n{news_body}\n\n{inner}\n"
        )
        msg = _text(text, "plain", "utf-8", "qp")
    elif form == "attached_forward":  # the newsletter attached as message/rfc822
        subject = subject or f"Fwd: {news_subject}"
        msg = MIMEMultipart("mixed")
        msg.attach(_text(own, "plain", "utf-8", "qp"))
        inner_msg = _text(news_body, "plain", "utf-8", "qp")
        inner_msg["From"] = NEWS
        inner_msg["Subject"] = Header(news_subject, "utf-8").encode()
        msg.attach(MIMEMessage(inner_msg))
    else:
        raise ValueError(form)
    _headers(msg, sender, subject if subject is not None else "Newsletter", charset, to, extra)
    return msg.as_bytes()


def arf(complainer: str | None, feedback: str = "abuse", removal: bool = False) -> bytes:
    msg = MIMEMultipart("report", report_type="feedback-report")
    msg.attach(_text("This is an email abuse report for an email message received from IP 192.0.2.10.", "plain", "us-ascii", "7bit"))
    fields = f"Feedback-Type: {feedback}\nUser-Agent: SomeGenerator/1.0\nVersion: 1\nOriginal-Mail-From: <news@progiga.example>\n"
    if complainer and removal:
        fields += f"Removal-Recipient: {complainer}\n"
    elif complainer:
        fields += f"Original-Rcpt-To: <{complainer}>\n"
    report = MIMEBase("message", "feedback-report")
    report.set_payload(fields)
    msg.attach(report)
    original = _text("Our biggest sale... Unsubscribe: https://progiga.example/u/abc", "plain", "utf-8", "qp")
    original["From"] = NEWS
    original["To"] = complainer or "undisclosed-recipients:;"
    original["Subject"] = "October deals"
    msg.attach(MIMEMessage(original))
    _headers(msg, ("Feedback Loop", "fbl@isp.example"), "Email Feedback Report", "utf-8", "abuse@progiga.example")
    return msg.as_bytes()


def dsn(form: str) -> bytes:
    if form == "rfc3464":
        msg = MIMEMultipart("report", report_type="delivery-status")
        msg.attach(_text("Your message could not be delivered. Unsubscribe requests go to support.", "plain", "us-ascii", "7bit"))
        status = MIMEBase("message", "delivery-status")
        per_message, per_recipient = Message(), Message()
        per_message["Reporting-MTA"] = "dns; mx.isp.example"
        per_recipient["Final-Recipient"] = "rfc822; gone@isp.example"
        per_recipient["Action"] = "failed"
        per_recipient["Status"] = "5.1.1"
        status.set_payload([per_message, per_recipient])
        msg.attach(status)
        _headers(
            msg,
            ("Mail Delivery System", "MAILER-DAEMON@mx.isp.example"),
            "Undelivered Mail Returned to Sender",
            "utf-8",
            extra={"Auto-Submitted": "auto-replied"},
        )
    elif form == "qmail":
        msg = _text(
            "Hi. This is the qmail-send program at mx.isp.example.\nI'm afraid I wasn't able to deliver your message.\n\n"
            "<gone@isp.example>:\nSorry, no mailbox here by that name.\n\n--- Below this line is a copy of the message.\n\n"
            "Please unsubscribe me from your newsletter.",
            "plain",
            "us-ascii",
            "7bit",
        )
        _headers(msg, ("", "MAILER-DAEMON@mx.isp.example"), "failure notice", "utf-8")
    else:  # a Postfix bounce with the original attached, plus an Auto-Submitted header: still a bounce
        msg = MIMEMultipart("mixed")
        msg.attach(
            _text(
                "This is the mail system at host mx.isp.example. I'm sorry to have to inform you that your message could not be delivered.",
                "plain",
                "us-ascii",
                "7bit",
            )
        )
        original = _text("Please unsubscribe me.", "plain", "us-ascii", "7bit")
        original["From"] = "someone@example.com"
        msg.attach(MIMEMessage(original))
        _headers(
            msg,
            ("Mail Delivery Subsystem", "postmaster@mx.isp.example"),
            "Returned mail: see transcript for details",
            "utf-8",
            extra={"Auto-Submitted": "auto-generated"},
        )
    return msg.as_bytes()


# ---------------------------------------------------------------------- the corpus
OPTOUT_FORMS = (
    "plain_qp",
    "plain_b64",
    "plain_latin1",
    "plain_8bit",
    "html_only",
    "html_latin1",
    "alternative_top",
    "bottom_post",
    "outlook_top",
    "forward",
    "attached_forward",
)


def cases() -> list[Case]:
    out: list[Case] = []
    forms = itertools.cycle(OPTOUT_FORMS)
    # Opt-outs: every phrase in three client forms (plain subject, so the body decides).
    for lang, phrases in OPTOUT_PHRASES.items():
        for i, phrase in enumerate(phrases):
            for _ in range(3):
                form = next(forms)
                who = PEOPLE[lang][1]
                out.append(
                    Case(
                        f"optout-{lang}-{i}-{form}", build(lang, phrase, form=form, subject="Hello"), "accepted", "optout", frozenset({who})
                    )
                )
    # The request in the subject only, body empty or about something else.
    for lang, subject in (
        ("en", "Unsubscribe"),
        ("fr", "Désabonnement"),
        ("es", "Darme de baja"),
        ("de", "Newsletter abbestellen"),
        ("pt", "Descadastrar"),
    ):
        out.append(
            Case(
                f"subject-{lang}", build(lang, "", form="plain_latin1", subject=subject), "accepted", "optout", frozenset({PEOPLE[lang][1]})
            )
        )
    # Addresses named in the text, and Reply-To that differs from From (a list rewrote From).
    out.append(
        Case(
            "named-one",
            build("en", "Please unsubscribe me and my wife's address maria.silva@example.net from your newsletter.", form="plain_qp"),
            "accepted",
            "optout",
            frozenset({PEOPLE["en"][1], "maria.silva@example.net"}),
        )
    )
    out.append(
        Case(
            "named-list",
            build(
                "en",
                "Please remove these addresses from your mailing list:\nold.address@example.org\nbob@example.org",
                form="alternative_top",
            ),
            "accepted",
            "optout",
            frozenset({PEOPLE["en"][1], "old.address@example.org", "bob@example.org"}),
        )
    )
    out.append(
        Case(
            "named-fr",
            build(
                "fr", "Merci de désabonner aussi l'adresse de mon fils : paul.lefevre@exemple.fr. Désabonnez-moi aussi.", form="html_latin1"
            ),
            "accepted",
            "optout",
            frozenset({PEOPLE["fr"][1], "paul.lefevre@exemple.fr"}),
        )
    )
    out.append(
        Case(
            "reply-to",
            build(
                "en",
                "Please unsubscribe me.",
                form="plain_qp",
                sender=("Jane via Users", "users@lists.example.org"),
                extra={"Reply-To": "Jane Roe <jane.roe@example.com>"},
            ),
            "accepted",
            "optout",
            frozenset({"users@lists.example.org", "jane.roe@example.com"}),
        )
    )
    # A dedicated unsubscribe mailbox accepts whatever the text says.
    for i, text in enumerate(("", "hello", "Please do not unsubscribe me")):
        out.append(
            Case(
                f"mailbox-{i}",
                build("en", text, form="plain_qp", subject="unsubscribe", to=UNSUBSCRIBE_MAILBOX),
                "accepted",
                "unsubscribe_mailbox",
                frozenset({PEOPLE["en"][1]}),
            )
        )
    # ARF complaints: the complaining recipient, never the reporter.
    out.append(Case("arf-rcpt", arf("angry.customer@example.com"), "accepted", "complaint", frozenset({"angry.customer@example.com"})))
    out.append(
        Case(
            "arf-optout", arf("leave.me@example.com", "opt-out", removal=True), "accepted", "complaint", frozenset({"leave.me@example.com"})
        )
    )
    out.append(Case("arf-no-rcpt", arf(None), "needs_review", "unclear"))
    # Negations: asks NOT to be unsubscribed.
    for lang, phrases in KEEP_PHRASES.items():
        for i, phrase in enumerate(phrases):
            for form in ("plain_qp", "alternative_top"):
                out.append(Case(f"keep-{lang}-{i}-{form}", build(lang, phrase, form=form, subject="Hello"), "ignored", "not_optout"))
    # Questions that quote a newsletter footer, or carry an "unsubscribe" disclaimer.
    for lang, questions in QUESTIONS.items():
        for i, q in enumerate(questions):
            for form in ("alternative_top", "bottom_post", "outlook_top", "forward", "html_only"):
                out.append(Case(f"question-{lang}-{i}-{form}", build(lang, q, form=form), "ignored", "not_optout"))
            out.append(
                Case(
                    f"disclaimer-{lang}-{i}",
                    build(lang, q, form="plain_qp", signature=f"--\n{PEOPLE[lang][0]}\nAcme Corp\n\n{DISCLAIMER}"),
                    "ignored",
                    "not_optout",
                )
            )
            out.append(
                Case(f"disclaimer-nodash-{lang}-{i}", build(lang, q, form="html_only", signature=DISCLAIMER), "ignored", "not_optout")
            )
    out.append(Case("empty-reply", build("en", "", form="alternative_top"), "ignored", "not_optout"))
    out.append(Case("empty-forward", build("de", "", form="forward"), "ignored", "not_optout"))
    # Unclear: the topic without a request, a cancellation sent to support@, contradictions.
    for i, (lang, text) in enumerate(UNCLEAR_PHRASES):
        out.append(Case(f"unclear-{i}", build(lang, text, form="plain_qp", subject="Question"), "needs_review", "unclear"))
    # Auto-replies (their text never counts, even when it says "unsubscribe").
    for i, (extra, subject, text) in enumerate(AUTO_REPLIES):
        lang = ("en", "fr", "es", "de", "pt")[i % 5]
        out.append(Case(f"auto-{i}", build(lang, text, form="alternative_top", subject=subject, extra=extra), "ignored", "auto_reply"))
    # Delivery status notifications.
    for form in ("rfc3464", "qmail", "postfix"):
        out.append(Case(f"dsn-{form}", dsn(form), "ignored", "bounce"))
    # Mail relayed by lists and group aliases, bare commands, misspellings, bulk mail that must
    # stay out (tests/unit/channels/mail/relayed.py), and the hostile files of tests/hostile/mail/.
    from tests.unit.channels.mail.relayed import hostile_cases, relayed_cases

    return out + relayed_cases() + hostile_cases()
