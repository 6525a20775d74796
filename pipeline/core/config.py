"""All settings in one place, read from the environment (SPEC names and defaults).

`load_settings` checks every value up front and raises SettingsError, one line naming the
variable, so a typo stops a command (or a DAG) before it does any work instead of surfacing
as a wrong time zone or a traceback halfway through a night. The checks that need a heavy
import (phonenumbers, email_validator) run only when the variable is set."""
from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pipeline.core import esp_keys
from pipeline.core.errors import OptoutError

DEV_HASH_KEY = "optout-development-hash-key"
DEV_TOKEN_KEYS = "dev:optout-development-token-key"
DEV_TOKEN_SECRET = DEV_TOKEN_KEYS.partition(":")[2]


class SettingsError(OptoutError):
    """A setting has a value the pipeline cannot use; the message names the variable (exit 2)."""


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
        _require_utf8(name, secret)
        pairs.append((kid, secret))
    return tuple(pairs)


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build Settings from the environment (or the mapping given, for tests), every value
    checked; raises SettingsError naming the first bad variable."""
    env = os.environ if env is None else env
    default = Settings()
    hash_key = _secret(env, "OPTOUT_HASH_KEY", default.hash_key)
    settings = Settings(
        database_url=check_database_url(env.get("OPTOUT_DATABASE_URL", default.database_url), "OPTOUT_DATABASE_URL"),
        landing=Path(env.get("OPTOUT_LANDING", str(default.landing))),
        phone_region=_checked(env, "OPTOUT_PHONE_REGION", default.phone_region, _phone_region),
        call_center_tz=_checked(env, "OPTOUT_CALL_CENTER_TZ", default.call_center_tz, _time_zone, always=True),
        unsubscribe_mailboxes=_addresses(env, "OPTOUT_UNSUBSCRIBE_MAILBOXES"),
        token_keys=parse_token_keys(env.get("OPTOUT_TOKEN_KEYS", DEV_TOKEN_KEYS)),
        hash_key=hash_key,
        export_key=_secret(env, "OPTOUT_EXPORT_KEY", hash_key),
        receipt_key=_secret(env, "OPTOUT_RECEIPT_KEY", hash_key),
        max_list_age_hours=_positive(env, "OPTOUT_MAX_LIST_AGE_HOURS", default.max_list_age_hours, "hours"),
        api_keys=_api_keys(env, "OPTOUT_API_KEYS"),
        console_key=_secret(env, "OPTOUT_CONSOLE_KEY", hash_key),
        console_url=_url(env, "OPTOUT_CONSOLE_URL"),
        brand_name=env.get("OPTOUT_BRAND_NAME", default.brand_name).strip(),
        brand_logo=_logo(env, "OPTOUT_BRAND_LOGO"),
        brand_colour=_colour(env, "OPTOUT_BRAND_COLOUR", default.brand_colour),
        privacy_url=_url(env, "OPTOUT_PRIVACY_URL"),
        support_contact=env.get("OPTOUT_SUPPORT_CONTACT", default.support_contact).strip(),
        sendgrid_public_key=_esp_key(env, "OPTOUT_SENDGRID_PUBLIC_KEY", esp_keys.sendgrid_key),
        mailgun_signing_key=env.get("OPTOUT_MAILGUN_SIGNING_KEY", "").strip(),
        postmark_credentials=_credentials(env, "OPTOUT_POSTMARK_CREDENTIALS"),
        ses_certificate=_pem_file(env, "OPTOUT_SES_CERTIFICATE", esp_keys.sns_certificate),
        ses_topic_arns=_topic_arns(env, "OPTOUT_SES_TOPIC_ARNS"),
        mailchimp_secret=_esp_key(env, "OPTOUT_MAILCHIMP_SECRET", esp_keys.mailchimp_secret),
        esp_sync=_providers(env, "OPTOUT_ESP_SYNC"),
        segment_seconds=_positive(env, "OPTOUT_SEGMENT_SECONDS", default.segment_seconds, "seconds", maximum=86_400),
        segment_lines=int(_positive(env, "OPTOUT_SEGMENT_LINES", default.segment_lines, "lines", whole=True,
                                    maximum=10_000_000)),
        output=Path(env.get("OPTOUT_OUTPUT", str(default.output))),
        store_conn_id=env.get("OPTOUT_STORE_CONN_ID", default.store_conn_id),
        alert_to=_addresses(env, "OPTOUT_ALERT_TO", local=True),
        # Empty as unset: compose passes `${OPTOUT_ALERT_FROM}` through even when .env leaves it out.
        alert_from=_local_address(env.get("OPTOUT_ALERT_FROM") or default.alert_from, "OPTOUT_ALERT_FROM"),
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


def _checked(env: Mapping[str, str], name: str, default: str, check: Callable[[str, str], str], always: bool = False) -> str:
    """The variable's value (or the default), through `check` when it is set (or `always`)."""
    value = env.get(name)
    if value is None:
        return check(default, name) if always else default
    return check(value, name)


