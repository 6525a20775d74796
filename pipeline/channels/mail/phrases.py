"""Every phrase the mail classifier knows, in one place, per language.

Opt-out and keep phrases are matched against *folded* text (`fold`: lower case, accents
removed, curly quotes straightened, whitespace collapsed), one sentence at a time. A
sentence that matches a KEEP phrase ("please do NOT unsubscribe me") never counts as an
opt-out, whatever else it says. A MENTION without a clear request sends the message to
review rather than guessing. docs/email-classification.md explains the choices.

Table data: the phrase tables are long by nature, so this module is exempt from the line limit.
"""

from __future__ import annotations

import re
import unicodedata

LANGUAGES = ("en", "fr", "es", "de", "pt", "nl")

# Nouns of marketing mail, per language, used inside the phrases below.
_MAIL_EN = (
    r"(marketing|promotional|promotions?|newsletters?|offers?|ads|adverts?|advertis\w*|spam"
    r"|e-?mails?|emails|mails?|mailings?|messages|junk|communications?)"
)
_MAIL_ES = r"(correos?|e-?mails?|mensajes|boletin(es)?|newsletters?|publicidad|promociones|ofertas|informacion comercial|comunicaciones)"
_MAIL_PT = r"(e-?mails?|mensagens|newsletters?|boletins?|boletim|promocoes|ofertas|publicidade|comunicacoes|informativos?)"
_MAIL_NL = r"(e-?mails?|mails?|mailtjes|nieuwsbrie(f|ven)|berichten|aanbiedingen|reclame|nieuwsbrief|mailings?)"
# What one is removed *from* in an opt-out; not "e-mail" ("remove the old record from my e-mail setup").
_LIST_EN = r"(list|lists|mailing|mailings|newsletters?|database|marketing|promotions?|subscribers?|distribution)"
_W = r"[^.!?\n]{0,40}"  # a few words within the same sentence

