"""Writes the hostile messages of this folder (bytes exact): `python tests/hostile/mail-languages/generate.py`.
README.md here lists each file with its expected outcome; tests/unit/channels/mail/test_hostile_languages.py
checks them."""

from __future__ import annotations

import base64
from pathlib import Path

HERE = Path(__file__).resolve().parent


def head(sender: str, subject: str, n: int, *extra: str) -> str:
    lines = [f"From: {sender}", "To: support@progiga.example", f"Subject: {subject}", f"Date: Fri, 9 Oct 2026 09:{n:02d}:00 +0000"]
    lines += [f"Message-ID: <hostile-lang.{n}@mail.example>", "MIME-Version: 1.0", *extra]
    return "\r\n".join(lines) + "\r\n"


def plain(text: str, charset: str = "utf-8") -> str:
    return f"Content-Type: text/plain; charset={charset}\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + text.replace("\n", "\r\n")


def template(footer: str, links: int = 4) -> str:
    cells = "".join(f'<td><a href="https://t.shop.example/click/{i:032x}?utm_source=nl">Angebot {i}</a></td>' for i in range(links))
    return (
        f"<html><body><table><tr>{cells}</tr><tr><td>{footer}</td></tr></table>"
        '<img src="https://t.shop.example/open/1.gif" width="1" height="1"></body></html>'
    )


FILES: dict[str, bytes] = {
    # Soft hyphens and zero-width spaces inside the words (copied from a web page or a PDF).
    "request-soft-hyphen-zero-width-nl.eml": (
        head("Daan de Vries <daan.devries@voorbeeld.nl>", "Nieuwsbrief", 1)
        + plain("Hallo,\n\nGraag uit\u00adschrij\u200bven a.u.b.\n\nDaan\n")
    ).encode(),
    "footer-soft-hyphen-bulk-de.eml": (
        head("Gartenversand <info@garten.beispiel.de>", "Herbst", 2, "Precedence: bulk", "List-Unsubscribe: <mailto:ab@garten.beispiel.de>")
        + plain("Alles 30 % günstiger.\n\nWenn Sie unsere E-Mails nicht mehr erhal\u00adten möchten, senden Sie uns bitte eine E-Mail.\n")
    ).encode(),
    # Accents written as combining marks (NFD), as some Mac clients send them.
    "request-decomposed-accents-pt.eml": (
        head("Rui Teixeira <rui.teixeira@exemplo.pt>", "Olá", 3) + plain("Quero cancelar a subscric\u0327a\u0303o.\n\nRui\n")
    ).encode(),
    # A spammer's French footer in ISO-8859-1, base64, HTML only, no list headers at all.
    "spam-latin1-base64-html-fr.eml": (
        head("Offres <offres@promo.exemple.fr>", "Devis gratuit", 4)
        + "Content-Type: text/html; charset=iso-8859-1\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(
            template("Pour ne plus recevoir de courriels de notre part : mailto:stop@promo.exemple.fr").encode("latin-1")
        ).decode()
    ).encode(),
    # A subject-only request in capitals without accents.
    "request-capitals-subject-only-es.eml": (head("José Muñoz <jose.munoz@ejemplo.es>", "DENME DE BAJA POR FAVOR", 5) + plain("")).encode(),
    # A newsletter whose unsubscribe link speaks in the first person ("Ik wil me afmelden"),
    # as Mailchimp's "Darme de baja de esta lista" does: an ESP's mark, never a request.
    "newsletter-first-person-link-nl.eml": (
        head(
            "Winkel <nieuws@winkel.voorbeeld.nl>",
            "Aanbiedingen",
            6,
            "List-Unsubscribe: <https://winkel.voorbeeld.nl/u/1>",
            "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
        )
        + "Content-Type: text/html; charset=utf-8\r\n\r\n"
        + template('<a href="https://winkel.voorbeeld.nl/u/1">Ik wil me afmelden</a>')
    ).encode(),
    # A discussion list's post that also carries a Feedback-ID: the person's request counts.
    "discussion-list-feedback-id-de.eml": (
        head(
            "Jürgen Müller <juergen.mueller@beispiel.de>",
            "[Nutzer] Abmeldung",
            7,
            "List-Id: Nutzer <nutzer.lists.beispiel.de>",
            "List-Post: <mailto:nutzer@lists.beispiel.de>",
            "Precedence: list",
            "Feedback-ID: 1:nutzer:lists",
        )
        + plain(
            "Bitte tragen Sie mich aus dieser Liste aus.\n\n_______________________________________________\n"
            "Nutzer mailing list\nnutzer@lists.beispiel.de\nhttps://lists.beispiel.de/mailman/listinfo/nutzer\n"
        )
    ).encode(),
    # A person's HTML reply quoting a templated newsletter (tracking links, a pixel): the
    # quote's marks are not the person's.
    "reply-quoting-template-pt.eml": (
        head("Ana Lima <ana.lima@exemplo.com.br>", "Re: Ofertas", 8, "In-Reply-To: <news.1@shop.example>")
        + "Content-Type: text/html; charset=utf-8\r\n\r\n"
        + "<html><body><p>quero cancelar a inscricao</p><blockquote>"
        + template("Para cancelar a subscrição, clique aqui.")
        + "</blockquote></body></html>"
    ).encode(),
    # A spam with five thousand tracking links: read in time, bulk mail.
    "spam-five-thousand-links-en.eml": (
        head("Deals <deals@deals.example>", "Deals", 9)
        + "Content-Type: text/html; charset=utf-8\r\n\r\n"
        + template("If you no longer wish to receive these emails, click here.", links=5000)
    ).encode(),
    # A footer sentence cut by a bare CR in the middle of the words.
    "footer-bare-cr-es.eml": (
        head("Tienda <info@tienda.ejemplo.es>", "Ofertas", 10, "Precedence: bulk")
        + "Content-Type: text/plain; charset=utf-8\r\n\r\nOfertas de hoy.\r\n\r\nSi no desea recibir\rmás correos, haga clic aquí.\r\n"
    ).encode(),
}


def main() -> None:
    for name, data in FILES.items():
        (HERE / name).write_bytes(data)


if __name__ == "__main__":
    main()
