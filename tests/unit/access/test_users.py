"""Console users' password hashes and names, without a store."""
from __future__ import annotations

import pytest

from pipeline.access import users
from pipeline.core.errors import OptoutError

pytestmark = pytest.mark.unit


def test_the_hash_describes_itself_and_verifies() -> None:
    stored = users.hash_password("correct horse battery")
    scheme, n, r, p, salt, digest = stored.split("$")
    assert (scheme, n, r, p) == ("scrypt", str(2**15), "8", "1")
    assert len(bytes.fromhex(salt)) == 32 and len(bytes.fromhex(digest)) == 32
    assert users.verify_password("correct horse battery", stored)
    assert not users.verify_password("correct horse batterY", stored)
    assert not users.verify_password("", stored)
    assert users.hash_password("correct horse battery") != stored  # a new salt each time


def test_a_cheaper_hash_still_verifies() -> None:
    salt = bytes(32)
    digest = users._scrypt("a long enough pw", salt, 2**10, 8, 1)
    assert users.verify_password("a long enough pw", f"scrypt${2**10}$8$1${salt.hex()}${digest.hex()}")


@pytest.mark.parametrize(
    "stored",
    [
        "", "scrypt", "bcrypt$1$2$3$00$00", "scrypt$x$8$1$00$00", "scrypt$32768$8$1$zz$00",
        f"scrypt${2**30}$8$1${'00' * 32}${'00' * 32}",  # would need 1 TiB of memory: refused, not tried
        f"scrypt$1000$8$1${'00' * 32}${'00' * 32}",  # n not a power of two
        f"scrypt$32768$8$1${'00' * 32}$",  # empty digest
    ],
)
def test_a_malformed_stored_hash_matches_nothing(stored: str) -> None:
    assert not users.verify_password("correct horse battery", stored)


def test_a_huge_password_is_refused_without_hashing_it_all() -> None:
    stored = users.hash_password("x" * users.MAX_PASSWORD)
    assert not users.verify_password("x" * (users.MAX_PASSWORD + 1), stored)
    with pytest.raises(OptoutError, match="at most"):
        users.check_password("x" * 10_000)


@pytest.mark.parametrize("name", ["ann", "ann.smith", "a_b-c", "ann@example.com", "A" * 64, "7"])
def test_good_names(name: str) -> None:
    assert users.check_name(name) == name


@pytest.mark.parametrize(
    "name",
    [
        "", "A" * 65, "x" * 10_000, "ann\x00", "ann\n", "ann smith", "ann/../root", "<script>",
        "аnn",  # Cyrillic а: a look-alike of another user's name
        "ann\u200b",  # zero-width space
        "ａｎｎ",  # full-width letters
        "ﬁona",  # a ligature that NFKC would turn into "fiona"
    ],
)
def test_hostile_names_are_refused_without_being_echoed(name: str) -> None:
    with pytest.raises(OptoutError) as refused:
        users.check_name(name)
    assert refused.value.field == "name"
    assert name not in str(refused.value) or not name


@pytest.mark.parametrize("role", ["", "root", "Admin", "marketer "])
def test_roles(role: str) -> None:
    assert [users.check_role(r) for r in users.ROLES] == list(users.ROLES)
    with pytest.raises(OptoutError, match="marketer, auditor, admin"):
        users.check_role(role)


@pytest.mark.parametrize("password", ["", "short", "eleven char"])
def test_short_passwords(password: str) -> None:
    with pytest.raises(OptoutError, match="at least 12 characters"):
        users.check_password(password)
    assert users.check_password("twelve chars") == "twelve chars"
