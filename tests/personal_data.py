"""The clear personal data the tests deliver, and where they search for it where it must not be."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd


def clear_identifiers_of_posts(lines: Iterable[str]) -> set[str]:
    """Every author id, handle, name, post id, e-mail address, phone number, mentioned handle and coordinate
    of the posts (JSON lines of either shape; lines that are not JSON objects are skipped)."""
    found = set()
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if not isinstance(record, dict):
            continue
        user = record.get("author") or record.get("user") or {}
        found |= {str(user.get(key)) for key in ("id", "username", "screen_name", "name") if user.get(key)}
        found.add(str(record.get("author_id") or user.get("id")))
        found.add(str(record.get("mid") or record.get("id")))  # a post id opens the public post and its author
        text = html.unescape(record.get("text") or "")
        found |= set(re.findall(r"[\w.+-]+@[\w-]+\.[a-z]+", text)) | set(re.findall(r"\(?\d{3}\)?[ .-]?555[ .-]?01\d\d", text))
        found |= set(re.findall(r"(?<![\w.+-])@(\w+)", text))  # handles, not the domain of an e-mail address
        geo = record.get("geo") or {}
        point = (geo.get("coordinates") or {}).get("coordinates") if "author_id" in record else geo.get("coordinates") if geo else None
        found |= {str(value) for value in point or ()}
    return {value for value in found if len(value) >= 4 and value != "None"}


def found_in_delta_logs(lake_root, values: set[str]) -> dict[str, list[str]]:
    """The personal values found in any table's Delta log under ``lake_root``, restricted zones included, by file.

    The log keeps each data file's per-column statistics (min and max) after the rows are deleted and the
    files vacuumed, so an erased value must never be written there.
    """
    return found_in_files(lake_root, values, "_delta_log/*")


def found_in_files(root, values: set[str], glob: str = "*") -> dict[str, list[str]]:
    """The values found in the files under ``root`` matching ``glob``, by file (the first five of each).

    Parquet (data files, checkpoints) is searched cell by cell, anything else as text; a value counts only
    as a whole token (a national id inside a file size or a timestamp is not one).
    """
    patterns = {value: re.compile(r"(?<![0-9A-Za-z])" + re.escape(value) + r"(?![0-9A-Za-z])") for value in values}
    found = {}
    for path in Path(root).rglob(glob):
        if not path.is_file():
            continue
        if path.suffix == ".parquet":
            text = "\n".join(pd.read_parquet(path).astype(str).to_numpy().ravel())
        else:
            text = path.read_bytes().decode("utf-8", errors="replace")
        hits = sorted(value for value, pattern in patterns.items() if pattern.search(text))
        if hits:
            found[str(path.relative_to(root))] = hits[:5]
    return found
