"""A labelled corpus per language — English, French, Spanish, German, Portuguese (SPEC §2.2)
and Dutch — written in the patterns public mailing-list archives and support inboxes show:
people's requests (with and without accents, misspelled, in the subject only, as replies
and forwards of a newsletter), replies about unsubscribing that are no request (keep me,
a question, a broken link), replies about something else that quote a newsletter's footer,
newsletters and spam with the language's own unsubscribe footer (an ESP's, Mailchimp's, a
spammer's with and without headers), a person's request relayed by a discussion list,
auto-replies and bounces. At least 40 messages per language; `tests.unit.channels.mail.scores`
prints precision and recall per language and per label."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from tests.unit.channels.mail.corpus import PEOPLE, QUESTIONS, SUPPORT, Case, build
from tests.unit.channels.mail.relayed import MM2_FOOTER, mailman, message

LANGS = ("en", "fr", "es", "de", "pt", "nl")


@dataclass(frozen=True)
class Material:
    """What one language's mail says."""

    requests: tuple[str, ...]  # a person's own asks, as typed (accents dropped, misspelled)
    subjects: tuple[str, ...]  # subject-only requests, empty body
    keep: tuple[str, ...]  # asks NOT to be unsubscribed
    unclear: tuple[str, ...]  # the topic without a request: a person decides
    footers: tuple[str, ...]  # newsletters' and spammers' unsubscribe instructions (plain text)
    link_words: str  # the footer link's words in a newsletter's HTML
    confirmation: tuple[str, str]  # an ESP's "you are unsubscribed" (subject, body)
    out_of_office: tuple[str, str]  # subject, body
    bounce_text: str  # a mail server's notice in the language
    relayed_request: str  # a list member's request relayed by a discussion list
    shop: str  # the marketing sender's domain