def _time_zone(value: str, name: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise SettingsError(f"{name}: {value!r} is not an IANA time zone (e.g. America/New_York)") from None
    return value


def _phone_region(value: str, name: str) -> str:
    if value == Settings.phone_region:
        return value
    import phonenumbers  # here, not at import: its tables load only when a region is set

    if value.upper() not in phonenumbers.SUPPORTED_REGIONS:
        raise SettingsError(f"{name}: {value!r} is not a region phonenumbers knows (a two-letter code such as US or FR)")
    return value.upper()


def _positive(
    env: Mapping[str, str], name: str, default: float, unit: str, *, whole: bool = False, maximum: float = math.inf,
) -> float:
    """A positive, finite number of `unit` (a whole one with `whole`), at most `maximum`; unset: the default."""
    text = env.get(name)
    if text is None:
        return default
    try:
        value = int(text) if whole else float(text)
    except ValueError:
        raise SettingsError(f"{name}: {text!r} is not a {'whole ' if whole else ''}number of {unit}") from None
    if not math.isfinite(value) or value <= 0:
        raise SettingsError(f"{name}: {text!r} is not a positive number of {unit}")
    if value > maximum:
        raise SettingsError(f"{name}: {text!r} is more than {maximum:,.0f} {unit}")
    return value


def _entries(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    """A comma-separated list; unset or empty is no entries, an empty entry is a typo."""
    text = env.get(name, "")
    if not text.strip():
        return ()
    parts = tuple(part.strip() for part in text.split(","))
    for n, part in enumerate(parts, start=1):
        if not part:
            raise SettingsError(f"{name}: entry {n} is empty (a stray comma?)")
    return parts


def _api_keys(env: Mapping[str, str], name: str) -> tuple[tuple[str, str], ...]:
    """`crm:KEY1,shop:KEY2` -> (("crm", "KEY1"), ("shop", "KEY2")). A bare `KEY` (the form
    before keys had names) is named `key-N` by its position. Messages never show a key."""
    named: list[tuple[str, str]] = []
    for n, entry in enumerate(_entries(env, name), start=1):
        _require_utf8(name, entry)
        label, sep, key = entry.partition(":")
        label, key = (label.strip(), key.strip()) if sep else (f"key-{n}", entry)
        if not key:
            raise SettingsError(f"{name}: entry {n} ({label!r}) has an empty key")
        if not _KEY_NAME.fullmatch(label):
            raise SettingsError(f"{name}: entry {n}: a key name is letters, digits, '.', '_' or '-' (at most 64)")
        if any(label == seen for seen, _ in named):
            raise SettingsError(f"{name}: the name {label!r} is given to two keys")
        named.append((label, key))
    return tuple(named)


ESP_PROVIDERS = ("sendgrid", "ses", "mailgun", "postmark", "mailchimp")


def _credentials(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "")
    if value and (":" not in value or not value.partition(":")[0] or not value.partition(":")[2]):
        raise SettingsError(f"{name}: expected user:password")
    return _require_utf8(name, value)


def _pem_file(env: Mapping[str, str], name: str, check: Callable[[str], str]) -> Path | None:
    value = _esp_key(env, name, lambda v: v)
    if not value:
        return None
    if not Path(value).is_file():
        raise SettingsError(f"{name}: {value!r} is not a readable file")
    return Path(_esp_key(env, name, check))


def _esp_key(env: Mapping[str, str], name: str, check: Callable[[str], str]) -> str:
    """A provider's verification key or certificate path, checked by `esp_keys` when set."""
    value = env.get(name, "").strip()
    try:
        return check(value) if value else value
    except ValueError as exc:
        raise SettingsError(f"{name}: {exc}") from None


def _topic_arns(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    found = _entries(env, name)
    for arn in found:
        if not esp_keys.TOPIC_ARN.fullmatch(arn):
            raise SettingsError(f"{name}: {arn!r} is not an SNS topic ARN (arn:aws:sns:<region>:<account>:<topic>)")
    return found


def _providers(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    found = tuple(p.lower() for p in _entries(env, name))
    for provider in found:
        if provider not in ESP_PROVIDERS:
            raise SettingsError(f"{name}: {provider!r} is not one of {', '.join(ESP_PROVIDERS)}")
    return found


_KEY_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")
_COLOUR = re.compile(r"#[0-9A-Fa-f]{6}")


def _url(env: Mapping[str, str], name: str) -> str:
    """An http(s) URL, or empty when unset."""
    value = env.get(name, "").strip()
    if value and not re.fullmatch(r"https?://[^\s\"'<>]+", value):
        raise SettingsError(f"{name}: {value!r} is not an http:// or https:// URL")
    return value


def _colour(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name, "").strip() or default
    if not _COLOUR.fullmatch(value):
        raise SettingsError(f"{name}: {value!r} is not a colour as #rrggbb")
    return value.lower()


MAX_LOGO_BYTES = 512 * 1024  # a logo is a few KiB; the page never serves a bigger file


def _logo(env: Mapping[str, str], name: str) -> Path | None:
    """A PNG, SVG, JPEG or WebP file the service serves itself (no page loads from another host):
    the file itself, not a symlink (the service never follows one), at most MAX_LOGO_BYTES."""
    value = env.get(name, "").strip()
    if not value:
        return None
    path = Path(value)
    if path.suffix.lower() not in (".png", ".svg", ".jpg", ".jpeg", ".webp"):
        raise SettingsError(f"{name}: {value!r} is not a .png, .svg, .jpg or .webp file")
    if path.is_symlink():
        raise SettingsError(f"{name}: {value!r} is a symlink: name the file itself (a symlink is never served)")
    if not path.is_file():
        raise SettingsError(f"{name}: {value!r} is not a readable file")
    if path.stat().st_size > MAX_LOGO_BYTES:
        raise SettingsError(f"{name}: {value!r} is over {MAX_LOGO_BYTES // 1024} KiB (a logo is served with every page)")
    return path


def _addresses(env: Mapping[str, str], name: str, local: bool = False) -> tuple[str, ...]:
    entries = _entries(env, name)
    for address in entries:
        (_local_address if local else _address)(address, name)
    return entries


def _address(value: str, name: str) -> str:
    from pipeline.core.addresses import InvalidAddress, parse  # here, not at import: email_validator loads only when an address is set

    try:
        parse(value)
    except InvalidAddress as exc:
        raise SettingsError(f"{name}: {value!r} is not a valid address ({exc.reason})") from None
    return value


_LOCAL_ADDRESS = re.compile(r"[^@\s<>()\[\],;:\"]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")


def _local_address(value: str, name: str) -> str:
    """A plain address our own alert mail goes from or to, through our own relay: host names
    such as `localhost` allowed (email_validator refuses them as not deliverable)."""
    if not _LOCAL_ADDRESS.fullmatch(value) or ".." in value:
        raise SettingsError(f"{name}: {value!r} is not a valid address (expected name@host)")
    return value


def _secret(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name)
    if value is None:
        return default
    if not value.strip():
        raise SettingsError(f"{name}: empty (unset it to use the default, or set a real key)")
    return _require_utf8(name, value)


def _require_utf8(name: str, value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise SettingsError(f"{name}: not valid UTF-8 text") from None
    return value
