"""Erasure on disk (SPEC §7 `erase`): the landing zone, the files the project wrote under
`OPTOUT_OUTPUT`, and the files send checks recorded (docs/audit.md, "Erasure on disk").

Every file is searched in the forms the address takes in it (`pipeline.audit.redaction`). A text
file that names the person is rewritten atomically (temporary file beside it, fsync, rename,
fsync of the folder) with the address redacted; a file whose name holds the address is renamed
too. What cannot be rewritten safely is listed with what to do instead: compressed or binary
files, read-only files, symbolic links, files still being written, and the files of a send
check (its signed receipt and `send_checks` hold their SHA-256, which a rewrite would break).

A rewritten landing file gets a new SHA-256: the `ingested_files` rows that held the old one
are moved to the new one (and its size), so the next run knows the file and ingests nothing
new; an export's manifest beside a rewritten file gets the new SHA-256 too."""

from __future__ import annotations

import os
import zipfile
from dataclasses import asdict, dataclass, field
from hashlib import sha256
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from pipeline.audit.file_texts import as_text, unpacked
from pipeline.audit.redaction import Redactor
from pipeline.core import safejson
from pipeline.core.durable import fsync_folder
from pipeline.intake.landing import in_flight, sha256_of
from pipeline.store.schema import ingested_files, send_checks

LANDING, OUTPUT, SEND_CHECK = "landing", "output", "send_check"
BINARY_NOTES = {
    "gzip": "a gzip file: not rewritten (compressed); decompress, redact and recompress it by hand, or delete it",
    "zip": "a zip file (or .xlsx): not rewritten (compressed); redact it in the program that made it, or delete it",
    "Parquet": "a Parquet file: not rewritten (compressed columns); write it again without the address, or delete it",
    "binary": "a binary file: not rewritten (offsets inside it would break); redact it with the program that wrote it, "
    "or delete it",
}
SEND_CHECK_ACTION = (
    "not rewritten: send check {check} (campaign {campaign}) holds its SHA-256 in `send_checks` and its "
    "signed receipt, and a rewrite would make `optout audit campaign` fail; delete the file once that "
    "evidence is no longer needed (the audit then reports it missing), or keep it as the record of the "
    "send (GDPR Art. 17(3)(e))"
)


@dataclass
class FileChange:
    """One file erasure touched (or would touch, in a dry run)."""

    path: str
    area: str  # landing, output or send_check
    action: str  # rewrite or manual
    note: str = ""  # for manual: why it was not rewritten and what to do
    new_path: str | None = None  # when the file's name held the address
    old_sha256: str = ""
    new_sha256: str = ""
    ingested_rows: int = 0  # ingested_files rows moved to the new SHA-256

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Planned:
    change: FileChange
    content: bytes | None = None  # the redacted content, for a rewrite
    staged: Path | None = None


@dataclass
class FilePlan:
    """What erasure does on disk: rewrites (staged beside their files) and manual actions."""

    planned: list[_Planned] = field(default_factory=list)

    @property
    def changes(self) -> list[FileChange]:
        return [p.change for p in self.planned]

    def discard(self) -> None:
        """Remove staged files that were not renamed into place."""
        for p in self.planned:
            if p.staged is not None:
                p.staged.unlink(missing_ok=True)
                p.staged = None


def recorded_send_files(conn: sa.Connection) -> dict[Path, str]:
    """Every file a send check recorded (input, output, receipt), with the note saying why it
    stays as it is."""
    found: dict[Path, str] = {}
    for row in conn.execute(sa.select(send_checks.c.id, send_checks.c.campaign, send_checks.c.input_path, send_checks.c.receipt_path)):
        note = SEND_CHECK_ACTION.format(check=row.id, campaign=row.campaign or "-")
        paths = [row.input_path, row.receipt_path, _receipt_output(row.receipt_path)]
        for path in paths:
            if path:
                found[_key(Path(path))] = note
    return found


def ingested_paths(conn: sa.Connection) -> list[Path]:
    return [Path(p) for p in conn.execute(sa.select(ingested_files.c.path).distinct()).scalars()]


def _receipt_output(receipt: str | None) -> str | None:
    if not receipt:
        return None
    try:
        data = safejson.loads(Path(receipt).read_text(encoding="utf-8"))
    except (OSError, ValueError):  # UnsafeJSON is a ValueError
        return None
    output = data.get("output") if isinstance(data, dict) else None
    return output if isinstance(output, str) else None