OPTOUT: dict[str, tuple[str, ...]] = {
    "en": (
        r"\b(please|pls|kindly|plz) unsubscribe\b",
        r"\bunsubscribe (me|us|my|this|our)\b",
        r"\b(want|like|wish|need|trying|tried|try|asked|asking) to unsubscribe\b",
        r"\b(can|could|would|will) you (please )?unsubscribe\b",
        r"\b(how|where) (do|can|could) i unsubscribe\b",
        r"\bi (have |already )?unsubscribed\b",
        r"\bi (can ?not|can't|cant|couldn't|am unable to) unsubscribe\b",
        r"\b(remove|delete|take|drop|erase)\b" + _W + r"\b(from|off)\b" + r"[^.!?\n]{0,30}\b" + _LIST_EN + r"\b",
        r"\b(remove|delete|take|drop|erase) (me|us)\b[^.!?\n]{0,10}\b(from|off)\b",
        r"\b(stop|quit|cease) (sending|emailing|e-mailing|mailing|spamming|contacting)( me| us)?\b"
        + r"[^.!?\n]{0,20}\b"
        + _MAIL_EN
        + r"\b",
        r"\b(stop|quit) (emailing|e-mailing|spamming|contacting|mailing) (me|us)\b",
        r"\b(no longer|not|don't|do not|dont) (want|wish) to (receive|get)\b" + r"[^.!?\n]{0,30}\b" + _MAIL_EN + r"\b",
        r"\bno (more|further) " + _MAIL_EN + r"\b",
        r"\b(don't|do not|dont|never) (send|email|e-mail|mail) (me|us) (any ?more|again|any further)\b",
        r"\b(don't|do not|dont) (send|email|e-mail|mail) (me|us) (any |your )?" + _MAIL_EN + r"\b",
        r"\bopt (me|us) out\b",
        r"\b(please|want to|like to|wish to|need to|i|we) opt[- ]?out\b",
        r"\bopt[- ]?out of (all |your |the |any )?" + _MAIL_EN + r"\b",
        r"\bcancel (my |the |your )?(newsletter|mailing list|marketing e-?mails?)\b",
        r"\bunsubscribe from (your|all|these|this|the) (newsletter|mailing|marketing|e-?mails?|emails|promotions?|offers?)",
        r"\b(like|want|wish|ask|asking|need|would) to be (removed|taken off|deleted|unsubscribed|opted out)\b",
    ),
    "fr": (
        r"\bdesabonnez[- ]moi\b",
        r"\bdesinscri(vez|s)[- ]moi\b",
        r"\bretirez[- ]moi\b",
        r"\bme (desabonner|desinscrire|retirer de)\b",
        r"\bne (veux|souhaite|desire) plus (rien )?recevoir\b",
        r"\bne plus recevoir\b",
        r"\barretez (de |d')m'?(envoyer|ecrire)\b",
        r"\bne plus m'?(envoyer|ecrire|contacter|solliciter)\b",
        r"\bne (m'|me )(envoyez|ecrivez|contactez) plus\b",
        r"\b(supprimer|retirer|supprimez|retirez|effacez|effacer)\b"
        + _W
        + r"\b(liste|listes|fichier|newsletter|lettre d'information|mailing)\b",
        r"\bstop (aux|a la|a vos|les|vos) (newsletters?|e-?mails?|mails|publicites?|promotions?)\b",
    ),
    "es": (
        r"\b(darme|darnos|denme|dennos|deme|denos|dame|danos|dadme|dadnos|dar|dan|den) de baja\b",
        r"\b(solicito|quiero|pido|deseo|tramitar|solicitar) (la )?baja\b",
        r"\bdesuscribi(r|rme|rnos)\b",
        r"\bdesuscri(bame|banme|banos)\b",
        r"\bcancelar (mi |la )?suscripcion (al|a la|del|de la) (boletin|newsletter|lista)",
        r"\bno (quiero|deseo) (recibir|seguir recibiendo)\b" + r"[^.!?\n]{0,30}\b" + _MAIL_ES + r"\b",
        r"\bdejen de (enviar|mandar)(me|nos)?\b",
        r"\bno (me|nos) (envien|manden|envies|mandes|escriban|sigan enviando|sigan mandando) (mas|ningun|nada)",
        r"\b(quiero|deseo|pido) que me (borren|eliminen|quiten|saquen|den de baja)\b",
        r"\b(eliminar|eliminen|elimineme|borrar|borren|borrenme|quitar|quiten|quitenme|saquen|saquenme|sacar)(me)?\b"
        + _W
        + r"\b(lista|listas|boletin|newsletter|base de datos)\b",
    ),
    "de": (
        r"\b(newsletter|verteiler|liste|werbung|e-?mails?|mailings?|werbemails?)\b"
        + _W
        + r"\b(abmelden|abbestellen|austragen|abmeldung|abbestellung|kundigen)\b",
        r"\b(abmelden|abbestellen|austragen|abmeldung|abbestellung)\b"
        + _W
        + r"\b(newsletter|verteiler|liste|werbung|e-?mails?|mailings?|werbemails?)\b",
        r"\babbestellen\b",
        r"\bmelden sie mich\b" + _W + r"\bab\b",
        r"\btragen sie mich\b" + _W + r"\baus\b",
        r"\b(streichen|nehmen|entfernen|loschen) sie mich\b" + _W + r"\b(aus|von)\b",
        r"\b(ich|wir) (mochte|mochten|will|wollen|wurde gerne|wurden gerne) (mich|uns)\b" + _W + r"\b(abmelden|austragen|abbestellen)\b",
        r"\bkeine\b[^.!?\n]{0,20}\b(newsletter|werbung|e-?mails?|mails|werbemails?|nachrichten|angebote|werbe-?e-?mails?)\b[^.!?\n]{0,20}\bmehr\b",
        r"\bnicht mehr\b[^.!?\n]{0,30}\b(erhalten|bekommen|zusenden|zuschicken|schicken|senden|kontaktieren|anschreiben|empfangen)\b",
        r"\b(loschen|entfernen)\b" + _W + r"\b(verteiler|liste|newsletter|mailingliste|e-?mail-?verteiler)\b",
        r"\bwiderspr\w*\b[^.!?\n]{0,60}\bwerb",
    ),
    "pt": (
        r"\bdescadastre-?me\b|\bdescadastrem-?me\b",
        r"\b(quero|gostaria de|desejo|preciso|favor|por favor,?)( me)? descadastr",
        r"\bdescadastr\w* (da|de|do) (sua |vossa |vosso )?(lista|newsletter|boletim|mailing)",
        r"\b(cancelar|cancele)\b[^.!?\n]{0,20}\b(inscricao|assinatura|subscricao)\b[^.!?\n]{0,30}\b(newsletter|boletim|lista|e-?mails?)",
        r"\b(remover|remova|removam|retirar|retire|excluir|exclua|tirar|tire|apagar|apague)(-me)?\b"
        + _W
        + r"\b(lista|listas|newsletter|boletim|mailing|base de dados)\b",
        r"\bnao (quero|desejo) (mais )?receber\b" + r"[^.!?\n]{0,30}\b" + _MAIL_PT + r"\b",
        r"\bparem de (me )?(enviar|mandar)\b",
        r"\bme (tirem|tire|removam|remova|excluam|exclua|retirem|retire|descadastrem|descadastre)\b",
        r"\bnao (quero|desejo) (mais )?receber (mais )?(nada|nenhum|nenhuma)\b",
        r"\b(quero|gostaria de|desejo|preciso) deixar de receber\b",
        r"\b(sair|me tirar|tirem-me) da (sua |vossa )?lista\b",
        r"\bcancelar (o )?(envio|recebimento)\b",
        r"\b(quero|queria|gostaria de|desejo|pretendo|preciso|solicito|favor|por favor,?)( me)? (cancelar|anular)"
        r" (a |minha |a minha )?(inscricao|subscricao)\b",
        r"\b(cancelem|cancele|anulem|anule) (a |minha |a minha )?(inscricao|subscricao)\b",
        r"\b(quero|queria|gostaria de|desejo|pretendo|preciso)( me)? (desinscrever|dessubscrever|desinscrever-me|sair)\b",
        r"\bdesinscrev(am|a|er)-?me\b",
    ),
    "nl": (
        r"\b(graag|svp|aub|a\.u\.b\.?|alstublieft|alsjeblieft)\b[^.!?\n]{0,20}\b(uitschrijven|afmelden)\b",
        r"\b(uitschrijven|afmelden)\b[^.!?\n]{0,20}\b(graag|svp|aub|a\.u\.b|alstublieft|alsjeblieft)\b",
        r"\b(schrijf|meld) (mij|me|ons) (\w+ ){0,4}?(uit|af)\b",
        r"\b(wil|wens|zou)( graag)? (mij|me|ons|mijzelf)\b[^.!?\n]{0,30}\b(uitschrijven|afmelden|uit te schrijven|af te melden)\b",
        r"\b(ik|wij|we) (wil|wens|willen|wensen)( graag)? (uitschrijven|afmelden|geen)\b",
        r"\b(verwijder|haal|schrap)( mij| me| ons| mijn (e-?mail)?adres)\b[^.!?\n]{0,40}"
        r"\b(lijst|bestand|mailinglijst|nieuwsbrief|verzendlijst)",
        r"\bniet (langer|meer)\b[^.!?\n]{0,30}\b(ontvangen|krijgen|mailen)\b",
        r"\b(wilt|kunt|kan|zou) (u|je|jij|jullie) (mij|me|ons)\b[^.!?\n]{0,40}\b(uitschrijven|afmelden|verwijderen)\b",
        r"(?<!niet )\b(afgemeld|uitgeschreven|verwijderd) (worden|te worden)\b",
        r"\bgeen\b[^.!?\n]{0,20}\b" + _MAIL_NL + r"\b[^.!?\n]{0,20}\bmeer\b",
        r"\b(stop|stopt|hou op) met (mij |me )?(mailen|e-?mailen|sturen|versturen)\b",
    ),
}