MATERIAL: dict[str, Material] = {
    "en": Material(
        requests=(
            "Please remove me from your mailing list.",
            "unsubscribe me pls",
            "I want to unsubcribe from these emails.",
            "Stop emailing me, I never signed up for this.",
            "Can you please take me off your newsletter list?",
            "I don't want to get your promotional emails anymore.",
            "Opt me out of all marketing please.",
            "UNSUBSCRIBE",
            "Please stop sending me newsletters.",
            "how do i unsubscribe from this",
            "Kindly remove my email from your list.",
            "pls unsuscribe",
            "I would like to be removed from your mailing list.",
            "Take me off your list!!!",
            "STOP",
            "Please delete my email address from your database.",
            "Unsubscribe me from all your emails, thank you.",
        ),
        subjects=("Unsubscribe", "remove me"),
        keep=("Please don't unsubscribe me, I just changed my address.", "I still want to receive the newsletter at my new address."),
        unclear=("Will unsubscribing also stop my invoices?", "The unsubscribe link in your newsletter is broken."),
        footers=(
            "If you no longer wish to receive these emails, click here to unsubscribe: https://{shop}/u/8f2c",
            "To unsubscribe from this list, reply with REMOVE in the subject line.",
            "You are receiving this email because you subscribed at {shop}. You can unsubscribe at any time.",
            "Unsubscribe | Update preferences | View in browser",
            "Not interested anymore? Unsubscribe instantly.",
            "Want to change how you receive these emails? You can update your preferences or unsubscribe from this list.",
            "If you no longer wish to receive email notifications, uncheck the option in your profile settings.",
        ),
        link_words="Unsubscribe from this list",
        confirmation=("You have been unsubscribed", "You have been removed from our list and will no longer receive our emails."),
        out_of_office=("Out of Office: October deals", "I am out of the office until Monday. Please unsubscribe me is not a command."),
        bounce_text="Your message could not be delivered to one or more recipients.",
        relayed_request="Please take me off this list, I get far too much mail.",
        shop="deals.example.com",
    ),
    "fr": Material(
        requests=(
            "Désabonnez-moi s'il vous plaît.",
            "desabonnez moi svp",
            "Je ne veux plus recevoir vos mails.",
            "Merci de me retirer de votre liste de diffusion.",
            "Je souhaite me désinscrire de la newsletter.",
            "Désinscrivez-moi de cette liste.",
            "Arrêtez de m'envoyer vos publicités.",
            "Supprimez mon adresse de votre fichier, merci.",
            "desabonez-moi",
            "je ne veux plus rien recevoir de votre part",
            "Veuillez me désinscrire de votre liste.",
            "Merci de ne plus m'envoyer de mails.",
            "Je ne souhaite plus recevoir vos newsletters.",
            "retirez moi de votre liste svp",
            "STOP, désinscription SVP",
            "Je voudrais me désabonner.",
        ),
        subjects=("Désinscription", "desabonnement"),
        keep=(
            "Ne me désinscrivez pas, je veux juste changer d'adresse.",
            "Je veux continuer à recevoir la newsletter à ma nouvelle adresse.",
        ),
        unclear=("Si je me désabonne, est-ce que je reçois toujours les factures ?", "Le lien de désinscription ne marche pas."),
        footers=(
            "Pour ne plus recevoir de courriels de notre part : mailto:desabonnement@{shop}",
            "Si vous ne souhaitez plus recevoir notre lettre d'information, cliquez ici.",
            "Vous recevez ce message car vous êtes inscrit sur {shop}. Se désinscrire : https://{shop}/d/8f2c",
            "Vous ne souhaitez plus recevoir nos e-mails ? Désabonnez-vous ici.",
            "Cliquez ici pour vous désinscrire.",
            "Pour ne plus recevoir nos emails, répondez « désabonnement » ou écrivez à desabo@{shop}.",
            "Pour ne plus recevoir de communications, vous pouvez vous désabonner en un clic.",
        ),
        link_words="Se désinscrire",
        confirmation=("Désinscription confirmée", "Vous avez été désinscrit de notre liste et ne recevrez plus nos courriels."),
        out_of_office=(
            "Réponse automatique : Offres d'octobre",
            "Je suis absente jusqu'à lundi. Merci de me désabonner n'est pas une commande.",
        ),
        bounce_text="Votre message n'a pas pu être remis à un ou plusieurs destinataires.",
        relayed_request="Merci de me retirer de cette liste, je reçois beaucoup trop de messages.",
        shop="boutique.exemple.fr",
    ),
    "es": Material(
        requests=(
            "Por favor, denme de baja.",
            "Quiero darme de baja de este boletín.",
            "darme de baja porfa",
            "No quiero recibir más correos suyos.",
            "Dejen de enviarme publicidad.",
            "Eliminen mi correo de su lista de distribución.",
            "Solicito la baja de su newsletter.",
            "quiero desuscribirme",
            "Quiero darme de vaja de la lista",
            "Bórrenme de su base de datos.",
            "Por favor no me envíen más correos.",
            "Quiero que me borren de su lista.",
            "Favor de darme de baja.",
            "Ya no quiero recibir sus boletines.",
            "deseo darme de baja de su lista de correos",
            "Por favor, quitenme de su lista.",
        ),
        subjects=("Baja", "darme de baja"),
        keep=("No me den de baja, solo cambié de correo.", "Quiero seguir recibiendo el boletín en mi nueva dirección."),
        unclear=("¿Si me doy de baja, dejaré también de recibir las facturas?", "El enlace para darse de baja no funciona."),
        footers=(
            "Si no desea recibir más correos, haga clic aquí: https://{shop}/baja/8f2c",
            "Para darse de baja, responda a este correo con el asunto BAJA.",
            "Usted recibe este boletín porque se registró en {shop}. Darme de baja de esta lista: https://{shop}/b/8f2c",
            "¿No quieres recibir más correos? Date de baja aquí.",
            "Puedes darte de baja en cualquier momento haciendo clic aquí.",
            "Darme de baja de esta lista [https://{shop}/unsubscribe.php?J=1] | Actualizar mis datos [https://{shop}/update.php?J=1]",
            "Si no desea recibir más avisos por correo, desactive la opción correspondiente en los ajustes de su perfil.",
        ),
        link_words="Darme de baja de esta lista",
        confirmation=("Baja confirmada", "Usted ha sido dado de baja de nuestra lista y no recibirá más correos."),
        out_of_office=("Respuesta automática: Ofertas de octubre", "Estoy fuera de la oficina hasta el lunes."),
        bounce_text="No se pudo entregar su mensaje a uno o más destinatarios.",
        relayed_request="Por favor, denme de baja de esta lista, recibo demasiados correos.",
        shop="tienda.ejemplo.es",
    ),
    "de": Material(
        requests=(
            "Bitte tragen Sie mich aus Ihrem Verteiler aus.",
            "bitte tragen sie mich aus dem newsletter aus",
            "Ich möchte keine E-Mails mehr von Ihnen bekommen.",
            "Melden Sie mich bitte vom Newsletter ab.",
            "Newsletter abbestellen bitte",
            "Bitte löschen Sie mich aus Ihrer Liste.",
            "Ich will Ihre Werbung nicht mehr erhalten.",
            "Bitte abmelden",
            "Moechte mich vom Newsletter abmelden.",
            "Schicken Sie mir keine Werbung mehr.",
            "Bitte streichen Sie mich aus Ihrem Verteiler.",
            "Ich möchte mich vom Newsletter abmelden.",
            "Bitte keine Mails mehr!",
            "Abmelden bitte",
            "Bitte entfernen Sie meine Adresse aus Ihrer Mailingliste.",
            "Ich will mich austragen.",
        ),
        subjects=("Abmeldung", "Newsletter abbestellen"),
        keep=(
            "Bitte tragen Sie mich nicht aus, ich habe nur eine neue Adresse.",
            "Ich möchte den Newsletter weiterhin erhalten, nur an meine neue Adresse.",
        ),
        unclear=("Bekomme ich nach der Abmeldung noch Rechnungen?", "Der Abmeldelink im Newsletter funktioniert nicht."),
        footers=(
            "Wenn Sie unsere E-Mails nicht mehr erhalten möchten, senden Sie uns bitte eine E-Mail an abmelden@{shop}.",
            "Um sich abzumelden, klicken Sie hier.",
            "Sie erhalten diesen Newsletter, weil Sie sich auf {shop} angemeldet haben. Newsletter abbestellen: https://{shop}/ab/8f2c",
            "Sie möchten keine E-Mails mehr von uns erhalten? Hier abmelden.",
            "Abmelden: Klicken Sie hier",
            "Wenn Sie unseren Newsletter nicht mehr erhalten möchten, melden Sie sich bitte hier ab.",
            "Wenn Sie Nachrichten nicht mehr erhalten möchten, können Sie diese hier abbestellen.",
        ),
        link_words="Newsletter abbestellen",
        confirmation=("Abmeldung bestätigt", "Sie wurden aus unserem Verteiler ausgetragen und erhalten keine E-Mails mehr von uns."),
        out_of_office=("Abwesenheitsnotiz: Oktober-Angebote", "Ich bin bis Montag nicht im Büro."),
        bounce_text="Ihre Nachricht konnte nicht zugestellt werden.",
        relayed_request="Bitte tragen Sie mich aus dieser Liste aus, es sind mir zu viele Mails.",
        shop="shop.beispiel.de",
    ),
    "pt": Material(
        requests=(
            "quero cancelar a subscricao",
            "Quero cancelar a inscrição, por favor.",
            "Por favor, descadastre-me.",
            "Não quero mais receber e-mails de vocês.",
            "Removam o meu e-mail da vossa lista.",
            "Parem de me enviar promoções.",
            "quero me descadastar",
            "Gostaria de sair da vossa lista.",
            "nao quero mais receber esses emails",
            "Desinscrevam-me da newsletter.",
            "Por favor, me tirem da lista.",
            "Nao quero receber mais nada de voces.",
            "Quero deixar de receber a newsletter.",
            "Favor remover meu e-mail da lista.",
            "pedido de cancelamento da subscricao",
            "Quero me descadastrar.",
        ),
        subjects=("Descadastrar", "cancelar subscricao"),
        keep=("Não me removam da lista, só mudei de endereço.", "Quero continuar a receber a newsletter no meu novo endereço."),
        unclear=("Se eu cancelar a subscrição, ainda recebo as faturas?", "O link para descadastrar não funciona."),
        footers=(
            "Se não deseja mais receber os nossos e-mails, clique aqui: https://{shop}/sair/8f2c",
            "Para cancelar a subscrição, responda a este e-mail com a palavra SAIR.",
            "Você recebe esta mensagem porque se cadastrou em {shop}. Descadastre-se: https://{shop}/d/8f2c",
            "Não quer mais receber nossos e-mails? Descadastre-se aqui.",
            "Clique aqui para cancelar a sua inscrição.",
            "Se não deseja mais receber mensagens nossas, basta responder a este e-mail com a palavra “Cancelar”.",
            "Você recebeu este e-mail porque está cadastrado em nossa lista. "
            "Se não deseja mais receber nossos e-mails, clique aqui para descadastrar.",
        ),
        link_words="Cancelar subscrição",
        confirmation=("Subscrição cancelada", "Você foi removido da nossa lista e não receberá mais os nossos e-mails."),
        out_of_office=("Resposta automática: Ofertas de outubro", "Estou de férias até segunda-feira."),
        bounce_text="Não foi possível entregar a sua mensagem a um ou mais destinatários.",
        relayed_request="Por favor, quero sair desta lista, recebo mensagens demais.",
        shop="loja.exemplo.pt",
    ),
    "nl": Material(
        requests=(
            "Graag uitschrijven.",
            "uitschrijven a.u.b.",
            "Schrijf mij uit voor de nieuwsbrief.",
            "Ik wil geen e-mails meer ontvangen.",
            "Verwijder mij uit uw mailinglijst.",
            "Meld mij af voor deze nieuwsbrief.",
            "Ik wil me afmelden voor de nieuwsbrief.",
            "Stop met mailen alstublieft.",
            "uitschijven aub",
            "Ik wil uw nieuwsbrief niet langer ontvangen.",
            "Wilt u mij uitschrijven?",
            "Ik wil graag afgemeld worden voor de nieuwsbrief.",
            "Haal me van jullie lijst.",
            "Geen mails meer graag.",
            "Verwijder mijn e-mailadres uit uw bestand.",
            "afmelden graag",
        ),
        subjects=("Uitschrijven", "Afmelden nieuwsbrief"),
        keep=("Schrijf mij niet uit, ik heb alleen een nieuw adres.", "Ik wil de nieuwsbrief blijven ontvangen op mijn nieuwe adres."),
        unclear=("Krijg ik na het uitschrijven nog wel facturen?", "De afmeldlink in de nieuwsbrief werkt niet."),
        footers=(
            "Wil je geen e-mails meer ontvangen? Klik dan hier om je af te melden: https://{shop}/af/8f2c",
            "Als u deze nieuwsbrief niet langer wilt ontvangen, stuur dan een e-mail naar afmelden@{shop}.",
            "U ontvangt deze e-mail omdat u zich heeft aangemeld op {shop}. Uitschrijven: https://{shop}/u/8f2c",
            "Geen e-mails meer ontvangen? Meld je hier af.",
            "Klik hier om je uit te schrijven voor deze nieuwsbrief.",
            "Wil je deze e-mails niet meer ontvangen? Schrijf je dan hier uit.",
            "Weet u zeker dat u zich wilt uitschrijven van deze lijsten?",
        ),
        link_words="Uitschrijven",
        confirmation=("Uitschrijving bevestigd", "U bent uitgeschreven en ontvangt geen e-mails meer van ons."),
        out_of_office=("Automatisch antwoord: Oktoberaanbiedingen", "Ik ben tot maandag afwezig."),
        bounce_text="Uw bericht kon niet worden afgeleverd.",
        relayed_request="Haal mij van deze lijst af alstublieft, ik krijg veel te veel mail.",
        shop="winkel.voorbeeld.nl",
    ),
}
QUESTION_NL = (
    "Mijn factuur FAC-2291 bevat twee afschrijvingen voor oktober. Kunt u dat nakijken?",
    "Mijn website geeft sinds vanochtend foutmelding 502.",
)
PERSON_FORMS = ("plain_8bit", "html_only", "alternative_top", "outlook_top", "plain_latin1", "forward", "bottom_post")
REPLY_FORMS = ("alternative_top", "outlook_top", "bottom_post")
_n = itertools.count(1)


