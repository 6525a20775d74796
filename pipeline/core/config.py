"""All settings in one place, read from the environment (SPEC names and defaults).

`load_settings` checks every value up front and raises SettingsError, one line naming the
variable, so a typo stops a command (or a DAG) before it does any work instead of surfacing
as a wrong time zone or a traceback halfway through a night. The checks that need a heavy
import (phonenumbers, email_validator) run only when the variable is set."""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from pipeline.core import esp_keys
from pipeline.core import setting_checks as check
from pipeline.core.setting_checks import ESP_PROVIDERS, MAX_LOGO_BYTES, SettingsError

DEV_HASH_KEY = "optout-development-hash-key"
DEV_TOKEN_KEYS = "dev:optout-development-token-key"
DEV_TOKEN_SECRET = DEV_TOKEN_KEYS.partition(":")[2]


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///./data/optout.db"
    landing: Path = Path("./data/landing")
    phone_region: str = check.DEFAULT_PHONE_REGION
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
    # Named JSON API keys, (name, key): the name is who a check recorded through the API was made by.
    api_keys: tuple[tuple[str, str], ...] = ()
    # Signs console session cookies and CSRF tokens; by default the hash key.
    console_key: str = DEV_HASH_KEY
    # Where the console is reached (the Airflow UI links to it when set).
    console_url: str = ""
    # The unsubscribe page's branding: organisation name, logo file (served by the service
    # itself), accent colour (#rrggbb), privacy policy link, and how to reach support.
    brand_name: str = ""
    brand_logo: Path | None = None
    brand_colour: str = "#1d4ed8"
    privacy_url: str = ""
    support_contact: str = ""
    # ESP webhook receivers (/hooks/...): what each provider's requests are verified with. Empty:
    # that receiver refuses everything. SendGrid's ECDSA public key (base64 DER or PEM),
    # Mailgun's HTTP webhook signing key, Postmark's basic-auth `user:password`, the PEM file of
    # the certificate SNS signs SES notifications with (no outbound fetch) and the topic ARNs
    # accepted, and the secret in Mailchimp's webhook URL.
    sendgrid_public_key: str = ""
    mailgun_signing_key: str = ""
    postmark_credentials: str = ""
    ses_certificate: Path | None = None
    ses_topic_arns: tuple[str, ...] = ()
    mailchimp_secret: str = ""
    # Providers the nightly run writes delta files for after each publish (esp_sync).
    esp_sync: tuple[str, ...] = ()
    # The click and webhook logs of `optout serve` close a segment (so a run can read it) after
    # this many seconds or lines, whichever comes first, and on shutdown.
    segment_seconds: float = 60.0
    segment_lines: int = 10_000
    # The Airflow REST API `optout serve` asks for an `optout_intraday` run when segments close
    # (empty: the DAG's schedule alone), and the `user:password` it takes a token with.
    airflow_api_url: str = ""
    airflow_credentials: str = ""
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