KEEP: dict[str, tuple[str, ...]] = {
    "en": (
        r"\b(do not|don't|dont|please don't|never|not) (unsubscribe|remove|delete|take off|opt out) (me|my|us|our)\b",
        r"\b(do not|don't|dont|not) (want|wish|trying|mean|meant|intend|asking|ask) (you )?to (unsubscribe|opt[- ]?out|be removed|"
        r"be unsubscribed|remove me)",
        r"\bkeep (me|us) (subscribed|on (the|your) (mailing )?list)",
        r"(?<!n't )(?<!not )\b(still|continue to) (want|wish|like) to (receive|get)\b",
        r"\b(re-?subscribe|subscribe me again|add me back|sign me (back )?up|put me back)\b",
        r"\b(accidentally|mistakenly|by mistake|by accident)\b[^.!?\n]{0,40}unsubscrib",
        r"unsubscrib\w*[^.!?\n]{0,30}\b(by mistake|by accident)\b",
    ),
    "fr": (
        r"\bne me (desabonnez|desinscrivez|retirez|supprimez) pas\b",
        r"\bn?e? ?(veux|souhaite|voulais|voulait|desire) pas (me |etre )?(desabonn|desinscri|retire|supprime)",
        r"(?<!ne plus )(?<!ne pas )\b(continuer a|toujours) recevoir\b",
        r"\bpar erreur\b[^.!?\n]{0,40}desabonn|desabonn\w*[^.!?\n]{0,30}\bpar erreur\b",
        r"\b(reabonnez|reinscrivez)[- ]moi\b",
    ),
    "es": (
        r"\bno me (den|des|dan|de) de baja\b",
        r"\bno (quiero|deseo) (darme|que me den|dar|la) de baja\b",
        r"\bno (quiero|deseo) (la )?baja\b",
        r"(?<!no )\b(quiero|deseo) (seguir|continuar) recibiendo\b",
        r"\bno (me )?(eliminen|borren|quiten|saquen)\b",
        r"\bpor error\b[^.!?\n]{0,40}\bbaja\b",
    ),
    "de": (
        r"\bnicht (abmelden|austragen|abbestellen|entfernen|loschen)\b",
        r"\bmelden sie mich (bitte )?nicht ab\b",
        r"\btragen sie mich (bitte )?nicht aus\b",
        r"\b(mochte|will|wollte)\b[^.!?\n]{0,30}\bnicht\b[^.!?\n]{0,20}\b(abgemeldet|ausgetragen|entfernt|geloscht)\b",
        r"(?<!nicht )\bweiterhin\b[^.!?\n]{0,30}\b(erhalten|bekommen|empfangen)\b",
        r"\bversehentlich\b[^.!?\n]{0,40}\b(abgemeldet|ausgetragen)\b",
    ),
    "pt": (
        r"\bnao (me )?(descadastre|descadastrem|remova|removam|exclua|excluam|tire|tirem)\b",
        r"\bnao (quero|desejo) (me )?(descadastrar|ser descadastrad|sair da lista|ser removid|cancelar a (inscricao|subscricao))",
        r"(?<!nao )\b(quero|desejo) (continuar|seguir) (a )?receb",
        r"\bpor engano\b[^.!?\n]{0,40}\bdescadastr",
    ),
    "nl": (
        r"\b(schrijf|meld) (mij|me|ons) (\w+ ){0,3}?niet (uit|af)\b",
        r"\b(wil|wens)( mij| me)? niet (uitgeschreven|afgemeld|verwijderd)\b",
        r"\bniet (uitschrijven|afmelden|verwijderen)\b",
        r"\b(blijven|wil graag) (\w+ ){0,3}?ontvangen\b",
        r"\bper ongeluk\b[^.!?\n]{0,40}\b(uitgeschreven|afgemeld)\b",
    ),
}