def _template(lang: str, m: Material, footer_html: str) -> str:
    """A marketing mail's HTML as ESP templates lay it out: nested tables, a tracking pixel,
    every link through a click tracker."""
    shop = m.shop
    track = f"https://t.{shop}/click/{'9f3a' * 9}"
    cells = "".join(f'<td style="padding:8px"><a href="{track}?utm_source=newsletter&amp;p={i}">Produkt {i}</a></td>' for i in range(4))
    return (
        f'<html><body><table width="600" cellpadding="0"><tr><td><table><tr>{cells}</tr></table></td></tr>'
        f'<tr><td style="font-size:11px;color:#999">{footer_html}</td></tr></table>'
        f'<img src="https://t.{shop}/open/{"7c1e" * 9}.gif" width="1" height="1" alt=""></body></html>'
    )


def _shop_sender(m: Material) -> str:
    return f"Shop News <news@{m.shop}>"


def _case(lang: str, kind: str, data: bytes, outcome: str, reason: str, *addresses: str) -> Case:
    return Case(f"lang-{lang}-{kind}-{next(_n)}", data, outcome, reason, frozenset(a.lower() for a in addresses))


def _bounce(lang: str, m: Material, request: str) -> list[Case]:
    dsn = (
        "From: Mail Delivery System <MAILER-DAEMON@mx.isp.example>\nTo: support@progiga.example\n"
        f"Subject: Undelivered Mail Returned to Sender\nDate: Fri, 9 Oct 2026 09:00:00 +0000\nMessage-ID: <dsn.{lang}@mx.isp.example>\n"
        'MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary="r"\n\n'
        f"--r\nContent-Type: text/plain; charset=utf-8\n\n{m.bounce_text}\n\n--r\nContent-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; mx.isp.example\n\nFinal-Recipient: rfc822; gone@isp.example\nAction: failed\nStatus: 5.1.1\n\n"
        f"--r\nContent-Type: message/rfc822\n\nFrom: someone@example.com\nSubject: x\n\n{request}\n--r--\n"
    ).encode()
    plain = message(
        "MAILER-DAEMON@mx.isp.example",
        "failure notice",
        f"{m.bounce_text}\n\n<gone@isp.example>: mailbox unavailable\n\n--- Below this line is a copy of the message.\n\n{request}\n",
    )
    return [_case(lang, "bounce", dsn, "ignored", "bounce"), _case(lang, "bounce", plain, "ignored", "bounce")]


