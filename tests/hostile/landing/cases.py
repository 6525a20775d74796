"""Hostile landing zones, built in a temporary folder (links, FIFOs and odd names cannot be
committed portably). Each case makes one thing beside a good file and names the path a run
must list as a warning, with a word of the reason; `None` means silently skipped."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

SECRET = "TOP-SECRET-ssh-key-4f9a1c"  # what a file outside the landing zone holds
GOOD_CALLS = (
    "call_id,started_at,caller_number,account_id,email,disposition\n"
    "CALL-GOOD-1,2026-10-10 09:00,,,good.caller@example.com,OPT_OUT\n"
)
SECRET_CALLS = (
    "call_id,started_at,caller_number,account_id,email,disposition\n"
    f"CALL-SECRET-1,2026-10-10 09:00,,,{SECRET.lower()}@example.com,OPT_OUT\n"
)


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[Path, Path], None]  # (landing root, a folder outside it)
    warned: str | None  # path relative to the root listed as a warning; None: skipped silently
    reason: str = ""  # a word the warning's reason carries


def day(root: Path, channel: str = "phone", name: str = "2026-10-10") -> Path:
    folder = root / channel / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def secret_file(outside: Path) -> Path:
    path = outside / "secret_calls.csv"
    path.write_text(SECRET_CALLS, encoding="utf-8")
    return path


def _link_file_out(root: Path, outside: Path) -> None:
    (day(root) / "calls_secret.csv").symlink_to(secret_file(outside))


def _link_day_out(root: Path, outside: Path) -> None:
    secret_file(outside)
    (root / "phone").mkdir(parents=True, exist_ok=True)
    (root / "phone" / "2026-10-09").symlink_to(outside, target_is_directory=True)


def _link_channel_out(root: Path, outside: Path) -> None:
    folder = outside / "postal" / "2026-10-10"
    folder.mkdir(parents=True)
    (folder / "letters.csv").write_text(f"letter_id,received_at,email,account_id\nL1,2026-10-10,{SECRET}@x.example,\n", encoding="utf-8")
    (root / "postal_mail").symlink_to(outside / "postal", target_is_directory=True)


def _link_root_level_out(root: Path, outside: Path) -> None:
    (root / "phone_archive").symlink_to(outside, target_is_directory=True)


def _link_inside(root: Path, outside: Path) -> None:
    (day(root) / "copy_of_good.csv").symlink_to(day(root) / "good.csv")


def _link_to_future(root: Path, outside: Path) -> None:
    (day(root, name="2026-12-01") / "future.csv").write_text(GOOD_CALLS.replace("GOOD", "FUTURE"), encoding="utf-8")
    (day(root) / "early.csv").symlink_to(Path("..") / "2026-12-01" / "future.csv")


def _link_loop(root: Path, outside: Path) -> None:
    (day(root) / "loop.csv").symlink_to("loop.csv")


def _link_dangling(root: Path, outside: Path) -> None:
    (day(root) / "gone.csv").symlink_to(outside / "no_such_file.csv")


def _hard_link_out(root: Path, outside: Path) -> None:
    os.link(secret_file(outside), day(root) / "calls_hardlinked.csv")


def _odd_folder(name: str) -> Callable[[Path, Path], None]:
    def build(root: Path, outside: Path) -> None:
        (day(root, name=name) / "calls.csv").write_text(GOOD_CALLS.replace("GOOD", "ODD"), encoding="utf-8")

    return build


def _unknown_channel(root: Path, outside: Path) -> None:
    (day(root, channel="phones") / "calls.csv").write_text(GOOD_CALLS.replace("GOOD", "UNKNOWN"), encoding="utf-8")


def _file_at_root(root: Path, outside: Path) -> None:
    (root / "calls.csv").write_text(GOOD_CALLS.replace("GOOD", "ROOT"), encoding="utf-8")


def _file_at_channel_root(root: Path, outside: Path) -> None:
    (root / "phone").mkdir(exist_ok=True)
    (root / "phone" / "calls.csv").write_text(GOOD_CALLS.replace("GOOD", "CHANROOT"), encoding="utf-8")


def _channel_is_file(root: Path, outside: Path) -> None:
    (root / "preference_center").write_text("not a folder\n", encoding="utf-8")


def _wrong_extension(root: Path, outside: Path) -> None:
    (day(root) / "calls.xlsx").write_bytes(b"PK\x03\x04 not read")


def _fifo(root: Path, outside: Path) -> None:
    os.mkfifo(day(root) / "calls_pipe.csv")


def _folder_named_like_file(root: Path, outside: Path) -> None:
    (day(root) / "calls_dir.csv").mkdir()


def _folder_in_day(root: Path, outside: Path) -> None:
    (day(root) / "more").mkdir()
    (day(root) / "more" / "calls.csv").write_text(GOOD_CALLS.replace("GOOD", "NESTED"), encoding="utf-8")


def _in_flight(root: Path, outside: Path) -> None:
    for name in (".calls.csv", "_calls.csv", "calls.csv.tmp", "calls.csv.part"):
        (day(root) / name).write_text(GOOD_CALLS.replace("GOOD", "INFLIGHT"), encoding="utf-8")
    (day(root, name=".2026-10-09")).mkdir(exist_ok=True)


def _future_folder(root: Path, outside: Path) -> None:
    (day(root, name="2026-10-11") / "calls.csv").write_text(GOOD_CALLS.replace("GOOD", "TOMORROW"), encoding="utf-8")


def _accounts_stray(root: Path, outside: Path) -> None:
    (day(root, channel="accounts", name="2026-10-01") / "accounts_old.csv").write_text("account_id,email\n", encoding="utf-8")


NOT_A_DATE = "not a date folder"
CASES = [
    Case("symlink_file_out_of_root_to_secret", _link_file_out, "phone/2026-10-10/calls_secret.csv", "outside the landing zone"),
    Case("symlink_date_folder_out_of_root", _link_day_out, "phone/2026-10-09", "outside the landing zone"),
    Case("symlink_channel_folder_out_of_root", _link_channel_out, "postal_mail", "outside the landing zone"),
    Case("symlink_at_root_out_of_root", _link_root_level_out, "phone_archive", "outside the landing zone"),
    Case("symlink_inside_root", _link_inside, "phone/2026-10-10/copy_of_good.csv", "not followed"),
    Case("symlink_inside_root_to_future_folder", _link_to_future, "phone/2026-10-10/early.csv", "not followed"),
    Case("symlink_loop", _link_loop, "phone/2026-10-10/loop.csv", "loop"),
    Case("symlink_dangling", _link_dangling, "phone/2026-10-10/gone.csv", "does not exist"),
    Case("hard_link_to_secret", _hard_link_out, "phone/2026-10-10/calls_hardlinked.csv", "hard links"),
    Case("folder_iso_week_2026-W41-1", _odd_folder("2026-W41-1"), "phone/2026-W41-1", NOT_A_DATE),
    Case("folder_basic_format_20261010", _odd_folder("20261010"), "phone/20261010", NOT_A_DATE),
    Case("folder_short_day_2026-10-1", _odd_folder("2026-10-1"), "phone/2026-10-1", NOT_A_DATE),
    Case("folder_impossible_day_2026-02-30", _odd_folder("2026-02-30"), "phone/2026-02-30", NOT_A_DATE),
    Case("folder_trailing_space", _odd_folder("2026-10-10 "), "phone/2026-10-10 ", NOT_A_DATE),
    Case("folder_trailing_newline", _odd_folder("2026-10-10\n"), "phone/2026-10-10\n", NOT_A_DATE),
    Case("folder_arabic_indic_digits", _odd_folder("٢٠٢٦-١٠-١٠"), "phone/٢٠٢٦-١٠-١٠", NOT_A_DATE),
    Case("folder_with_time_2026-10-10T00", _odd_folder("2026-10-10T00"), "phone/2026-10-10T00", NOT_A_DATE),
    Case("unknown_channel_folder", _unknown_channel, "phones", "unknown channel folder"),
    Case("file_at_landing_root", _file_at_root, "calls.csv", "landing zone root"),
    Case("file_at_channel_root", _file_at_channel_root, "phone/calls.csv", "directly in the channel folder"),
    Case("channel_folder_is_a_file", _channel_is_file, "preference_center", "where the channel folder belongs"),
    Case("wrong_extension", _wrong_extension, "phone/2026-10-10/calls.xlsx", "it reads *.csv"),
    Case("fifo_named_like_csv", _fifo, "phone/2026-10-10/calls_pipe.csv", "FIFO"),
    Case("folder_named_like_file", _folder_named_like_file, "phone/2026-10-10/calls_dir.csv", "a folder inside a date folder"),
    Case("folder_inside_date_folder", _folder_in_day, "phone/2026-10-10/more", "a folder inside a date folder"),
    Case("accounts_folder_stray_file", _accounts_stray, "accounts/2026-10-01/accounts_old.csv", "it reads accounts.csv"),
    Case("in_flight_names_skipped_silently", _in_flight, None),
    Case("future_folder_waits_silently", _future_folder, None),
]


def build_landing(root: Path, outside: Path, cases: list[Case]) -> None:
    """A good phone file, then every case's hostile thing."""
    root.mkdir(parents=True, exist_ok=True)
    outside.mkdir(parents=True, exist_ok=True)
    (day(root) / "good.csv").write_text(GOOD_CALLS, encoding="utf-8")
    for case in cases:
        case.build(root, outside)
