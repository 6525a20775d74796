"""Console users (SPEC §8): names, roles and password hashes in `console_users`.

Passwords are hashed with scrypt (memory-hard, in the standard library) and kept as one
self-describing string, `scrypt$n$r$p$salt$hash` (salt and hash in hex), so the cost can be
raised later and old hashes still verify. `authenticate` costs the same whether the name is
unknown, disabled or real: an unknown or disabled user is checked against a dummy hash, so the
time taken does not tell who exists."""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

import sqlalchemy as sa

from pipeline.core.errors import NotFoundError, OptoutError
from pipeline.store.db import read_tx, write_tx
from pipeline.store.schema import console_users

ROLES = ("marketer", "auditor", "admin")
MIN_PASSWORD = 12
MAX_PASSWORD = 1024  # scrypt reads it all; a megabyte "password" is a denial of service
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
SALT_BYTES = 32
_NAME = re.compile(r"[A-Za-z0-9._@-]{1,64}")
_MAX_N = 2**20  # a stored hash never makes us spend more than 1 GiB of memory


class UserExists(OptoutError):
    """A user of that name is already there (exit 2)."""


@dataclass(frozen=True)
class User:
    name: str
    role: str
    created_at: datetime
    disabled_at: datetime | None

    @property
    def active(self) -> bool:
        return self.disabled_at is None


def valid_name(name: object) -> bool:
    return isinstance(name, str) and _NAME.fullmatch(name) is not None


def check_name(name: str) -> str:
    """`name` if it is 1-64 ASCII letters, digits, '.', '_', '-' or '@'; OptoutError otherwise
    (the message never repeats the name: it may be 10 KB or hold control characters)."""
    if not valid_name(name):
        raise OptoutError("name: 1 to 64 characters, each an ASCII letter, digit, '.', '_', '-' or '@'", field="name")
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise OptoutError(f"role: one of {', '.join(ROLES)}", field="role")
    return role


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise OptoutError(f"password: at least {MIN_PASSWORD} characters", field="password")
    if len(password) > MAX_PASSWORD:
        raise OptoutError(f"password: at most {MAX_PASSWORD} characters", field="password")
    return password


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    data = password.encode("utf-8", errors="surrogateescape")
    return hashlib.scrypt(data, salt=salt, n=n, r=r, p=p, maxmem=128 * r * (n + p + 2) + 1024 * 1024, dklen=32)


def hash_password(password: str) -> str:
    """The stored form of `password`: `scrypt$n$r$p$salt$hash`."""
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """Whether `password` matches the stored hash (compared in constant time); a malformed
    stored value matches nothing."""
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        return False
    try:
        n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt, expected = bytes.fromhex(parts[4]), bytes.fromhex(parts[5])
    except ValueError:
        return False
    if not (2 <= n <= _MAX_N and n & (n - 1) == 0 and 1 <= r <= 32 and 1 <= p <= 16):
        return False
    if len(password) > MAX_PASSWORD:
        password = password[:MAX_PASSWORD]  # still costs a hash, still fails below
        expected = b""
    return hmac.compare_digest(_scrypt(password, salt, n, r, p), expected)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def _row_user(row: sa.Row) -> User:  # type: ignore[type-arg]
    return User(name=row.name, role=row.role, created_at=row.created_at, disabled_at=row.disabled_at)


def add(engine: sa.Engine, name: str, role: str, password: str, at: datetime) -> User:
    """A new console user; UserExists when the name is taken."""
    check_name(name)
    check_role(role)
    check_password(password)
    stored = hash_password(password)
    with write_tx(engine) as conn:
        if conn.execute(sa.select(console_users.c.id).where(console_users.c.name == name)).first() is not None:
            raise UserExists(f"user {name!r} already exists", field="name")
        conn.execute(console_users.insert().values(name=name, role=role, password_hash=stored, created_at=at.astimezone(UTC)))
    return User(name=name, role=role, created_at=at.astimezone(UTC), disabled_at=None)


def list_users(engine: sa.Engine) -> list[User]:
    with read_tx(engine) as conn:
        rows = conn.execute(sa.select(console_users).order_by(console_users.c.name)).all()
    return [_row_user(row) for row in rows]


def get(engine: sa.Engine, name: str) -> User | None:
    """The user of that name (active or not), None when there is none or the name is not one."""
    if not valid_name(name):
        return None
    with read_tx(engine) as conn:
        row = conn.execute(sa.select(console_users).where(console_users.c.name == name)).first()
    return _row_user(row) if row is not None else None


def disable(engine: sa.Engine, name: str, at: datetime) -> User:
    """Disable a user (their sessions stop working); NotFoundError for an unknown name.
    Disabling twice keeps the first time."""
    check_name(name)
    with write_tx(engine) as conn:
        row = conn.execute(sa.select(console_users).where(console_users.c.name == name)).first()
        if row is None:
            raise NotFoundError(f"no console user named {name!r}", field="name")
        if row.disabled_at is None:
            conn.execute(console_users.update().where(console_users.c.id == row.id).values(disabled_at=at.astimezone(UTC)))
    user = get(engine, name)
    assert user is not None
    return user


def authenticate(engine: sa.Engine, name: str, password: str) -> User | None:
    """The active user whose name and password these are, or None. One scrypt computation in
    every case (a dummy hash for a name that is unknown, malformed or disabled)."""
    stored, user = _dummy_hash(), None
    if valid_name(name):
        with read_tx(engine) as conn:
            row = conn.execute(sa.select(console_users).where(console_users.c.name == name)).first()
        if row is not None and row.disabled_at is None:
            stored, user = row.password_hash, _row_user(row)
    ok = verify_password(password, stored)
    return user if ok and user is not None else None