def _key(path: Path) -> Path:
    return Path(os.path.abspath(path))


def plan_files(
    redactor: Redactor,
    roots: list[tuple[str, Path]],
    extra: list[tuple[str, Path]],
    protected: dict[Path, str],
    skip: set[Path],
    *,
    stage: bool,
) -> FilePlan:
    """Search every file under the roots (and the extra files), deciding for each that names
    the person: rewrite (staged now when `stage`) or manual action."""
    plan, seen = FilePlan(), set(skip)
    candidates = [(area, path) for area, root in roots for path in _walk(root)] + extra
    for area, path in candidates:
        key = _key(path)
        if key in seen or not (path.is_file() or path.is_symlink()):
            continue
        seen.add(key)
        planned = _plan_one(redactor, area, path, protected.get(key))
        if planned is not None:
            plan.planned.append(planned)
    for area, root in roots:
        for folder in _folders(root):
            if redactor.hits(folder.name):
                note = "a folder whose name holds the address: rename it by hand (the files in it are handled)"
                plan.planned.append(_Planned(FileChange(str(folder), area, "manual", note)))
    _plan_manifests(plan)
    if stage:
        for p in plan.planned:
            if p.content is not None and p.change.action == "rewrite":
                try:
                    p.staged = _stage(Path(p.change.path), p.content)
                except OSError as exc:
                    p.change.action = "manual"
                    p.change.note = f"cannot write beside it ({exc.strerror}): redact it by hand or run erase again"
    return plan


