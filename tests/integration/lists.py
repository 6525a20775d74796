"""A published marketing list of given addresses, loaded as a check loads it."""
from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from pipeline.check.loaded_list import SuppressedSet, load_list
from pipeline.core.clock import Clock
from pipeline.core.config import Settings
from pipeline.ledger.manual import add
from pipeline.store.db import read_tx


def marketing_list(engine: sa.Engine, settings: Settings, clock: Clock, addresses: Iterable[str]) -> SuppressedSet:
    """Each address added by hand (a letter), then the list as a marketing check loads it."""
    for i, address in enumerate(addresses):
        add(engine, settings, clock, address, "postal_mail", f"L{i}")
    with read_tx(engine) as conn:
        return load_list(conn, "marketing", settings.hash_key)