# A sentence that is nothing but an unsubscribe command, as people type it into a subject or a
# one-line body, and as list servers take it (Mailman, Sympa, LISTSERV: "unsubscribe <list>
# [address]", "signoff <list>"). Single words that are commands: unsubscribe (and its common
# misspellings, see MISSPELLED_UNSUBSCRIBE), unsub, signoff, opt out, remove, stop. Not
# commands: "cancel" (support@ reads it as the account), "leave" ("leave request"), "help".
# A word after the command is a list name unless it says what the subject is *about*
# ("unsubscribe confirmation", "unsubscribe link", "unsubscribe not working").
_NOT_A_LIST = (
    r"(confirm\w*|success\w*|complete\w*|done|processed|received|fail\w*|links?|buttons?|page|instructions?"
    r"|problems?|issues?|errors?|help|questions?|info|information|notices?|notification|policy|options?|process"
    r"|not|isn'?t|doesn'?t|does|didn'?t|working|broken|form|url|feature|settings|preferences|status|reminder"
    r"|report|test\w*|here|below|now|link:)"
)
_LIST_NAME = rf"(?!{_NOT_A_LIST}\b)[a-z0-9][\w.+-]*"
_ADDRESS = r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(\.[\w-]+)+"
COMMAND: dict[str, tuple[str, ...]] = {
    "en": (
        rf"^(please )?(unsubscribe|unsub|signoff|sign[- ]off|opt[- ]?out)( me)?( from)?( the| this| your| my)?( {_LIST_NAME})?"
        rf"( list| mailing list| newsletter| group)?( {_ADDRESS})?( please| now| asap| thanks| thank you)?$",
        r"^(please )?(remove|stop)( me)?( please| now)?$",
        r"^(please )?stop( all| these| your| the)? (e-?mails?|emails|newsletters?|mailings?|marketing( e-?mails?)?|spam|promotions?)"
        r"( please| now)?$",
    ),
    "fr": (r"^(stop,? )?(demande de )?(desabonnement|desinscription)( svp| s'il vous plait| merci)?$",),
    "es": (r"^(solicitud de )?baja( del boletin| de la lista)?$",),
    "de": (r"^(newsletter[- ])?(abmeldung|abbestellung)$", r"^(bitte )?(abmelden|austragen|abbestellen)( bitte)?$"),
    "pt": (
        r"^(por favor,? )?(descadastr\w*|desinscrever|cancelar (a )?(inscricao|subscricao))( por favor)?$",
        r"^(pedido de )?cancelamento (da|de) (minha )?(subscricao|inscricao)( por favor)?$",
    ),
    "nl": (
        r"^(graag |svp |aub )?(uitschrijven|afmelden|uitschrijving|afmelding)( nieuwsbrief)?"
        r"( graag| svp| aub| a\.u\.b\.?| alstublieft)?$",
    ),
}

# Misspellings of "unsubscribe" seen in real support inboxes; `fix_spelling` rewrites them
# (with -e/-ed/-es/-ing endings) to the right word before any phrase is matched.
MISSPELLED_UNSUBSCRIBE = re.compile(
    r"\bun(?:[- ]subscrib|subscrib(?=les?\b)|subcrib|suscrib|subscib|subscirb|subsrib|subscrip|subscrb|subsrcib|subscrieb|sbscrib|subscriv)"
    r"(?P<end>e|es|ed|ing|le|les)\b"
)

# Misspellings of the other languages' opt-out words (folded), written right before matching:
# a missing letter, a doubled one, a letter swapped ("descadastar", "desabonez", "uitschijven").
MISSPELLED_OTHER: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), r)
    for p, r in (
        (r"\bdescad(?:astar|rastar)", "descadastrar"),
        (r"\bdesabon(?=e[rz]\b|ement\b)", "desabonn"),
        (r"\bdes(?:inscrib|ubscrib|subscrib)(?=ir|irme|irnos|ame|anme)", "desuscrib"),
        (r"\bde (?:vaja|bja|baj)\b", "de baja"),
        (r"\babbestelen\b", "abbestellen"),
        (r"\babmelen\b", "abmelden"),
        (r"\buit(?:schijven|schrijfen|schirjven|schrjiven|shrijven)\b", "uitschrijven"),
        (r"\baf(?:melen|meldne)\b", "afmelden"),
        (r"\b(in|sub)scr?i[cs]?s?[ao]o\b", r"\1scricao"),
    )
)

