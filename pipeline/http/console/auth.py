"""Sign-in for the console. INTERFACE ONLY until the sign-in work lands: the names below are
the contract the pages are written against.

- `ConsoleUser(name, role)`: role is marketer | auditor | admin.
- `require(*roles)`: a FastAPI dependency giving the signed-in `ConsoleUser`; not signed in:
  303 to /console/login; signed in with another role: 403 page.
- `require_csrf`: a dependency for every POST: the form field `csrf_token` (or the header
  `X-CSRF-Token` for fetch calls) must match the session's token, else 403.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import APIRouter, Request

ROLES = ("marketer", "auditor", "admin")
router = APIRouter()


@dataclass(frozen=True)
class ConsoleUser:
    name: str
    role: str


def require(*roles: str) -> Callable[[Request], Awaitable[ConsoleUser]]:
    async def dependency(request: Request) -> ConsoleUser:
        raise NotImplementedError("console sign-in is not built yet")

    return dependency


async def require_csrf(request: Request) -> None:
    raise NotImplementedError("console sign-in is not built yet")
