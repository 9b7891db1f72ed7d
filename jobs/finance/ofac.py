"""The OFAC SDN list in its legacy CSV format: three header-less files, read by position.

``sdn.csv`` (entries), ``alt.csv`` (aliases) and ``add.csv`` (addresses) have no header row, write
``-0-`` for an empty field (with a trailing space), end with a DOS end-of-file byte (0x1A), and use CRLF.
Their layouts are fixed by Treasury's specification, so they are declared here, once, by position. A
file that does not fit them (a wrong number of fields, an ``ent_num`` that is not a number, an alias
or address of an entry the list does not have) is refused naming the file and line: a broken list must
never replace the list in force by an empty or partial one.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

EMPTY = "-0-"
END_OF_FILE = b"\x1a"
LAYOUTS = {
    "sdn.csv": ("ent_num", "sdn_name", "sdn_type", "program", "title", "call_sign", "vess_type", "tonnage", "grt", "vess_flag", "vess_owner", "remarks"),
    "alt.csv": ("ent_num", "alt_num", "alt_type", "alt_name", "alt_remarks"),
    "add.csv": ("ent_num", "add_num", "address", "city_state_zip", "country", "add_remarks"),
}
NAME_TYPES = {"aka", "fka", "nka"}


class ListFormatError(ValueError):
    """A list file that does not fit its legacy layout."""


@dataclass(frozen=True)
class SanctionsList:
    """One snapshot of the list: entries, aliases and addresses, as dicts of the layouts' fields."""

    entries: list[dict]
    aliases: list[dict]
    addresses: list[dict]

    def names(self) -> list[tuple[int, str, str]]:
        """(ent_num, name, kind) for every primary name and alias: what a screening compares against."""
        primary = [(entry["ent_num"], entry["sdn_name"], "primary") for entry in self.entries]
        return primary + [(alias["ent_num"], alias["alt_name"], alias["alt_type"]) for alias in self.aliases]


def read_rows(path: Path) -> list[dict]:
    """One legacy file's rows as dicts of its layout (``-0-`` as None), refusing what does not fit."""
    layout = LAYOUTS.get(path.name.lower())
    if layout is None:
        raise ListFormatError(f"{path}: not a file of the legacy SDN format (expected one of {sorted(LAYOUTS)})")
    data = path.read_bytes()
    if data.endswith(END_OF_FILE):
        data = data[: -len(END_OF_FILE)]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ListFormatError(f"{path}: not UTF-8 at byte {error.start}") from None
    rows = []
    for line, fields in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
        if not fields:
            continue
        if len(fields) != len(layout):
            raise ListFormatError(f"{path} line {line}: {len(fields)} fields, the layout has {len(layout)} ({', '.join(layout)})")
        values = [None if value.strip() == EMPTY else value.strip() for value in fields]
        row = dict(zip(layout, values))
        for number in ("ent_num", "alt_num", "add_num"):
            if number in row:
                if row[number] is None or not row[number].isdigit():
                    raise ListFormatError(f"{path} line {line}: {number} {row[number]!r} is not a number")
                row[number] = int(row[number])
        rows.append(row)
    if not rows:
        raise ListFormatError(f"{path}: no rows (an empty list is never loaded)")
    return rows


def read_list(folder: Path) -> SanctionsList:
    """The three files of one snapshot; aliases and addresses must belong to entries of the list."""
    entries, aliases, addresses = (read_rows(folder / name) for name in ("sdn.csv", "alt.csv", "add.csv"))
    known = {entry["ent_num"] for entry in entries}
    for name, rows in (("alt.csv", aliases), ("add.csv", addresses)):
        orphans = sorted({row["ent_num"] for row in rows} - known)
        if orphans:
            raise ListFormatError(f"{folder / name}: rows of entries not in sdn.csv: ent_num {orphans[:5]}")
    for alias in aliases:
        if not alias["alt_name"] or (alias["alt_type"] or "").lower() not in NAME_TYPES:
            raise ListFormatError(f"{folder / 'alt.csv'}: alias {alias['alt_num']} has type {alias['alt_type']!r} or no name")
        alias["alt_type"] = alias["alt_type"].lower()
    return SanctionsList(entries, aliases, addresses)