# Sentences that tell the *reader* how to unsubscribe: newsletter and list footers, a list
# server's notices. Looked for in relayed and bulk mail only (List-*, Precedence headers).
# They are never a request; with an opt-out word they only count as a mention. Those
# anchored at the start ("To unsubscribe…", "If you no longer wish…") hold whoever writes
# them; the others give way to a first-person sentence ("I clicked here…").
INSTRUCTION_LEAD: dict[str, tuple[str, ...]] = {
    "en": (
        r"^to (unsubscribe|unsub|opt[- ]?out|stop receiving|be removed|remove yourself|leave|manage|update|change|cancel)\b",
        r"^if you (?!(do not|don't|dont) mind\b)(no longer|do not|don't|dont|would (like|prefer|rather)|'d (like|prefer|rather)"
        r"|prefer|wish|want|would no longer"
        r"|'d no longer|are not|aren't|received this)\b",
        r"^(don't|do not|no longer|not|want|wish|prefer|tired of|too many|rather|receiving|getting)\b.*\?$",
        r"^are you sure\b",
    ),
    "fr": (
        r"^pour (vous |ne plus |se |ne pas )?(desabonner|desinscrire|recevoir|ne plus|gerer|modifier|etre retire)",
        r"^si vous (ne )?(souhaitez|voulez|desirez)( ne)? (plus|pas|vous desabonner|vous desinscrire)\b",
        r"^(vous recevez|vous avez recu|vous etes inscrit|se desinscrire|desinscription|desabonnement) .*(https?://|mailto:|<|\bici\b|lien)",
        r"^vous ne (souhaitez|voulez|desirez) plus\b",
        r"^se (desinscrire|desabonner)\b",
        r"^etes-vous (sur|sure|certain)\b",
        r"^(plus envie|trop de|pas interesse)\b.*\?$",
    ),
    "es": (
        r"^para (darte|darse|darle|dar|darnos|cancelar|anular|dejar|no recibir|desuscribirte|desuscribirse|gestionar)\b",
        r"^si (ya )?no (deseas|desea|quieres|quiere|desean|quiere seguir|deseas seguir)\b",
        r"^si (desea|deseas|quiere|quieres|prefiere|prefieres) (darse|darte|dejar|cancelar|no recibir|desuscribir)",
        r"^(usted |tu )?(recibe|recibes|ha recibido|has recibido|esta recibiendo|estas recibiendo) (este|esta)\b",
        r"^(ya )?no (quieres|desea|deseas|quiere|desean|quieren)\b.*\?$",
        r"^(demasiados|no te interesa|no le interesa)\b.*\?$",
        r"^darse de baja\b",
        r"^(estas|esta usted|esta) (seguro|segura)\b",
    ),
    "de": (
        r"^(um|zum) (sich |den newsletter |ihn )?(abzumelden|abbestellen|abmelden|austragen|abzubestellen)",
        r"^(wenn|falls) (sie|du)\b(?![^\n]*\b(mich|mir)\b)",
        r"^(sie|du) (erhalten|erhaltst|bekommen|bekommst|konnen|kannst) (diese|diesen|den|unseren|unsere|sich|dich|jederzeit)\b",
        r"^(sie|du) (mochten|mochtest|wollen|willst) (keine|nicht|unsere|unseren|den|diese)\b",
        r"^(keine lust|zu viele|kein interesse|keine e-?mails mehr)\b.*\?$",
        r"^(sind sie|bist du) sicher\b",
    ),
    "pt": (
        r"^para (se |voce se |nao |deixar de |cancelar a )?(descadastrar|cancelar|sair|receber|deixar|desinscrever|subscricao|inscricao)",
        r"^se (voce )?(ja )?(nao quiser|nao deseja|nao desejar|nao quer|nao pretende|preferir|deseja cancelar|quiser cancelar)\b",
        r"^caso (voce )?(nao|queira|deseje|prefira)\b",
        r"^(voce )?(recebeu|esta recebendo|recebe) (esta|este)\b",
        r"^(voce )?(ja )?nao (quer|deseja|pretende)\b.*\?$",
        r"^(muitos e-?mails|sem interesse)\b.*\?$",
        r"^(voce )?tem certeza\b",
    ),
    "nl": (
        r"^(wil|wilt) (u|je) (geen|niet|deze|onze|zich|je|liever)\b",
        r"^(als|indien|wanneer) (u|je|jij) (geen|niet|deze|onze|zich|je|liever|zich wilt|wilt|wil)\b",
        r"^om (je|u|zich) (af te melden|uit te schrijven|niet)",
        r"^(u|je) (ontvangt|ontvang|kunt|kan) (deze|dit|deze e-?mail|zich|je|u)\b",
        r"^(afmelden|uitschrijven|uitschrijving)\b.*(https?://|mailto:|<|\bhier\b|\bklik)",
        r"^(geen|niet langer|te veel|wil je geen|wilt u geen)\b.*\?$",
        r"^weet (u|je) (het )?zeker\b",
    ),
}
INSTRUCTION_ANYWHERE: dict[str, tuple[str, ...]] = {
    "en": (
        r"https?://|\bwww\.|\bmailto:",
        r"\b(click|tap|press|follow|visit|use)\b[^.!?\n]{0,40}\b(unsubscribe|opt[- ]?out|link|here|below|button)\b",
        r"\byou (can|may|will be able to|could|are able to|will)( always| also| at any time)?"
        r" (unsubscribe|opt[- ]?out|update|manage|change|stop)\b",
        r"\byou('ve| have| had)? (asked|requested|chose|decided|been (unsubscribed|removed)|are (now )?(unsubscribed|removed))\b",
        r"\b(yourself|your request|your (e-?mail )?preferences|your settings)\b",
        r"\bunsubscribe (here|now|below|anytime|at any time|instantly|by clicking|using|via|with one click|online)\b",
        r"\b(update|manage|change|edit) (your |my )?(e-?mail )?(preferences|subscriptions?)\b"
        r"|\bview (it |this (e-?mail )?)?(in (your |a )?browser|online)\b",
    ),
    "fr": (
        r"\b(cliquez|cliquer|cliquant)\b",
        r"\bvous (pouvez|pourrez)( a tout moment)? (vous )?(desabonner|desinscrire)",
        r"\b(desabonnez|desinscrivez)-vous\b",
    ),
    "es": (
        r"\b(haz|haga|pulsa|pulse|hacer) clic\b",
        r"\b(puedes darte|puede darse|puedes cancelar|puede cancelar)\b",
        r"\b(date|dese|darse|darte) de baja (aqui|en|haciendo|desde|pulsando)\b",
    ),
    "de": (
        r"\b(klicken sie|hier klicken|klicke|klick)\b",
        r"\b(konnen|konnen sie) sich\b[^.!?\n]{0,30}\b(abmelden|austragen)",
        r"\bhier (abmelden|abbestellen|austragen)\b",
    ),
    "pt": (
        r"\b(clique|clicar|clicando)\b",
        r"\b(pode|podera|podes) (se )?(descadastr|cancelar a (inscricao|subscricao))",
        r"\bdescadastre-se\b",
    ),
    "nl": (
        r"\b(klik|klikt|klikken|klikkend)\b",
        r"\b(u|je) (kunt|kan)( zich| je| u)?( altijd| op elk moment)? (afmelden|uitschrijven)",
        r"\b(meld|schrijf) (je|u|jezelf|uzelf) (hier |direct |eenvoudig )?(af|uit)\b",
    ),
}
# French "je" before what only a French writer puts after it: Dutch "je" is "you" ("Wil je geen
# e-mails meer ontvangen?").
_JE = r"\bje (ne|n'|me|m'|vous|suis|veux|voudrais|souhaite|souhaiterais|desire|demande|recois|continue|viens|vais|peux|l'|le|la|les|ai)\b"
# A bar of links, as footers print them in plain text ("Darme de baja de esta lista [https://…] |
# Actualizar mis datos [https://…]"): link words in the first person are still the sender's.
LINK_BAR = re.compile(r"(https?://[^\s|]*|[\]>)])\s*\|\s*\S")
# First person singular: such a sentence is the writer's own, not a footer's instruction.
FIRST_PERSON = (
    r"\b(i|i'm|i've|im|me|my|mine|j'|moi|mon|ma|mes|yo|mi|mis|ich|mich|mir|mein\w*|eu|meu|minha|meus|minhas|ik|mij|mijn"
    r"|quiero|deseo|solicito|quisiera|necesito|pido|quero|queria|gostaria|desejo|preciso|peco|mochte)\b|\bm'|" + _JE
)
# The writer as the subject ("I", "je", "ich", "yo", "eu", "ik", or a verb only the writer
# says): in mail sent to us directly, a conditional such as "If you don't stop sending me
# newsletters I will report you" is then the writer's, not a footer's.
FIRST_PERSON_SUBJECT = (
    r"\b(i|i'm|i've|im|j'|yo|ich|eu|ik|quiero|deseo|solicito|quisiera|necesito|quero|queria|gostaria|desejo|preciso|mochte)\b|" + _JE
)
# A greeting or a courtesy that may stand around a bare command ("Hi,\n\nunsubscribe\n\nJane").
GREETING_LINE = (
    r"^((hi|hello|hey|dear|good (morning|afternoon|evening)|greetings|bonjour|salut|hola|buenos dias|buenas"
    r"|hallo|guten (tag|morgen)|liebe|lieber|sehr geehrte\w*|ola|oi|bom dia|boa tarde|goedemorgen|goedemiddag|beste|geachte)\b"
    r"[^.!?\n]{0,40}"
    r"|please|pls|thanks|thank you|thx|merci|gracias|danke|obrigad[oa]|bedankt|dank u( wel)?|dank je( wel)?|ok)$"
)

