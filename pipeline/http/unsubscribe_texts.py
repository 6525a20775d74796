"""The unsubscribe page's words in English, German, French and Spanish, one dict per language
(every language has every key: a test holds them together), and the choice of language from
the reader's Accept-Language header.

`{brand}`, `{address}`, `{when}` and `{contact}` are filled in by `unsubscribe_page`, already
escaped; the texts themselves are trusted HTML-free strings."""

from __future__ import annotations

import re
from datetime import datetime

DEFAULT = "en"
MAX_HEADER_CHARS = 4096  # an Accept-Language longer than this is junk: only its start is read
MAX_ENTRIES = 32  # a browser sends a handful; a thousand entries are not worth parsing

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Unsubscribe",
        "done_title": "Unsubscribed",
        "intro": "Press the button to stop receiving newsletters and promotions from us.",
        "intro_brand": "Press the button to stop receiving newsletters and promotions from {brand}.",
        "for_address": "This link is for {address}.",
        "button": "Unsubscribe",
        "when_pressed": "Your request is recorded as soon as you press the button.",
        "done_heading": "Your request is recorded",
        "done_address": "{address} will receive no more newsletters or promotions from us.",
        "done_no_address": "You will receive no more newsletters or promotions from us.",
        "effect": "Our list of addresses we must not mail is updated every night at 02:00 UTC: your opt-out "
        "is added at the latest in the update that starts on {when}, and in any case within 48 hours. "
        "A message prepared before then may still reach you.",
        "still_receiving": "If our newsletters still reach you after that, contact {contact}.",
        "still_receiving_reply": "If our newsletters still reach you after that, reply to one of them.",
        "not_a_link": "This unsubscribe link is not complete or not valid. Open the link from the message "
        "again (the whole link), or reply to the message asking to be unsubscribed.",
        "privacy": "Privacy policy",
        "support": "Support:",
        "when": "{weekday} {day} {month} {year} at {time} UTC",
        "weekdays": "Monday Tuesday Wednesday Thursday Friday Saturday Sunday",
        "months": "January February March April May June July August September October November December",
    },
    "de": {
        "title": "Abmelden",
        "done_title": "Abgemeldet",
        "intro": "Drücken Sie die Schaltfläche, um keine Newsletter und Werbung mehr von uns zu erhalten.",
        "intro_brand": "Drücken Sie die Schaltfläche, um keine Newsletter und Werbung mehr von {brand} zu erhalten.",
        "for_address": "Dieser Link gilt für {address}.",
        "button": "Abmelden",
        "when_pressed": "Ihr Wunsch wird gespeichert, sobald Sie die Schaltfläche drücken.",
        "done_heading": "Ihr Wunsch ist gespeichert",
        "done_address": "{address} erhält keine Newsletter und Werbung mehr von uns.",
        "done_no_address": "Sie erhalten keine Newsletter und Werbung mehr von uns.",
        "effect": "Unsere Liste der Adressen, die nicht angeschrieben werden dürfen, wird jede Nacht um "
        "02:00 Uhr UTC aktualisiert. Ihre Abmeldung steht spätestens nach der Aktualisierung darauf, die am "
        "{when} beginnt, in jedem Fall innerhalb von 48 Stunden. Eine vorher vorbereitete Nachricht kann Sie "
        "noch erreichen.",
        "still_receiving": "Wenn Sie danach noch Newsletter von uns erhalten, wenden Sie sich an {contact}.",
        "still_receiving_reply": "Wenn Sie danach noch Newsletter von uns erhalten, antworten Sie auf einen davon.",
        "not_a_link": "Dieser Abmeldelink ist unvollständig oder ungültig. Öffnen Sie den Link aus der Nachricht "
        "erneut (den ganzen Link) oder antworten Sie auf die Nachricht mit der Bitte um Abmeldung.",
        "privacy": "Datenschutzerklärung",
        "support": "Kontakt:",
        "when": "{weekday}, {day}. {month} {year}, um {time} Uhr UTC",
        "weekdays": "Montag Dienstag Mittwoch Donnerstag Freitag Samstag Sonntag",
        "months": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    },
    "fr": {
        "title": "Se désinscrire",
        "done_title": "Désinscription enregistrée",
        "intro": "Appuyez sur le bouton pour ne plus recevoir nos lettres d’information et nos offres.",
        "intro_brand": "Appuyez sur le bouton pour ne plus recevoir les lettres d’information et les offres de {brand}.",
        "for_address": "Ce lien concerne {address}.",
        "button": "Se désinscrire",
        "when_pressed": "Votre demande est enregistrée dès que vous appuyez sur le bouton.",
        "done_heading": "Votre demande est enregistrée",
        "done_address": "{address} ne recevra plus nos lettres d’information ni nos offres.",
        "done_no_address": "Vous ne recevrez plus nos lettres d’information ni nos offres.",
        "effect": "Notre liste des adresses à ne plus contacter est mise à jour chaque nuit à 02:00 UTC. "
        "Votre désinscription y figure au plus tard après la mise à jour qui commence le {when}, et dans "
        "tous les cas sous 48 heures. Un message préparé avant peut encore vous parvenir.",
        "still_receiving": "Si nos lettres vous parviennent encore après, contactez {contact}.",
        "still_receiving_reply": "Si nos lettres vous parviennent encore après, répondez à l’une d’elles.",
        "not_a_link": "Ce lien de désinscription est incomplet ou invalide. Ouvrez à nouveau le lien du message "
        "(le lien entier), ou répondez au message en demandant votre désinscription.",
        "privacy": "Politique de confidentialité",
        "support": "Contact :",
        "when": "{weekday} {day} {month} {year} à {time} UTC",
        "weekdays": "lundi mardi mercredi jeudi vendredi samedi dimanche",
        "months": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    },
    "es": {
        "title": "Darse de baja",
        "done_title": "Baja registrada",
        "intro": "Pulse el botón para dejar de recibir nuestros boletines y promociones.",
        "intro_brand": "Pulse el botón para dejar de recibir los boletines y promociones de {brand}.",
        "for_address": "Este enlace es para {address}.",
        "button": "Darse de baja",
        "when_pressed": "Su solicitud queda registrada en cuanto pulse el botón.",
        "done_heading": "Su solicitud está registrada",
        "done_address": "{address} no recibirá más boletines ni promociones nuestros.",
        "done_no_address": "No recibirá más boletines ni promociones nuestros.",
        "effect": "Nuestra lista de direcciones a las que no se debe escribir se actualiza cada noche a las "
        "02:00 UTC. Su baja figura en ella como muy tarde tras la actualización que empieza el {when}, y en "
        "cualquier caso en un plazo de 48 horas. Un mensaje preparado antes aún puede llegarle.",
        "still_receiving": "Si después aún le llegan nuestros boletines, escriba a {contact}.",
        "still_receiving_reply": "Si después aún le llegan nuestros boletines, responda a uno de ellos.",
        "not_a_link": "Este enlace para darse de baja está incompleto o no es válido. Vuelva a abrir el enlace "
        "del mensaje (el enlace entero) o responda al mensaje pidiendo la baja.",
        "privacy": "Política de privacidad",
        "support": "Contacto:",
        "when": "{weekday}, {day} de {month} de {year}, a las {time} UTC",
        "weekdays": "lunes martes miércoles jueves viernes sábado domingo",
        "months": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
    },
}
LANGUAGES = tuple(TEXTS)