def language_cases(lang: str) -> list[Case]:
    m = MATERIAL[lang]
    who = PEOPLE[lang][1]
    forms = itertools.cycle(PERSON_FORMS)
    out: list[Case] = []
    # A person's own asks, two client forms each (direct, HTML, replies above and below a
    # quoted newsletter, Outlook, forwards), and subject-only requests.
    for phrase in m.requests:
        for _ in range(2):
            form = next(forms)
            subject = None if form in ("alternative_top", "outlook_top", "forward", "bottom_post") else "Hello"
            out.append(_case(lang, f"request-{form}", build(lang, phrase, form=form, subject=subject), "accepted", "optout", who))
    for subject in m.subjects:
        out.append(_case(lang, "subject", build(lang, "", form="plain_8bit", subject=subject), "accepted", "optout", who))
    # Replies about unsubscribing that ask no opt-out, and replies about something else that
    # quote the newsletter's footer.
    for phrase in m.keep:
        out.append(_case(lang, "keep", build(lang, phrase, form="alternative_top"), "ignored", "not_optout"))
    for phrase in m.unclear:
        out.append(_case(lang, "unclear", build(lang, phrase, form="plain_qp", subject="Question"), "needs_review", "unclear"))
    questions = QUESTIONS.get(lang) or QUESTION_NL
    for form, question in zip(REPLY_FORMS, itertools.cycle(questions)):
        out.append(_case(lang, f"question-{form}", build(lang, question, form=form), "ignored", "not_optout"))
    out += _bulk(lang, m)
    # A list member's request relayed by a discussion list (Mailman, its footer below).
    name, address = PEOPLE[lang]
    out.append(
        _case(
            lang,
            "list-relayed",
            message(f"{name} <{address}>", "[Users] " + m.subjects[0], m.relayed_request + "\n" + MM2_FOOTER, mailman()),
            "accepted",
            "optout",
            address,
        )
    )
    # Auto-replies and bounces, quoting or carrying a request that is never theirs.
    subject, body = m.out_of_office
    out.append(_case(lang, "auto-reply", message(f"{name} <{address}>", subject, body), "ignored", "auto_reply"))
    out.append(
        _case(
            lang,
            "auto-reply",
            message(f"{name} <{address}>", "Re: " + m.subjects[0], m.requests[0], {"Auto-Submitted": "auto-replied"}),
            "ignored",
            "auto_reply",
        )
    )
    out.append(
        _case(
            lang,
            "auto-reply",
            message(
                f"Helpdesk <helpdesk@{m.shop}>",
                f"[Ticket #{4400 + len(out)}] {m.subjects[0]}",
                f"{m.requests[1]}\n\n-- \nTicket received",
                {"Auto-Submitted": "auto-generated", "Precedence": "bulk"},
            ),
            "ignored",
            "auto_reply",
        )
    )
    return out + _bounce(lang, m, m.requests[0])