# Addresses of list servers' robots: named in a command ("send unsubscribe to
# users-request@…") they are not a person to opt out.
LIST_ROBOT = re.compile(
    r"(?i)^[^@]*-(request|leave|unsubscribe|subscribe|join|owner|bounces|admin)(\+[^@]*)?@|\+unsubscribe@"
    r"|^(majordomo|listserv|sympa|mailman|listproc|ezmlm|owner-[^@]*)@"
)
# A list server's own mail (digests, confirmations, notices): never a person's request when
# it comes in bulk. Narrower than LIST_ROBOT: a person may well be "it-admin@…".
LIST_SERVER_SENDER = re.compile(
    r"(?i)^[^@]*-(request|bounces|confirm)(\+[^@]*)?@|^(majordomo|listserv|sympa|mailman|listproc|ezmlm)@|^owner-"
)
# A mailing list's footer appended below the writer's text: a line of underscores followed
# by the list's name and address (Mailman), or Google Groups' "You received this message…".
LIST_FOOTER_RULE = re.compile(r"^_{10,}\s*$")
LIST_FOOTER_NEXT = re.compile(r"(?i)(mailing list|listinfo|to unsubscribe|unsubscribe|list-id|https?://)")
# Only Google Groups' exact words: a person may well begin a line "To unsubscribe from this list…".
LIST_FOOTER_START = re.compile(r"(?i)^you received this (message|email|e-mail) because you are subscribed to\b")

# A question about what an opt-out would do ("will unsubscribing also stop my invoices?") is
# not a request: a sentence ending in "?" with one of these words only counts as a mention.
HEDGE = r"\b(also|still|too|affect|aussi|encore|toujours|tambien|todavia|aun|auch|noch|weiterhin|ainda|tambem|ook|nog)\b"

