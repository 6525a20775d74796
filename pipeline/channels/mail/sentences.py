"""Reading the sender's own text sentence by sentence (SPEC §2.2): what each sentence says
(a request, a refusal, a mention, a footer's instruction...), which paragraphs are a list's or a
newsletter's footer, and what the subject and body ask for taken together."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache

from pipeline.channels.mail import phrases as P

ADDRESS_IN_TEXT = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n")
NAME_LINE = re.compile(r"[^\W\d_][\w.'-]*( [^\W\d_][\w.'-]*){0,3}")  # "Jane", "J. Roe": a signature without a sign-off


@dataclass
class TextFindings:
    optout: list[tuple[str, str, str]] = field(default_factory=list)  # (language, phrase, sentence)
    keep: list[tuple[str, str, str]] = field(default_factory=list)
    mention: list[str] = field(default_factory=list)
    cancel_account: list[str] = field(default_factory=list)
    named: list[str] = field(default_factory=list)  # addresses in paragraphs that ask to opt out
    demoted: list[str] = field(default_factory=list)  # bare commands that the rest of relayed mail leaves in doubt
    footer: list[str] = field(default_factory=list)  # a relaying list's or a newsletter's instructions


@dataclass(frozen=True)
class Sentence:
    """One sentence of the subject or own text and what it says: empty, greeting, address,
    name, command, optout, keep, mention, instruction, or other."""

    text: str
    kind: str
    hit: tuple[str, str] = ("", "")  # (language, matched phrase) for command, optout, keep
    cancel: bool = False  # asks to cancel the account
    topic: bool = False  # speaks of unsubscribing (an instruction may not: "Don't want these?")
    personal: bool = False  # in the first person singular ("remove me", "I want to…")


QUIET = frozenset({"empty", "greeting", "address"})  # what may stand around a bare command


def _first(table: dict[str, tuple[re.Pattern[str], ...]], sentence: str) -> tuple[str, str] | None:
    for lang in P.LANGUAGES:
        for pattern in table[lang]:
            m = pattern.search(sentence)
            if m:
                return lang, m.group(0)
    return None


def _is_instruction(s: str, *, relayed: bool) -> bool:
    """Tells the reader how to unsubscribe (a footer, a list server's notice). One anchored
    at the start ("If you no longer wish…") holds whoever writes it in relayed mail; in mail
    sent to us directly it gives way to a writer who says "I" ("If you don't stop sending me
    newsletters I will report you"). One elsewhere in the sentence gives way to any first
    person ("I clicked here to unsubscribe…"). A bar of links ("… [https://…] | …") is a
    footer's whatever its words."""
    if P.LINK_BAR.search(s):
        return True
    if _first(P.INSTRUCTION_LEAD_RE, s):
        return relayed or not P.FIRST_PERSON_SUBJECT_RE.search(s)
    return bool(_first(P.INSTRUCTION_ANYWHERE_RE, s)) and not P.FIRST_PERSON_RE.search(s)


# Mail repeats itself (greetings, sign-offs, "unsubscribe me", quoted footers): a sentence is
# read once and remembered, a `Sentence` being immutable and a reading about 180 pattern searches.
SENTENCES_REMEMBERED = 1 << 14
REMEMBERED_LENGTH = 300  # longer sentences are rarely repeated, and would hold memory


def read_sentence(sentence: str, *, relayed: bool = False) -> Sentence:
    """What one sentence says: see `_read_sentence`."""
    if len(sentence) <= REMEMBERED_LENGTH:
        return _remembered(sentence, relayed)
    return _read_sentence(sentence, relayed)


def _read_sentence(sentence: str, relayed: bool) -> Sentence:
    """What one sentence says. A KEEP phrase wins over an opt-out phrase; a question about
    what an opt-out would do is only a mention. An instruction to the reader ("To
    unsubscribe, click here", "Wenn Sie … nicht mehr …", "Pour ne plus recevoir…") is a
    footer's, never a request, in relayed mail and in mail sent to us directly alike (spam
    comes straight to support@); `_is_instruction` says who may still speak in one."""
    written = sentence.strip()
    folded = P.fix_spelling(P.fold(sentence)).strip()
    s = folded.strip(" .!?,;:-*\"'()¿¡")
    if not s:
        return Sentence(written, "empty")
    optout = _first(P.OPTOUT_RE, s)
    command = None if optout else _first(P.COMMAND_RE, s)  # a request in words counts anywhere: it goes first
    topic = bool(optout or command or P.MENTION_RE.search(s))
    if folded.endswith("?") and P.HEDGE_RE.search(s):
        return Sentence(written, "mention" if topic else "other")
    keep = _first(P.KEEP_RE, s)
    if keep:
        return Sentence(written, "keep", keep)
    cancel = bool(P.CANCEL_ACCOUNT_RE.search(s))
    if _is_instruction(s + "?" if folded.endswith("?") else s, relayed=relayed):
        return Sentence(written, "instruction", cancel=cancel, topic=topic or bool(P.RECEIVING_RE.search(s)))
    hit = optout or command
    if hit:
        return Sentence(written, "optout" if optout else "command", hit, cancel, topic, bool(P.FIRST_PERSON_RE.search(s)))
    if topic:
        return Sentence(written, "mention", cancel=cancel)
    if P.GREETING_LINE_RE.match(s):
        return Sentence(written, "greeting")
    if ADDRESS_IN_TEXT.fullmatch(s):
        return Sentence(written, "address")
    if NAME_LINE.fullmatch(written):
        return Sentence(written, "name", cancel=cancel)
    return Sentence(written, "other", cancel=cancel)


@dataclass(frozen=True)
class Body:
    """The own text's paragraphs, read; and how much of it is more than a bare command."""

    paragraphs: list[tuple[str, list[Sentence]]]
    footer: frozenset[int]  # paragraphs that are a relaying list's or a newsletter's footer
    quiet: bool  # nothing but greetings, addresses and a name
    only_commands: bool  # bare commands with nothing but greetings, addresses and a name around them


_remembered = lru_cache(maxsize=SENTENCES_REMEMBERED)(_read_sentence)


def _is_footer(sentences: list[Sentence]) -> bool:
    """A paragraph that tells the reader how to unsubscribe, or a command word standing next
    to an instruction ("Don't want these? Unsubscribe."): a footer and its link."""
    instructions = [s for s in sentences if s.kind == "instruction"]
    return any(s.topic for s in instructions) or (bool(instructions) and any(s.kind == "command" for s in sentences))


def read_in(text: str, *, relayed: bool, bulk: bool) -> list[Sentence]:
    """The sentences of a paragraph. In bulk mail an impersonal request ("Unsubscribe from
    this newsletter", a newsletter's link words as often as a person's) weighs as a command."""
    sentences = [read_sentence(x, relayed=relayed) for x in SENTENCE.split(text)]
    return [replace(s, kind="command") if bulk and s.kind == "optout" and not s.personal else s for s in sentences]


def read_body(paragraphs: list[str], *, relayed: bool, bulk: bool = False) -> Body:
    read = [(p, read_in(p, relayed=relayed, bulk=bulk)) for p in paragraphs]
    footer = frozenset(i for i, (_, ss) in enumerate(read) if _is_footer(ss))
    said = [s for i, (_, ss) in enumerate(read) if i not in footer for s in ss if s.kind != "empty"]
    if said and said[-1].kind == "name":  # "Hi,\n\nunsubscribe\n\nJane": a signature without a sign-off
        said = said[:-1]
    quiet = all(s.kind in QUIET for s in said)
    only_commands = any(s.kind == "command" for s in said) and all(s.kind in QUIET or s.kind == "command" for s in said)
    return Body(read, footer, quiet, only_commands)


def analyse_text(subject: str, paragraphs: list[str], *, replied: bool = False, relayed: bool = False, bulk: bool = False) -> TextFindings:
    """Sentence by sentence over the subject and the own text's paragraphs.

    A bare command ("unsubscribe", "unsubscribe users me@x") counts wherever it stands in mail
    a person sent us directly. In relayed mail (a list, a group alias, bulk mail) a list's
    footer paragraphs are set aside, and a bare command in the body counts only when it is all
    the body says (newsletters end in "Don't want these? Unsubscribe"); a command subject of
    bulk mail likewise needs a body that says nothing else, and there a request that names
    no person ("Unsubscribe from this newsletter") weighs as a command. Commands in doubt go
    to review.
    A reply's or forward's subject is someone else's, unless the body is empty or only a
    command: then "Re: unsubscribe" is the person's own subject-only request."""
    body = read_body(paragraphs, relayed=relayed, bulk=bulk)
    found = TextFindings()
    if subject and (not replied or body.quiet or body.only_commands):
        sentences = read_in(subject, relayed=relayed, bulk=bulk)
        if replied:  # someone else's subject: only a request (or its refusal) can be the person's
            sentences = [s for s in sentences if s.kind in ("optout", "command", "keep")]
        _collect(found, subject, sentences, commands_count=not bulk or body.quiet or body.only_commands, relayed=relayed)
    for i, (paragraph, sentences) in enumerate(body.paragraphs):
        if i in body.footer:
            found.footer.extend(s.text for s in sentences if s.kind == "instruction" and s.topic)
            sentences = [s for s in sentences if s.kind not in ("instruction", "command")]
        _collect(found, paragraph, sentences, commands_count=not relayed or body.only_commands, relayed=relayed)
    return found


def _collect(found: TextFindings, paragraph: str, sentences: list[Sentence], *, commands_count: bool, relayed: bool) -> None:
    asks = False
    for s in sentences:
        command = s.kind == "command" and not (relayed and s.text.endswith("?"))
        if s.kind == "keep":
            found.keep.append((*s.hit, s.text))
        elif s.kind == "optout" or (command and commands_count):
            found.optout.append((*s.hit, s.text))
            asks = True
        elif command:
            found.demoted.append(s.text)
        elif s.kind in ("mention", "command") or (s.kind == "instruction" and s.topic):
            found.mention.append(s.text)
        if s.cancel:
            found.cancel_account.append(s.text)
    if asks:
        found.named.extend(ADDRESS_IN_TEXT.findall(paragraph))
