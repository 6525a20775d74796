"""The files e-mail service providers take and give (docs/esp.md): for each provider, the header
and rows of its suppression-import file, and a reader of its own export of its suppression list.

A descriptor knows its provider's columns only; which addresses go out (`esp_export`) and what a
provider's list means against ours (`reconcile`) are decided elsewhere. Readers are built for
hostile files: a BOM, CRLF or CR line ends, a field over `MAX_FIELD`, text that is not UTF-8, a
missing or twice-named column, JSON too deep or too large each end in one OptoutError naming the
file (and the line where there is one); every readable row is returned, valid address or not."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from pipeline.core import safejson
from pipeline.core.durable import fsync_folder
from pipeline.core.errors import OptoutError
from pipeline.core.formulas import neutralise

MAX_FILE = 256 << 20  # bytes of a provider's export read into memory
MAX_FIELD = 64 << 10  # characters of one CSV cell: no real address, reason or time is longer
JSON_LIMITS = safejson.Limits(max_bytes=MAX_FILE)

# What a row of a provider's list says about the address (docs/esp.md, "Reconciling").
BOUNCE = "bounce"  # the mailbox does not exist: not an opt-out, never adopted
COMPLAINT = "complaint"
UNSUBSCRIBE = "unsubscribe"
MANUAL = "manual"


@dataclass(frozen=True)
class EspRow:
    """One row of a provider's export: where it is, the address as written, what it says."""

    line: int
    address: str
    kind: str
    reason: str
    created: str | None


@dataclass(frozen=True)
class Provider:
    """One provider's import layout (`header`, `rows_for`) and how its export is read."""

    name: str
    header: tuple[str, ...]
    rows_for: Callable[[str, str, str], list[list[str]]]  # (address, scope, created ISO) -> rows
    address_columns: tuple[str, ...]
    created_columns: tuple[str, ...]
    kind_of: Callable[[dict[str, str]], tuple[str, str]]  # a row by lower-cased column -> (kind, reason)
    json_items: Callable[[Any], list[Any] | None]  # the list of entries of its JSON export, or None


def _sendgrid_rows(address: str, scope: str, created: str) -> list[list[str]]:
    return [[address]]


def _ses_rows(address: str, scope: str, created: str) -> list[list[str]]:
    return [[address, "COMPLAINT"]]


def _mailgun_rows(address: str, scope: str, created: str) -> list[list[str]]:
    return [[address, "*", _rfc2822(created)]]


def _postmark_rows(address: str, scope: str, created: str) -> list[list[str]]:
    streams = ["broadcast"] if scope == "marketing" else ["broadcast", "outbound"]
    return [[address, stream] for stream in streams]


def _mailchimp_rows(address: str, scope: str, created: str) -> list[list[str]]:
    return [[address, "unsubscribed"]]


def _rfc2822(iso: str) -> str:
    """Mailgun's `created_at` (RFC 2822) from an ISO time; empty when there is none."""
    try:
        return format_datetime(datetime.fromisoformat(iso), usegmt=True) if iso else ""
    except ValueError:
        return ""


def _sendgrid_kind(row: dict[str, str]) -> tuple[str, str]:
    """SendGrid's bounce export has `status` (an SMTP code); spam reports have `ip`; the rest are unsubscribes."""
    if "status" in row:
        return BOUNCE, row.get("reason", "") or row.get("status", "")
    if "ip" in row:
        return COMPLAINT, "spam report"
    return UNSUBSCRIBE, row.get("reason", "") or "unsubscribe"


def _ses_kind(row: dict[str, str]) -> tuple[str, str]:
    reason = (row.get("reason") or "").strip().upper()
    if reason == "BOUNCE":
        return BOUNCE, reason
    return COMPLAINT, reason or "COMPLAINT"