def parse_token_keys(text: str, name: str = "OPTOUT_TOKEN_KEYS") -> tuple[tuple[str, str], ...]:
    """`kid1:secret1,kid0:secret0` -> ((kid1, secret1), (kid0, secret0)); the first one signs.

    Messages name an entry by its position and key id, never by its secret."""
    pairs: list[tuple[str, str]] = []
    for n, item in enumerate(text.split(","), start=1):
        kid, sep, secret = item.strip().partition(":")
        if not sep or not kid.strip():
            raise SettingsError(f"{name}: entry {n} is not kid:secret")
        kid = kid.strip()
        if not secret.strip():
            raise SettingsError(f"{name}: entry {n} (key id {kid!r}) has an empty secret")
        if any(kid == seen for seen, _ in pairs):
            raise SettingsError(f"{name}: key id {kid!r} is listed twice")
        check.require_utf8(name, secret)
        pairs.append((kid, secret))
    return tuple(pairs)


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build Settings from the environment (or the mapping given, for tests), every value
    checked; raises SettingsError naming the first bad variable."""
    env = os.environ if env is None else env
    default = Settings()
    hash_key = check.secret(env, "OPTOUT_HASH_KEY", default.hash_key)
    settings = Settings(
        database_url=check_database_url(env.get("OPTOUT_DATABASE_URL", default.database_url), "OPTOUT_DATABASE_URL"),
        landing=Path(env.get("OPTOUT_LANDING", str(default.landing))),
        phone_region=check.checked(env, "OPTOUT_PHONE_REGION", default.phone_region, check.phone_region),
        call_center_tz=check.checked(env, "OPTOUT_CALL_CENTER_TZ", default.call_center_tz, check.time_zone, always=True),
        unsubscribe_mailboxes=check.addresses(env, "OPTOUT_UNSUBSCRIBE_MAILBOXES"),
        token_keys=parse_token_keys(env.get("OPTOUT_TOKEN_KEYS", DEV_TOKEN_KEYS)),
        hash_key=hash_key,
        export_key=check.secret(env, "OPTOUT_EXPORT_KEY", hash_key),
        receipt_key=check.secret(env, "OPTOUT_RECEIPT_KEY", hash_key),
        max_list_age_hours=check.positive(env, "OPTOUT_MAX_LIST_AGE_HOURS", default.max_list_age_hours, "hours"),
        api_keys=check.api_keys(env, "OPTOUT_API_KEYS"),
        console_key=check.secret(env, "OPTOUT_CONSOLE_KEY", hash_key),
        console_url=check.url(env, "OPTOUT_CONSOLE_URL"),
        brand_name=env.get("OPTOUT_BRAND_NAME", default.brand_name).strip(),
        brand_logo=check.logo(env, "OPTOUT_BRAND_LOGO"),
        brand_colour=check.colour(env, "OPTOUT_BRAND_COLOUR", default.brand_colour),
        privacy_url=check.url(env, "OPTOUT_PRIVACY_URL"),
        support_contact=env.get("OPTOUT_SUPPORT_CONTACT", default.support_contact).strip(),
        sendgrid_public_key=check.esp_key(env, "OPTOUT_SENDGRID_PUBLIC_KEY", esp_keys.sendgrid_key),
        mailgun_signing_key=env.get("OPTOUT_MAILGUN_SIGNING_KEY", "").strip(),
        postmark_credentials=check.credentials(env, "OPTOUT_POSTMARK_CREDENTIALS"),
        ses_certificate=check.pem_file(env, "OPTOUT_SES_CERTIFICATE", esp_keys.sns_certificate),
        ses_topic_arns=check.topic_arns(env, "OPTOUT_SES_TOPIC_ARNS"),
        mailchimp_secret=check.esp_key(env, "OPTOUT_MAILCHIMP_SECRET", esp_keys.mailchimp_secret),
        esp_sync=check.providers(env, "OPTOUT_ESP_SYNC"),
        segment_seconds=check.positive(env, "OPTOUT_SEGMENT_SECONDS", default.segment_seconds, "seconds", maximum=86_400),
        segment_lines=int(check.positive(env, "OPTOUT_SEGMENT_LINES", default.segment_lines, "lines", whole=True,
                                    maximum=10_000_000)),
        airflow_api_url=check.url(env, "OPTOUT_AIRFLOW_API_URL"),
        airflow_credentials=check.credentials(env, "OPTOUT_AIRFLOW_CREDENTIALS"),
        output=Path(env.get("OPTOUT_OUTPUT", str(default.output))),
        store_conn_id=env.get("OPTOUT_STORE_CONN_ID", default.store_conn_id),
        alert_to=check.addresses(env, "OPTOUT_ALERT_TO", local=True),
        # Empty as unset: compose passes `${OPTOUT_ALERT_FROM}` through even when .env leaves it out.
        alert_from=check.local_address(env.get("OPTOUT_ALERT_FROM") or default.alert_from, "OPTOUT_ALERT_FROM"),
    )
    return settings


def development_keys(settings: Settings) -> list[str]:
    """The variables whose key is still the development default (fine on a laptop, never in
    production: anyone with the source can forge tokens and receipts and undo keyed hashes)."""
    names = []
    if settings.hash_key == DEV_HASH_KEY:
        names.append("OPTOUT_HASH_KEY")
    if any(secret == DEV_TOKEN_SECRET for _, secret in settings.token_keys):
        names.append("OPTOUT_TOKEN_KEYS")
    if settings.export_key == DEV_HASH_KEY:
        names.append("OPTOUT_EXPORT_KEY")
    if settings.receipt_key == DEV_HASH_KEY:
        names.append("OPTOUT_RECEIPT_KEY")
    if settings.console_key == DEV_HASH_KEY:
        names.append("OPTOUT_CONSOLE_KEY")
    return names


def check_database_url(url: str, name: str) -> str:
    """`url` if SQLAlchemy can parse it and knows its dialect (and driver); SettingsError otherwise."""
    import sqlalchemy as sa  # here, not at import: settings load in 0.1 s, SQLAlchemy adds 1.3 s

    try:
        parsed = sa.engine.make_url(url)
    except (sa.exc.ArgumentError, ValueError, TypeError):
        raise SettingsError(f"{name}: not a database URL SQLAlchemy can parse (e.g. sqlite:///./data/optout.db)") from None
    if _builtin_dialect(parsed.get_backend_name(), parsed.get_driver_name() if "+" in parsed.drivername else ""):
        return url
    try:
        parsed.get_dialect()  # a third-party dialect: loading it is the only test
    except sa.exc.NoSuchModuleError:
        raise SettingsError(f"{name}: unknown database dialect or driver {parsed.drivername!r}") from None
    return url


def _builtin_dialect(backend: str, driver: str) -> bool:
    """Whether SQLAlchemy ships `backend` (and `driver`), found on disk without importing the
    dialect (importing PostgreSQL's costs a tenth of a second of every command's start-up)."""
    import sqlalchemy.dialects  # here, not at import: as above, SQLAlchemy adds 1.3 s

    if backend not in sqlalchemy.dialects.__all__:
        return False
    folder = Path(sqlalchemy.dialects.__file__).parent / backend
    return not driver or (folder / f"{driver}.py").is_file()


__all__ = ["DEV_HASH_KEY", "DEV_TOKEN_KEYS", "ESP_PROVIDERS", "MAX_LOGO_BYTES", "Settings", "SettingsError",
           "check_database_url", "development_keys", "load_settings", "parse_token_keys"]