# One Accept-Language entry: a language range and an optional q-value (RFC 9110 §12.4.2, §12.5.4).
_ENTRY = re.compile(r"\s*([A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*)\s*(?:;\s*q\s*=\s*(0(?:\.\d{0,3})?|1(?:\.0{0,3})?))?\s*")


def choose_language(header: str | None) -> str:
    """The best of our languages for an Accept-Language header: by q-value, then by order;
    `de-CH` is `de`; an entry that does not parse (`*;q=abc`, non-ASCII) is skipped; nothing
    acceptable is English. Only the header's first MAX_HEADER_CHARS characters and first
    MAX_ENTRIES entries are read, so a huge header costs no more than a normal one."""
    if not header:
        return DEFAULT
    best, best_q = DEFAULT, 0.0
    for entry in header[:MAX_HEADER_CHARS].split(",")[:MAX_ENTRIES]:
        match = _ENTRY.fullmatch(entry)
        if match is None:
            continue
        primary = match.group(1).split("-")[0].lower()
        q = float(match.group(2)) if match.group(2) is not None else 1.0
        if primary in TEXTS and q > best_q:
            best, best_q = primary, q
    return best


def format_when(lang: str, at: datetime) -> str:
    """`at` (UTC) as the reader reads a date and time: weekday, day, month, year, hh:mm."""
    words = TEXTS[lang]
    return words["when"].format(
        weekday=words["weekdays"].split()[at.weekday()],
        day=at.day,
        month=words["months"].split()[at.month - 1],
        year=at.year,
        time=at.strftime("%H:%M"),
    )