def _walk(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    found: list[Path] = []
    for folder, _dirs, names in os.walk(root):
        found.extend(Path(folder) / name for name in sorted(names))
    return sorted(found)


def _folders(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(Path(folder) / name for folder, dirs, _names in os.walk(root) for name in dirs)


def _plan_one(redactor: Redactor, area: str, path: Path, send_note: str | None) -> _Planned | None:
    """The plan for one file, or None when it does not name the person."""
    manual = _Planned(FileChange(str(path), SEND_CHECK if send_note else area, "manual"))
    if path.is_symlink():
        target = os.readlink(path)
        if not redactor.hits(path.name) and not redactor.hits(target):
            return _plan_target_only(redactor, manual, path)
        manual.change.note = f"a symbolic link (to {target}) whose name holds the address: rename it by hand"
        return manual
    try:
        data = path.read_bytes()
    except OSError as exc:
        manual.change.note = f"cannot be read ({exc.strerror}): check it by hand"
        return manual
    digest = sha256(data).hexdigest()
    manual.change.old_sha256 = digest
    text = as_text(data)
    if text is None:
        planned = _plan_binary(redactor, manual, path, data)
        if planned is not None and send_note:
            planned.change.note = send_note
        return planned
    content, codec = text
    redacted = redactor.redact(content) or ""
    renamed = redactor.redact(path.name) if redactor.hits(path.name) else None
    if redacted == content and renamed is None:
        return None
    if send_note:
        manual.change.note = send_note
    elif in_flight(path.name) or path.name.endswith(".partial"):
        manual.change.note = "still being written (in-flight name): run `optout erase` again once it is finished"
    elif not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK):
        manual.change.note = "not writable: make it (and its folder) writable and run `optout erase` again"
    elif renamed is not None and (path.parent / renamed).exists():
        manual.change.note = f"its name holds the address and {path.parent / renamed} exists: rename it by hand"
    else:
        new = redacted.encode(codec)
        change = FileChange(str(path), area, "rewrite", old_sha256=digest, new_sha256=sha256(new).hexdigest())
        if renamed is not None:
            change.new_path = str(path.parent / renamed)
        return _Planned(change, new)
    return manual


def _plan_target_only(redactor: Redactor, manual: _Planned, path: Path) -> _Planned | None:
    """A symbolic link: its target is searched where it lies (a rename would replace the link)."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    text = as_text(data)
    if not (redactor.hits(text[0]) if text else redactor.hits(data.decode("latin-1"))):
        return None
    manual.change.note = f"a symbolic link to {os.readlink(path)}: redact the file it points to, then run erase again"
    return manual


def _plan_binary(redactor: Redactor, manual: _Planned, path: Path, data: bytes) -> _Planned | None:
    """Compressed or binary: searched (decompressed where we can), never rewritten."""
    try:
        texts, kind = unpacked(data)
    except (OSError, EOFError, zipfile.BadZipFile, ValueError) as exc:
        manual.change.note = f"a compressed file that cannot be searched ({exc}): check it by hand or delete it"
        return manual
    if not any(redactor.hits(t) for t in texts) and not redactor.hits(path.name):
        return None
    manual.change.note = BINARY_NOTES[kind]
    return manual


def _plan_manifests(plan: FilePlan) -> None:
    """A JSON file beside a rewritten output file that names its old SHA-256 (an export's
    manifest) gets the new one."""
    by_path = {p.change.path: p for p in plan.planned}
    for p in list(plan.planned):
        c = p.change
        if c.action != "rewrite" or c.area != OUTPUT:
            continue
        for sibling in sorted(Path(c.path).parent.glob("*.json")):
            if str(sibling) == c.path:
                continue
            other = by_path.get(str(sibling))
            if other is not None and other.content is None:
                continue  # listed for manual action
            try:
                text = other.content.decode("utf-8") if other and other.content else sibling.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            if c.old_sha256 not in text:
                continue
            new = text.replace(c.old_sha256, c.new_sha256).encode("utf-8")
            if other is None:
                old = sibling.read_bytes()
                other = _Planned(FileChange(str(sibling), OUTPUT, "rewrite", old_sha256=sha256(old).hexdigest()))
                plan.planned.append(other)
                by_path[str(sibling)] = other
            other.content = new
            other.change.new_sha256 = sha256(new).hexdigest()
            other.change.note = f"SHA-256 of {Path(c.path).name} updated"


def _stage(path: Path, content: bytes) -> Path:
    """The new content written and fsynced beside the file, under a name no reader picks up."""
    staged = path.with_name(f".{path.name}.erasing.tmp")
    with staged.open("wb") as fh:
        fh.write(content)
        fh.flush()
        os.fsync(fh.fileno())
    st = path.stat()
    os.chmod(staged, st.st_mode & 0o7777)
    if (st.st_uid, st.st_gid) != (os.geteuid(), os.getegid()):
        try:
            os.chown(staged, st.st_uid, st.st_gid)
        except PermissionError:
            pass  # the rewritten file belongs to whoever runs erase
    return staged


def apply_plan(conn: sa.Connection, plan: FilePlan) -> list[FileChange]:
    """Rename each staged file into place (inside the erasure's transaction, so the hashes in
    `ingested_files` move with it) and return every change; in a dry run (nothing staged, the
    transaction rolled back) only the hashes are moved, to count them. A file that changed
    since it was searched is left alone and listed."""
    for p in plan.planned:
        c = p.change
        if c.action != "rewrite":
            continue
        path = Path(c.path)
        if p.staged is not None:
            if _sha256_of(path) != c.old_sha256:
                c.action, c.note = "manual", "changed while erasure ran: run `optout erase` again"
                continue
            try:
                _put_in_place(p.staged, path, c.new_path)
            except OSError as exc:
                c.action, c.note = "manual", f"could not be replaced ({exc.strerror}): redact it by hand or run erase again"
                continue
            p.staged = None
        if c.area == LANDING:
            c.ingested_rows = _move_hash(conn, c.old_sha256, c.new_sha256, len(p.content or b""))
    return plan.changes


def _put_in_place(staged: Path, path: Path, new_path: str | None) -> None:
    """The staged content renamed over the file (then to its new name), the folder fsynced."""
    os.replace(staged, path)
    if new_path:
        os.replace(path, new_path)
    fsync_folder(path.parent)


def _move_hash(conn: sa.Connection, old: str, new: str, size: int) -> int:
    """Point the `ingested_files` rows of the old content at the new one, so the next run
    knows the rewritten file (a channel that already knows the new hash keeps its row)."""
    f = ingested_files.c
    rows = conn.execute(sa.select(f.id, f.channel).where(f.sha256 == old)).all()
    moved = 0
    for row in rows:
        taken = conn.execute(sa.select(f.id).where(f.channel == row.channel, f.sha256 == new)).first()
        if taken is None:
            conn.execute(ingested_files.update().where(f.id == row.id).values(sha256=new, size=size))
            moved += 1
    return moved


def _sha256_of(path: Path) -> str:
    try:
        return sha256_of(path)
    except OSError:
        return ""