def _bulk(lang: str, m: Material) -> list[Case]:
    """Newsletters and spam with the language's own unsubscribe footers."""
    shop = m.shop
    footers = [f.format(shop=shop) for f in m.footers]
    link = f'<a href="https://{shop}/u/8f2c">{m.link_words}</a>'
    esp = {
        "List-Unsubscribe": f"<https://{shop}/u/8f2c>, <mailto:unsub-8f2c@{shop}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Precedence": "bulk",
    }
    mailchimp = {"List-Unsubscribe": f"<mailto:unsubscribe-8f2c@{shop}>", "X-MC-User": "8f2c1d", "X-Campaign": "mailchimp8f2c.77"}
    out = [
        # An ESP's newsletter: one-click List-Unsubscribe, the footer in plain text and HTML.
        _case(
            lang,
            "bulk-esp",
            message(_shop_sender(m), "Oktober / October / Octubre", f"Sale!\n\n{footers[0]}\n", esp, html=_template(lang, m, link)),
            "ignored",
            "bulk_mail",
        ),
        # Mailchimp's: only an HTML body whose footer link is the language's "unsubscribe".
        _case(
            lang, "bulk-mailchimp", message(_shop_sender(m), "News", "", mailchimp, html=_template(lang, m, link)), "ignored", "bulk_mail"
        ),
        # Spam straight to support@, no list headers: a template, tracking links, a footer.
        _case(
            lang,
            "spam-template",
            message(f"Promo <promo@{shop}>", "!!!", f"Best prices!\n\n{footers[1]}", html=_template(lang, m, footers[1])),
            "ignored",
            "bulk_mail",
        ),
        # Plain-text spam with Precedence: bulk and the footer.
        _case(
            lang,
            "spam-bulk-footer",
            message(f"Info <info@{shop}>", "Angebot / offer", f"Only today: 70% off.\n\n{footers[0]}\n", {"Precedence": "bulk"}),
            "ignored",
            "bulk_mail",
        ),
        # Plain-text spam with nothing but its footer to show: its instruction is no request.
        *(
            _case(
                lang,
                "spam-footer-only",
                message(f"Info <info@{shop}>", "Hello", f"Only today: 70% off.\n\n{footer}\n"),
                "ignored",
                "not_optout",
            )
            for footer in footers
        ),
        # An ESP's confirmation that the reader is unsubscribed.
        _case(lang, "bulk-confirmation", message(_shop_sender(m), *m.confirmation, esp), "ignored", "bulk_mail"),
    ]
    return out


def cases() -> list[Case]:
    return [case for lang in LANGS for case in language_cases(lang)]


def language_of(case: Case) -> str:
    return case.id.split("-")[1]


def label_of(outcome: str, reason: str) -> str:
    return f"{outcome}/{reason}"


__all__ = ["LANGS", "MATERIAL", "SUPPORT", "cases", "label_of", "language_of"]