def _mailgun_kind(row: dict[str, str]) -> tuple[str, str]:
    """Mailgun's bounce list has `code` and `error`; its complaint list has neither `tags` nor `code`."""
    if "code" in row or "error" in row:
        return BOUNCE, row.get("error", "") or row.get("code", "")
    if "tags" in row or "tag" in row:
        return UNSUBSCRIBE, f"unsubscribed (tags {row.get('tags', row.get('tag', '')) or '*'})"
    return COMPLAINT, "complaint"


def _postmark_kind(row: dict[str, str]) -> tuple[str, str]:
    reason = (row.get("suppressionreason") or "").strip()
    low = reason.lower()
    if "bounce" in low:
        return BOUNCE, reason
    if "complaint" in low:
        return COMPLAINT, reason
    return MANUAL, reason or "ManualSuppression"


def _mailchimp_kind(row: dict[str, str]) -> tuple[str, str]:
    """A Mailchimp `cleaned` export has CLEAN_TIME: a dead mailbox, not an opt-out."""
    if (row.get("clean_time") or "").strip():
        return BOUNCE, "cleaned"
    return UNSUBSCRIBE, (row.get("unsub_reason") or "").strip() or "unsubscribed"


def _items(key: str) -> Callable[[Any], list[Any] | None]:
    def items(body: Any) -> list[Any] | None:
        if isinstance(body, list):
            return body
        if isinstance(body, dict):
            for k, v in body.items():
                if k.lower() == key.lower() and isinstance(v, list):
                    return v
        return None

    return items


def _no_json(body: Any) -> list[Any] | None:
    return body if isinstance(body, list) else None


PROVIDERS: dict[str, Provider] = {
    p.name: p
    for p in (
        Provider("sendgrid", ("email",), _sendgrid_rows, ("email",), ("created",), _sendgrid_kind, _no_json),
        Provider(
            "ses",
            ("emailAddress", "reason"),
            _ses_rows,
            ("emailaddress", "email"),
            ("lastupdatetime", "last_update_time"),
            _ses_kind,
            _items("SuppressedDestinationSummaries"),
        ),
        Provider(
            "mailgun",
            ("address", "tags", "created_at"),
            _mailgun_rows,
            ("address", "email"),
            ("created_at",),
            _mailgun_kind,
            _items("items"),
        ),
        Provider(
            "postmark",
            ("EmailAddress", "MessageStream"),
            _postmark_rows,
            ("emailaddress", "email"),
            ("createdat",),
            _postmark_kind,
            _items("Suppressions"),
        ),
        Provider(
            "mailchimp",
            ("Email Address", "Status"),
            _mailchimp_rows,
            ("email address", "email"),
            ("unsub_time", "clean_time"),
            _mailchimp_kind,
            _no_json,
        ),
    )
}


def provider(name: str) -> Provider:
    """The descriptor of `name`; OptoutError naming the known ones otherwise."""
    found = PROVIDERS.get(name.strip().lower())
    if found is None:
        raise OptoutError(f"unknown provider {name!r}: one of {', '.join(PROVIDERS)}", field="esp")
    return found


def write_import(path: Path, p: Provider, entries: Sequence[tuple[str, str, str]]) -> int:
    """Write `p`'s import file of (address, scope, created ISO) entries; returns the rows written.
    Every cell is formula-safe, so the file opens in a spreadsheet showing what the provider takes.
    Written under a hidden name and renamed when whole, so an upload job watching the folder
    never takes a cut-off file."""
    rows = 0
    partial = path.with_name(f".{path.name}.partial")
    try:
        with partial.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\r\n")
            writer.writerow(p.header)
            for address, scope, created in entries:
                for cells in p.rows_for(address, scope, created):
                    writer.writerow([neutralise(c) for c in cells])
                    rows += 1
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(partial, path)
        fsync_folder(path.parent)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise OptoutError(f"{path}: cannot write ({exc.strerror})", field="output") from None
    return rows


