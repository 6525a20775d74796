"""What the check's readers and `pipeline.check.run` share: the hashing reader and writer (the
receipt's `input_sha256` and `output_sha256` are of the bytes as they pass), the counts a reader
hands back (`Tally`), the address column of a header and CSV text opened in its encoding."""
from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from pipeline.core.errors import OptoutError

# Header names the address column goes by in common exports, compared case-, space-, "_"- and
# "-"-blind: "Email Address" (Mailchimp), "Email" (HubSpot, Salesforce, Klaviyo), "E-mail",
# "email_address", "Email address", "recipient".
ADDRESS_NAMES = ("email", "emailaddress", "recipient")


@dataclass
class Tally:
    """What a reader found and wrote: counts, the SHA-256 of what it read and wrote, and which
    reader it was (for messages and tests; not in the receipt)."""

    rows_in: int = 0
    kept: int = 0
    suppressed: int = 0
    invalid: int = 0
    duplicates: int = 0
    input_sha256: str = ""
    output_sha256: str = ""
    reader: str = ""

    def counts(self) -> dict[str, int]:
        return {"rows_in": self.rows_in, "kept": self.kept, "suppressed": self.suppressed, "invalid": self.invalid}


class HashingWriter:
    """A binary file that keeps the SHA-256 of what is written to it."""

    def __init__(self, path: Path) -> None:
        self.fh = path.open("wb")
        self.sha = hashlib.sha256()

    def write(self, data: bytes | memoryview) -> None:
        self.sha.update(data)
        self.fh.write(data)

    def close(self) -> str:
        self.fh.close()
        return self.sha.hexdigest()


class HashingReader:
    """A binary file that keeps the SHA-256 of what is read from it."""

    def __init__(self, path: Path) -> None:
        try:
            self.fh: BinaryIO = path.open("rb")
        except OSError as exc:
            raise OptoutError(f"{path}: cannot read ({exc.strerror})") from None
        self.sha = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.fh.read(size)
        self.sha.update(data)
        return data

    def readinto(self, view: memoryview) -> int:
        n = self.fh.readinto(view)  # type: ignore[attr-defined]
        self.sha.update(view[:n])
        return n

    def readline(self) -> bytes:
        data = self.fh.readline()
        self.sha.update(data)
        return data

    def close(self) -> None:
        self.fh.close()


def file_identity(fh: BinaryIO) -> tuple[int, int, int]:
    """(inode, size, change time) of an open file: compared before and after a check."""
    st = os.fstat(fh.fileno())
    return st.st_ino, st.st_size, st.st_mtime_ns


def header_name(name: str) -> str:
    """A header as compared with `ADDRESS_NAMES`: case, spaces, `_` and `-` do not count."""
    return re.sub(r"[\s_\-]+", "", name.strip().strip("\ufeff").casefold())


def address_column(header: list[str], column: str | None, path: Path) -> int:
    """The address column: the one `column` names (exactly, else case/space/`_`/`-`-blind),
    or the one whose header is a name common exports use. Two candidates: bad input."""
    if column:
        wanted = column.strip().casefold()
        found = [i for i, h in enumerate(header) if h.strip().casefold() == wanted] or \
            [i for i, h in enumerate(header) if header_name(h) == header_name(column)]
        if not found:
            raise OptoutError(f"{path}: no column named {column!r} (columns: {', '.join(header)})", field="column")
    else:
        found = [i for i, h in enumerate(header) if header_name(h) in ADDRESS_NAMES]
        if not found:
            hint = "; the first row looks like an address: the file needs a header row" \
                if any("@" in h for h in header) else ""
            raise OptoutError(
                f"{path}: no address column (looked for a header such as Email, E-mail, Email Address, email_address "
                f"or recipient among: {', '.join(header)}; name the address column to check){hint}",
                field="column",
            )
    if len(found) > 1:
        names = " and ".join(repr(header[i]) for i in found)
        raise OptoutError(f"{path}: columns {names} could each be the address column: name the one to check",
                          field="column")
    return found[0]


def open_text(path: Path) -> Any:
    """A CSV opened as UTF-8 (BOM dropped) or, when it is not UTF-8, as Windows-1252."""
    try:
        with path.open(encoding="utf-8-sig") as fh:
            for _ in iter(lambda: fh.read(1 << 20), ""):
                pass
        encoding = "utf-8-sig"
    except UnicodeDecodeError:
        encoding = "cp1252"
    except OSError as exc:
        raise OptoutError(f"{path}: cannot read ({exc.strerror})") from None
    if encoding == "cp1252":
        try:
            with path.open(encoding=encoding) as fh:
                for _ in iter(lambda: fh.read(1 << 20), ""):
                    pass
        except UnicodeDecodeError as exc:
            raise OptoutError(f"{path}: neither UTF-8 nor Windows-1252 text ({exc.reason})") from None
    return path.open(encoding=encoding, newline="")
