"""The clear personal data a delivery of social posts holds, for tests that search where it must not be."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable


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