def read_export(path: Path, p: Provider) -> list[EspRow]:
    """Every row of `p`'s export of its suppression list in `path` (CSV, or JSON where it exports JSON)."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE:
            raise OptoutError(f"{path}: {size:,} bytes, over the {MAX_FILE:,} a provider export may have")
        data = path.read_bytes()
    except OSError as exc:
        raise OptoutError(f"{path}: cannot read ({exc.strerror})") from None
    return read_bytes(data, p, str(path))


def read_bytes(data: bytes, p: Provider, name: str) -> list[EspRow]:
    """`read_export` on bytes already read; `name` is what errors call the file."""
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if head in (b"{", b"["):
        return _json_rows(data, p, name)
    return _csv_rows(data, p, name)


def _json_rows(data: bytes, p: Provider, name: str) -> list[EspRow]:
    try:
        body = safejson.loads(data, JSON_LIMITS)
    except safejson.UnsafeJSON as exc:
        raise OptoutError(f"{name}: {exc}") from None
    items = p.json_items(body)
    if items is None:
        raise OptoutError(f"{name}: JSON without the list of suppressions a {p.name} export holds")
    rows = []
    for n, item in enumerate(items, 1):
        if not isinstance(item, dict):
            rows.append(EspRow(n, "", UNSUBSCRIBE, "not an object", None))
            continue
        fields = {str(k).lower(): _cell(v) for k, v in item.items()}
        rows.append(_row(n, fields, p))
    return rows


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(_cell(v) for v in value)
    return str(value)[:MAX_FIELD]


def _csv_rows(data: bytes, p: Provider, name: str) -> list[EspRow]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise OptoutError(f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    if "\x00" in text:
        raise OptoutError(f"{name}: binary data (NUL bytes), not CSV")
    old = csv.field_size_limit(MAX_FIELD)
    try:
        return list(_csv_records(text, p, name))
    except csv.Error as exc:
        raise OptoutError(f"{name}: not readable as CSV ({exc})") from None
    finally:
        csv.field_size_limit(old)


def _csv_records(text: str, p: Provider, name: str) -> Iterator[EspRow]:
    """Rows by the line they start on; a quote never closed is an error, not the rest of the file
    swallowed into one cell."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    header: list[str] | None = None
    start = 1
    try:
        for cells in reader:
            line, start = start, reader.line_num + 1
            if header is None:
                if any(c.strip() for c in cells):
                    header = _header(cells, p, name, line)
                continue
            if not any(c.strip() for c in cells):
                continue
            fields = {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(header) if h}
            yield _row(line, fields, p)
    except csv.Error as exc:
        raise OptoutError(f"{name} line {start}: not readable as CSV ({exc})") from None
    if header is None:
        raise OptoutError(f"{name}: no header row")


def _delimiter(text: str) -> str:
    """`,` unless the first line has more `;` or tabs (a spreadsheet's regional export)."""
    first = text.split("\n", 1)[0]
    return max((",", ";", "\t"), key=first.count) if first else ","


def _header(cells: list[str], p: Provider, name: str, line: int) -> list[str]:
    header = [c.strip().lower() for c in cells]
    seen: set[str] = set()
    for h in header:
        if h and h in seen:
            raise OptoutError(f"{name} line {line}: the column {h!r} is named twice")
        seen.add(h)
    if not any(c in seen for c in p.address_columns):
        wanted = " or ".join(repr(c) for c in p.address_columns)
        raise OptoutError(f"{name} line {line}: no address column ({wanted}) in a {p.name} export")
    return header


def _row(line: int, fields: dict[str, str], p: Provider) -> EspRow:
    address = next((fields[c] for c in p.address_columns if c in fields), "")
    created = next((fields[c].strip() for c in p.created_columns if (fields.get(c) or "").strip()), None)
    kind, reason = p.kind_of(fields)
    return EspRow(line, address.strip(), kind, reason.strip()[:200], created)
