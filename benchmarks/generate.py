"""Synthetic recipient lists and suppression keys with a realistic address mix (SPEC §9).

Most addresses are plain ASCII at big providers and company domains; a few percent carry
`+tags`, capitals, googlemail, surrounding spaces or a display name; a small share is
non-ASCII (IDN domains, Unicode local parts) or invalid. Deterministic for a given seed.
"""
from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from pathlib import Path

FIRST = ["john", "mary", "ana", "li", "omar", "sofia", "jean", "peter", "fatima", "lukas", "emma", "noah",
         "olivia", "liam", "mia", "lucas", "chen", "ivan", "sara", "tom"]
LAST = ["smith", "garcia", "muller", "rossi", "dubois", "silva", "kowalski", "tanaka", "nguyen", "brown",
        "jones", "lee", "martin", "novak", "olsen", "costa", "khan", "ward", "reyes", "fox"]
PROVIDERS = ["gmail.com"] * 30 + ["yahoo.com"] * 8 + ["hotmail.com"] * 6 + ["outlook.com"] * 6 + \
    ["googlemail.com", "icloud.com", "aol.com", "gmx.de", "web.de", "orange.fr", "live.co.uk", "proton.me"]
NON_ASCII = ["josé.garcía@correo.es", "müller@münchen.de", "用户@例子.广告", "ñandú@xn--andu-lra.com",
             "zoë@ëxample.nl", "pelé@futebol.com.br", "jürgen@bücher.de", "δοκιμή@παράδειγμα.δοκιμή"]
INVALID = ["", "not an address", "john.smith@", "@example.com", "a..b@example.com", "x@y", "n/a",
           "john@@example.com", "john smith@example.com", "bob@localhost", "alice@example..com"]
COUNTRIES = ["US", "GB", "DE", "FR", "ES", "BR", "JP", "IN", "CA", "AU"]


def _plain(rng: random.Random, i: int) -> str:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    local = rng.choice([f"{first}.{last}", f"{first}{last}", f"{first[0]}{last}", f"{first}_{last}"]) + str(i)
    domain = rng.choice(PROVIDERS) if rng.random() < 0.7 else f"{rng.choice(LAST)}-{i % 50_000}.com"
    return f"{local}@{domain}"


IDN_SHARE = 0.004  # the default share of internationalised addresses (IDN domains, Unicode local parts)


def address(rng: random.Random, i: int, idn_share: float = IDN_SHARE) -> str:
    """One recipient address, mostly clean, sometimes dressed up, rarely (`idn_share`) non-ASCII
    or invalid (0.4 %)."""
    r = rng.random()
    if r < idn_share:
        return rng.choice(NON_ASCII).replace("@", f"{i}@", 1)
    if r < idn_share + 0.004:
        return rng.choice(INVALID)
    a = _plain(rng, i)
    r = rng.random()
    if r < 0.03:
        local, domain = a.split("@")
        a = f"{local}+{rng.choice(['news', 'shop', 'x1'])}@{domain}"
    elif r < 0.06:
        a = a.title() if rng.random() < 0.5 else a.upper()
    elif r < 0.07:
        a = f"  {a} "
    elif r < 0.075:
        a = f"{rng.choice(FIRST).title()} {rng.choice(LAST).title()} <{a}>"
    return a


def recipients(rows: int, seed: int = 5, idn_share: float = IDN_SHARE) -> Iterator[list[str]]:
    """Rows of a recipient list: id, email, first and last name, country, signup date."""
    rng = random.Random(seed)  # addresses only, so suppressed_addresses can replay them
    other = random.Random(seed + 100)
    for i in range(rows):
        yield [str(i), address(rng, i, idn_share), other.choice(FIRST).title(), other.choice(LAST).title(),
               other.choice(COUNTRIES), f"20{other.randrange(10, 26)}-{other.randrange(1, 13):02d}-{other.randrange(1, 29):02d}"]


def write_recipients(path: Path, rows: int, seed: int = 5, idn_share: float = IDN_SHARE) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(["id", "email", "first_name", "last_name", "country", "signup_date"])
        out.writerows(recipients(rows, seed, idn_share))


def suppressed_addresses(recipient_rows: int, count: int, seed: int = 5, share_in_list: float = 0.5) -> Iterator[str]:
    """Addresses on the suppression list: `share_in_list` of them are recipients (so a tenth of a
    10M list is suppressed when 2M are suppressed), the rest strangers."""
    rng = random.Random(seed)
    pick = random.Random(seed + 1)
    in_list = set(pick.sample(range(recipient_rows), min(recipient_rows, int(count * share_in_list))))
    for i in range(recipient_rows):
        a = address(rng, i)
        if i in in_list:
            yield a
    for j in range(count - len(in_list)):
        yield _plain(pick, recipient_rows + j)
