"""All settings in one place, read from the environment (SPEC names and defaults)."""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

DEV_HASH_KEY = "optout-development-hash-key"
DEV_TOKEN_KEYS = "dev:optout-development-token-key"


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///./data/optout.db"
    landing: Path = Path("./data/landing")
    phone_region: str = "US"
    call_center_tz: str = "America/New_York"
    unsubscribe_mailboxes: tuple[str, ...] = ()
    # Unsubscribe token keys (SPEC §2.7); the default is the development key, as in load_settings.
    token_keys: tuple[tuple[str, str], ...] = (("dev", "optout-development-token-key"),)
    # Pepper for the keyed hashes that the event chain and erased suppressions keep.
    # It must never change for the life of a store.
    hash_key: str = DEV_HASH_KEY
    export_key: str = DEV_HASH_KEY
    receipt_key: str = DEV_HASH_KEY
    max_list_age_hours: float = 36.0
    api_keys: tuple[str, ...] = ()
    # Where the nightly DAG leaves exports, compliance reports and data-quality results.
    output: Path = Path("./data/output")
    # Airflow: the connection that names the store (empty: use database_url), and who is
    # alerted by e-mail when a nightly run fails (empty: no alert).
    store_conn_id: str = ""
    alert_to: tuple[str, ...] = ()
    alert_from: str = "optout@localhost"

    def with_overrides(self, **changes: object) -> Settings:
        """A copy with the given fields replaced (CLI options win over the environment)."""
        clean = {k: v for k, v in changes.items() if v is not None}
        for name in ("landing", "output"):
            if name in clean:
                clean[name] = Path(str(clean[name]))
        return replace(self, **clean)  # type: ignore[arg-type]


def parse_token_keys(text: str) -> tuple[tuple[str, str], ...]:
    """`kid1:secret1,kid0:secret0` -> ((kid1, secret1), (kid0, secret0)); the first one signs."""
    pairs = []
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        kid, sep, secret = item.partition(":")
        if not sep or not kid or not secret:
            raise ValueError(f"OPTOUT_TOKEN_KEYS: entry {item!r} is not kid:secret")
        pairs.append((kid, secret))
    return tuple(pairs)


def _split(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build Settings from the environment (or the mapping given, for tests)."""
    env = os.environ if env is None else env
    default = Settings()
    hash_key = env.get("OPTOUT_HASH_KEY", default.hash_key)
    return Settings(
        database_url=env.get("OPTOUT_DATABASE_URL", default.database_url),
        landing=Path(env.get("OPTOUT_LANDING", str(default.landing))),
        phone_region=env.get("OPTOUT_PHONE_REGION", default.phone_region),
        call_center_tz=env.get("OPTOUT_CALL_CENTER_TZ", default.call_center_tz),
        unsubscribe_mailboxes=_split(env.get("OPTOUT_UNSUBSCRIBE_MAILBOXES", "")),
        token_keys=parse_token_keys(env.get("OPTOUT_TOKEN_KEYS", DEV_TOKEN_KEYS)),
        hash_key=hash_key,
        export_key=env.get("OPTOUT_EXPORT_KEY", hash_key),
        receipt_key=env.get("OPTOUT_RECEIPT_KEY", hash_key),
        max_list_age_hours=float(env.get("OPTOUT_MAX_LIST_AGE_HOURS", default.max_list_age_hours)),
        api_keys=_split(env.get("OPTOUT_API_KEYS", "")),
        output=Path(env.get("OPTOUT_OUTPUT", str(default.output))),
        store_conn_id=env.get("OPTOUT_STORE_CONN_ID", default.store_conn_id),
        alert_to=_split(env.get("OPTOUT_ALERT_TO", "")),
        alert_from=env.get("OPTOUT_ALERT_FROM", default.alert_from),
    )