# Words that show the topic came up without a clear request: the message goes to review.
MENTION = (
    r"unsubscri|\bopt[- ]?out\b|\bremove me\b|desabonn|desinscri|\bde baja\b|desuscri|abmeld|abbestell"
    r"|austrag|descadastr|desinscrev|\bnewsletter\b.{0,30}\b(stop|cancel|remove|no more)|uitschrijv|afmeld|\bbaja\b"
    r"|cancelar a (inscricao|subscricao)"
)
# An instruction that speaks of receiving mail ("Se não deseja mais receber os nossos e-mails,
# clique aqui") is about unsubscribing even without the word: a footer.
RECEIVING = r"\b(receive|receiving|recevoir|recibir|seguir recibiendo|erhalten|bekommen|empfangen|receber|ontvangen|krijgen)\b"
# Cancelling the account is cancel@'s job; a support@ message asking for it goes to review.
CANCEL_ACCOUNT = (
    r"\b(cancel|close|terminate|delete)\b[^.!?\n]{0,30}\b(account|hosting|plan|service|subscription)\b"
    r"|\b(resilier|fermer|supprimer)\b[^.!?\n]{0,30}\b(compte|abonnement|hebergement)\b"
    r"|\b(cancelar|cerrar|dar de baja)\b[^.!?\n]{0,30}\b(cuenta|hosting|plan|servicio)\b"
    r"|\b(kundigen|kundigung|schliessen|loschen)\b[^.!?\n]{0,30}\b(konto|vertrag|hosting|paket)\b"
    r"|\b(konto|vertrag|hosting|paket)\b[^.!?\n]{0,30}\b(kundigen|kundigung|schliessen|loschen)\b"
    r"|\b(cancelar|encerrar|fechar)\b[^.!?\n]{0,30}\b(conta|hospedagem|plano|servico)\b"
    r"|\b(opzeggen|beeindigen|sluiten|verwijderen|opheffen)\b[^.!?\n]{0,30}\b(account|hosting|pakket|contract|abonnement)\b"
    r"|\b(account|hosting|pakket|contract|abonnement)\b[^.!?\n]{0,30}\b(opzeggen|beeindigen|sluiten|opheffen)\b"
)

# ---------------------------------------------------------------- structure of replies
# Matched against the raw line (case-insensitive), not the folded text.
ATTRIBUTION = re.compile(r"(?i)\b(wrote|a [ée]crit|escribi[óo]|schrieb|escreveu|geschreven|schreef)\s*:\s*$")
ORIGINAL_MESSAGE = re.compile(
    r"(?i)^-{2,}\s*(original message|ursprüngliche nachricht|urspr.ngliche nachricht|message d'origine"
    r"|mensaje original|mensagem original|original-nachricht|oorspronkelijk bericht|origineel bericht)\s*-{2,}"
)
FORWARD_MARKER = re.compile(
    r"(?i)^(-{2,}\s*(forwarded message|message transf[ée]r[ée]|mensaje reenviado|weitergeleitete nachricht"
    r"|mensagem encaminhada|mensagem reencaminhada|doorgestuurd bericht|forwarded by)[^\n]*"
    r"|begin forwarded message\s*:|d[ée]but du message r[ée]exp[ée]di[ée]\s*:|inicio del mensaje reenviado\s*:"
    r"|anfang der weitergeleiteten nachricht\s*:|begin doorgestuurd bericht\s*:|in[íi]cio da mensagem (re)?encaminhada\s*:)"
)
HEADER_BLOCK_FROM = re.compile(r"(?i)^\*?(from|de|von|van|da)\s*:\*?\s*\S")
HEADER_BLOCK_NEXT = re.compile(
    r"(?i)^\*?(sent|date|envoy[ée]|gesendet|datum|enviado|enviado el|fecha|data|to|[àa]|an|para|subject|objet|betreff|asunto|assunto"
    r"|verzonden|aan|onderwerp)\s*:"
)
SIGN_OFF = re.compile(
    r"(?i)((best|kind|warm|many)\s+)?(regards|wishes|thanks)[,.!]?|thank you[,.!]?|thanks( a lot| again)?[,.!]?|cheers[,.!]?"
    r"|sincerely( yours)?[,.]?|best[,.]?|yours( truly| sincerely)?[,.]?"
    r"|cordialement[,.]?|bien (a|à) vous[,.]?|salutations( distinguées)?[,.]?|merci[,.!]?|bonne journ[ée]e[,.!]?"
    r"|(un )?saludos?( cordiales)?[,.]?|atentamente[,.]?|gracias[,.!]?|un abrazo[,.]?"
    r"|mit freundlichen gr(ü|ue)(ß|ss)en[,.]?|(viele|beste|liebe|freundliche) gr(ü|ue)(ß|ss)e[,.]?|lg[,.]?|vg[,.]?|danke[,.!]?"
    r"|atenciosamente[,.]?|abra(ç|c)os?[,.]?|obrigad[oa][,.!]?|cumprimentos[,.]?|att[,.]?"
    r"|met vriendelijke groet(en)?[,.]?|(hartelijke |vriendelijke )?groet(en|jes)?[,.]?|mvg[,.]?|(alvast )?bedankt[,.!]?"
    r"|sent from my \w+.*|envoy[ée] de mon \w+.*|von meinem \w+ gesendet.*|enviado desde mi \w+.*|enviado do meu \w+.*"
    r"|verzonden (vanaf|met) mijn \w+.*"
    r"|get outlook for \w+.*"
)
DISCLAIMER_START = re.compile(
    r"(?i)^(\W*(confidentiality notice|confidential|disclaimer|legal notice|avis de confidentialit[ée]|aviso legal"
    r"|aviso de confidencialidad|haftungsausschluss|vertraulichkeitshinweis|aviso de confidencialidade)\b"
    r"|this (e-?mail|message|communication)( and any (attachments?|files)( transmitted with it)?)? (is|are|may|contains?)"
    r"|if you (are not|have received this)|ce (message|courriel|mail)( et ses pi[èe]ces jointes)? (est|sont|peut|contient)"
    r"|este (mensaje|correo)( y sus anexos)? (es|puede|contiene)|diese (e-?mail|nachricht) (enth[äa]lt|ist|kann)"
    r"|esta mensagem( e seus anexos)? (é|e|pode|cont[ée]m)|dit (e-?mail)?bericht( en eventuele bijlagen)? (is|kan|bevat))"
)

