"""Console users in the store (SQLite and PostgreSQL) and `optout user add|list|disable`."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from pipeline.access import users
from pipeline.core.clock import FixedClock
from pipeline.core.errors import NotFoundError
from pipeline.store.schema import console_users
from tests.conftest import ROOT

pytestmark = pytest.mark.integration
PASSWORD = "correct horse battery"
OPTOUT = [sys.executable, "-c", "from pipeline.cli import main; main()"]
DEV_WARNING = "optout: warning: development keys in use"


def test_add_list_disable_authenticate(engine: sa.Engine, clock: FixedClock) -> None:
    ann = users.add(engine, "ann", "marketer", PASSWORD, clock.now())
    users.add(engine, "bob", "auditor", "another long password", clock.now())
    assert ann.active and [u.name for u in users.list_users(engine)] == ["ann", "bob"]
    with engine.connect() as conn:
        stored = conn.execute(sa.select(console_users.c.password_hash).where(console_users.c.name == "ann")).scalar_one()
    assert stored.startswith("scrypt$32768$8$1$") and PASSWORD not in stored
    assert users.authenticate(engine, "ann", PASSWORD) == ann
    assert users.authenticate(engine, "ann", PASSWORD + " ") is None
    assert users.authenticate(engine, "Ann", PASSWORD) is None  # names are exact
    assert users.authenticate(engine, "nobody", PASSWORD) is None
    assert users.authenticate(engine, "ann\x00", PASSWORD) is None
    with pytest.raises(users.UserExists, match="already exists"):
        users.add(engine, "ann", "admin", PASSWORD, clock.now())
    later = clock.now() + timedelta(hours=1)
    disabled = users.disable(engine, "ann", later)
    assert disabled.disabled_at == later and not disabled.active
    assert users.disable(engine, "ann", later + timedelta(hours=1)).disabled_at == later  # the first time stays
    assert users.authenticate(engine, "ann", PASSWORD) is None
    with pytest.raises(NotFoundError, match="no console user named 'zed'"):
        users.disable(engine, "zed", later)


def test_unknown_and_disabled_users_cost_as_much_as_real_ones(engine: sa.Engine, clock: FixedClock) -> None:
    users.add(engine, "ann", "marketer", PASSWORD, clock.now())
    users.add(engine, "gone", "marketer", PASSWORD, clock.now())
    users.disable(engine, "gone", clock.now())
    users.authenticate(engine, "warm-up", "x")  # the dummy hash is made once

    def took(name: str) -> float:
        start = time.perf_counter()
        users.authenticate(engine, name, "wrong password here")
        return time.perf_counter() - start

    real, unknown, disabled = (min(took(n) for _ in range(3)) for n in ("ann", "nobody", "gone"))
    assert unknown > real / 3 and disabled > real / 3  # each one scrypt computation, not none


def optout(*args: str, db: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OPTOUT_DATABASE_URL": db, "PYTHONPATH": str(ROOT)}
    return subprocess.run([*OPTOUT, *args], input=stdin, capture_output=True, text=True, env=env, timeout=120)


def errors(result: subprocess.CompletedProcess[str]) -> str:
    return "\n".join(line for line in result.stderr.splitlines() if not line.startswith(DEV_WARNING))


def test_the_user_commands(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'optout.db'}"
    assert optout("init", db=db).returncode == 0
    added = optout("user", "add", "ann", "--role", "marketer", db=db, stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == "console user ann added (marketer)"
    assert optout("user", "add", "audrey", "--role", "auditor", db=db, stdin=PASSWORD + "\r\n").returncode == 0
    listed = optout("user", "list", "--json", db=db)
    rows = json.loads(listed.stdout)
    assert [(r["name"], r["role"], r["disabled"]) for r in rows] == [("ann", "marketer", None), ("audrey", "auditor", None)]
    assert rows[0]["created"].endswith("+00:00")
    engine = sa.create_engine(db)
    assert users.authenticate(engine, "audrey", PASSWORD) is not None  # the \r\n was stripped
    assert optout("user", "disable", "ann", db=db).returncode == 0
    assert json.loads(optout("user", "list", "--json", db=db).stdout)[0]["disabled"] is not None
    assert "disabled" in optout("user", "list", db=db).stdout

    duplicate = optout("user", "add", "ann", "--role", "admin", db=db, stdin=PASSWORD + "\n")
    assert (duplicate.returncode, errors(duplicate)) == (2, "optout: NAME: user 'ann' already exists")
    unknown = optout("user", "disable", "zed", db=db)
    assert (unknown.returncode, errors(unknown)) == (2, "optout: NAME: no console user named 'zed'")
    short = optout("user", "add", "cy", "--role", "admin", db=db, stdin="short\n")
    assert (short.returncode, errors(short)) == (2, "optout: password: at least 12 characters")
    bad_role = optout("user", "add", "cy", "--role", "root", db=db, stdin=PASSWORD + "\n")
    assert bad_role.returncode == 2 and "--role" in bad_role.stderr
    hostile = optout("user", "add", "ｃｙ", "--role", "admin", db=db, stdin=PASSWORD + "\n")
    assert hostile.returncode == 2 and errors(hostile).startswith("optout: NAME: 1 to 64 characters")
    not_utf8 = subprocess.run([*OPTOUT, "user", "add", "cy", "--role", "admin"], input=b"\xff\xfe long enough pw\n", capture_output=True,
                              env={**os.environ, "OPTOUT_DATABASE_URL": db, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert not_utf8.returncode == 2 and b"not UTF-8" in not_utf8.stderr
    assert [r["name"] for r in json.loads(optout("user", "list", "--json", db=db).stdout)] == ["ann", "audrey"]
