"""The checks behind `pipeline.core.config.load_settings`: one function per kind of value (a
time zone, a positive number, a list of addresses, an ESP key, a URL, a logo file), each raising
SettingsError with one line naming the variable."""
from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pipeline.core import esp_keys
from pipeline.core.errors import OptoutError

DEFAULT_PHONE_REGION = "US"


class SettingsError(OptoutError):
    """A setting has a value the pipeline cannot use; the message names the variable (exit 2)."""


def checked(env: Mapping[str, str], name: str, default: str, check: Callable[[str, str], str], always: bool = False) -> str:
    """The variable's value (or the default), through `check` when it is set (or `always`)."""
    value = env.get(name)
    if value is None:
        return check(default, name) if always else default
    return check(value, name)


def time_zone(value: str, name: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise SettingsError(f"{name}: {value!r} is not an IANA time zone (e.g. America/New_York)") from None
    return value


def phone_region(value: str, name: str) -> str:
    if value == DEFAULT_PHONE_REGION:
        return value
    import phonenumbers  # here, not at import: its tables load only when a region is set

    if value.upper() not in phonenumbers.SUPPORTED_REGIONS:
        raise SettingsError(f"{name}: {value!r} is not a region phonenumbers knows (a two-letter code such as US or FR)")
    return value.upper()


def positive(
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


def listed(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    """A comma-separated list; unset or empty is no entries, an empty entry is a typo."""
    text = env.get(name, "")
    if not text.strip():
        return ()
    parts = tuple(part.strip() for part in text.split(","))
    for n, part in enumerate(parts, start=1):
        if not part:
            raise SettingsError(f"{name}: entry {n} is empty (a stray comma?)")
    return parts


def api_keys(env: Mapping[str, str], name: str) -> tuple[tuple[str, str], ...]:
    """`crm:KEY1,shop:KEY2` -> (("crm", "KEY1"), ("shop", "KEY2")). A bare `KEY` (the form
    before keys had names) is named `key-N` by its position. Messages never show a key."""
    named: list[tuple[str, str]] = []
    for n, entry in enumerate(listed(env, name), start=1):
        require_utf8(name, entry)
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


def credentials(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "")
    if value and (":" not in value or not value.partition(":")[0] or not value.partition(":")[2]):
        raise SettingsError(f"{name}: expected user:password")
    return require_utf8(name, value)


def pem_file(env: Mapping[str, str], name: str, check: Callable[[str], str]) -> Path | None:
    value = esp_key(env, name, lambda v: v)
    if not value:
        return None
    if not Path(value).is_file():
        raise SettingsError(f"{name}: {value!r} is not a readable file")
    return Path(esp_key(env, name, check))


def esp_key(env: Mapping[str, str], name: str, check: Callable[[str], str]) -> str:
    """A provider's verification key or certificate path, checked by `esp_keys` when set."""
    value = env.get(name, "").strip()
    try:
        return check(value) if value else value
    except ValueError as exc:
        raise SettingsError(f"{name}: {exc}") from None


def topic_arns(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    found = listed(env, name)
    for arn in found:
        if not esp_keys.TOPIC_ARN.fullmatch(arn):
            raise SettingsError(f"{name}: {arn!r} is not an SNS topic ARN (arn:aws:sns:<region>:<account>:<topic>)")
    return found


def providers(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    found = tuple(p.lower() for p in listed(env, name))
    for provider in found:
        if provider not in ESP_PROVIDERS:
            raise SettingsError(f"{name}: {provider!r} is not one of {', '.join(ESP_PROVIDERS)}")
    return found


_KEY_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")
_COLOUR = re.compile(r"#[0-9A-Fa-f]{6}")


def url(env: Mapping[str, str], name: str) -> str:
    """An http(s) URL, or empty when unset."""
    value = env.get(name, "").strip()
    if value and not re.fullmatch(r"https?://[^\s\"'<>]+", value):
        raise SettingsError(f"{name}: {value!r} is not an http:// or https:// URL")
    return value


def colour(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name, "").strip() or default
    if not _COLOUR.fullmatch(value):
        raise SettingsError(f"{name}: {value!r} is not a colour as #rrggbb")
    return value.lower()


MAX_LOGO_BYTES = 512 * 1024  # a logo is a few KiB; the page never serves a bigger file


def logo(env: Mapping[str, str], name: str) -> Path | None:
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


def addresses(env: Mapping[str, str], name: str, local: bool = False) -> tuple[str, ...]:
    entries = listed(env, name)
    for address in entries:
        (local_address if local else valid_address)(address, name)
    return entries


def valid_address(value: str, name: str) -> str:
    from pipeline.core.addresses import InvalidAddress, parse  # here, not at import: email_validator loads only when an address is set

    try:
        parse(value)
    except InvalidAddress as exc:
        raise SettingsError(f"{name}: {value!r} is not a valid address ({exc.reason})") from None
    return value


_LOCAL_ADDRESS = re.compile(r"[^@\s<>()\[\],;:\"]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")


def local_address(value: str, name: str) -> str:
    """A plain address our own alert mail goes from or to, through our own relay: host names
    such as `localhost` allowed (email_validator refuses them as not deliverable)."""
    if not _LOCAL_ADDRESS.fullmatch(value) or ".." in value:
        raise SettingsError(f"{name}: {value!r} is not a valid address (expected name@host)")
    return value


def secret(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name)
    if value is None:
        return default
    if not value.strip():
        raise SettingsError(f"{name}: empty (unset it to use the default, or set a real key)")
    return require_utf8(name, value)


def require_utf8(name: str, value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise SettingsError(f"{name}: not valid UTF-8 text") from None
    return value