# ------------------------------------------------------------------- automatic mail
AUTO_SUBJECT = re.compile(
    r"(?i)^(auto(matic)?[ -]?(reply|response|answer)|auto:|autoreply|out of (the )?office|ooo\b|i am (currently )?out of"
    r"|abwesenheitsnotiz|automatische antwort|abwesend|r[ée]ponse automatique|absence|absent[e]?\b"
    r"|respuesta autom[áa]tica|fuera de la oficina|ausente|resposta autom[áa]tica|fora do escrit[óo]rio"
    r"|aus dem b[üu]ro|vacation|on vacation|on leave|away from (the )?office|automatisch antwoord|afwezig|niet aanwezig"
    r"|buiten kantoor|afwezigheidsbericht)"
)
DSN_SUBJECT = re.compile(
    r"(?i)(undeliver|undelivered|delivery (status )?notification|delivery fail|failure notice|returned mail"
    r"|mail delivery (failed|failure|system|subsystem)|could not be delivered|non[- ]?delivery|delivery has failed"
    r"|delivery problem|unzustellbar|onbestelbaar|niet bezorgd|nicht zustellbar|non remis|no se pudo entregar|n[ãa]o entregue"
    r"|mail system error"
    r"|could not send message|delayed mail|delivery delay|returned to sender|message not delivered|rejected:?"
    r"|undeliverable|failed delivery|mail failure|delivery report|warning: message|bounce|mail not delivered"
    r"|permanent error|temporary failure|error sending message|nondeliverable|エラー|不達|配信不能|返送)"
)
DSN_SENDERS = re.compile(
    r"(?i)^(mailer-daemon|mailer_daemon|maildaemon|mail-daemon|postmaster|post_master|mdaemon|mailerdaemon|bounce|bounces"
    r"|mail-delivery|mail_delivery|nobody|mdaemon)@|^(mailer-daemon|postmaster)$"
)
DSN_LIST_ADMIN = re.compile(r"(?i)^[^@]*-(admin|owner|request|errors?)@|^owner-")
NO_REPLY = re.compile(r"(?i)^(no-?reply|do-?not-?reply|noreply)[^@]*@")
ESP_NOTIFIER = re.compile(r"(?i)@sns\.amazonaws\.com$")
DSN_DISPLAY_NAMES = re.compile(r"(?i)mail delivery (subsystem|system|service)|mailer[- ]daemon|postmaster")


INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u2060\ufeff]")  # soft hyphen, zero-width and direction marks


def fold(text: str) -> str:
    """Lower case, accents and ß folded, curly quotes straightened, invisible characters
    (soft hyphens, zero-width spaces: "uit\u00adschrijven", "ab\u200bmelden") dropped,
    whitespace collapsed."""
    text = text.replace("’", "'").replace("‘", "'").replace("ß", "ss").lower()
    if not text.isascii():
        text = INVISIBLE.sub("", text)
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return re.sub(r"[ \t\u00a0]+", " ", text)


def fix_spelling(folded: str) -> str:
    """Folded text with the common misspellings of "unsubscribe" (and of the other
    languages' opt-out words) written right."""
    if "un" in folded:
        folded = MISSPELLED_UNSUBSCRIBE.sub(lambda m: "unsubscrib" + {"le": "e", "les": "es"}.get(m["end"], m["end"]), folded)
    for pattern, right in MISSPELLED_OTHER:
        folded = pattern.sub(right, folded)
    return folded


def _compile(table: dict[str, tuple[str, ...]]) -> dict[str, tuple[re.Pattern[str], ...]]:
    return {lang: tuple(re.compile(p) for p in patterns) for lang, patterns in table.items()}


OPTOUT_RE = _compile(OPTOUT)
COMMAND_RE = _compile(COMMAND)
INSTRUCTION_LEAD_RE = _compile(INSTRUCTION_LEAD)
INSTRUCTION_ANYWHERE_RE = _compile(INSTRUCTION_ANYWHERE)
FIRST_PERSON_RE = re.compile(FIRST_PERSON)
FIRST_PERSON_SUBJECT_RE = re.compile(FIRST_PERSON_SUBJECT)
GREETING_LINE_RE = re.compile(GREETING_LINE)
KEEP_RE = _compile(KEEP)
MENTION_RE = re.compile(MENTION)
RECEIVING_RE = re.compile(RECEIVING)
HEDGE_RE = re.compile(HEDGE)
CANCEL_ACCOUNT_RE = re.compile(CANCEL_ACCOUNT)
