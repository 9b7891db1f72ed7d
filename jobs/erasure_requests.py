"""Erasure requests: reviewed data, delivered as CSV files into ``<inbox>/erasure_requests/``, checked before anything is done.

Without Spark, so the erasure DAG's review task, the command line and the erase and certify jobs (jobs/erasure.py)
read them the same way. A request names its subject by the identifier its kind declares (``subjects:`` in a
domain's declarations); that identifier is personal data, so it is never logged, never in an error, a repr,
XCom or a certificate, and once the request is certified its line holds the subject's pseudonym instead.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from jobs import landing
from jobs.declarations import registry
from jobs.pseudonyms import PSEUDONYM_HEX_CHARS
from jobs.settings import Settings

log = logging.getLogger("citylake.erasure")

REQUESTS_FOLDER = "erasure_requests"  # under the inbox
REQUEST_FIELDS = ("request_id", "subject_kind", "subject_identifier", "reason", "requested_by", "approved_by", "requested_at")
CARRIED_OUT = "pseudonym:"  # a certified request's identifier, replaced by this and the subject's pseudonym
# A whole token: the identifier not inside a longer run of letters or digits (an account inside another).
_EDGE = "0-9A-Za-z"


class RequestFileError(ValueError):
    """A request file cannot be read as requests; the message names file and line, never an identifier."""


@dataclass(frozen=True)
class Request:
    request_id: str
    subject_kind: str
    identifier: str = field(repr=False)  # personal data: never logged, never in a certificate
    reason: str
    requested_by: str
    approved_by: str
    requested_at: str
    file: str
    line: int

    @property
    def approved(self) -> bool:
        return bool(self.approved_by)

    @property
    def certified(self) -> bool:
        return self.identifier.startswith(CARRIED_OUT)


def token_pattern(identifier: str) -> str:
    """The identifier as a whole token; the same pattern in Python's and Java's regex (identifiers are word-like)."""
    return f"(?<![{_EDGE}]){re.escape(identifier)}(?![{_EDGE}])"


def _request(path: Path, line: int, row: dict) -> Request:
    where = f"{path}, line {line}" if line else f"{path}, the new request"
    if None in row or any(row.get(name) is None for name in REQUEST_FIELDS):
        raise RequestFileError(f"{where}: a request has exactly the fields {list(REQUEST_FIELDS)}")
    values = {name: row[name].strip() for name in REQUEST_FIELDS}
    for name in REQUEST_FIELDS:
        if name != "approved_by" and not values[name]:
            raise RequestFileError(f"{where}: {name} is empty")
    try:
        kind = registry().subject(values["subject_kind"])
    except KeyError as error:
        raise RequestFileError(f"{where}: {error.args[0]}") from None
    identifier = values["subject_identifier"]
    certified = identifier.startswith(CARRIED_OUT) and re.fullmatch(f"[0-9a-f]{{{PSEUDONYM_HEX_CHARS}}}", identifier[len(CARRIED_OUT):])
    if not certified and not re.fullmatch(kind.identifier_pattern, identifier):
        raise RequestFileError(f"{where}: subject_identifier is not {kind.identifier} (the form {kind.identifier_pattern}); the value is not repeated here")
    try:
        datetime.fromisoformat(values["requested_at"])
    except ValueError:
        raise RequestFileError(f"{where}: requested_at {values['requested_at']!r} is not an ISO 8601 date and time") from None
    return Request(values["request_id"], kind.kind, identifier, values["reason"], values["requested_by"], values["approved_by"], values["requested_at"], str(path), line)


def request_files(settings: Settings) -> list[Path]:
    folder = Path(settings.inbox_root) / REQUESTS_FOLDER
    return sorted(folder.glob("*.csv")) if folder.is_dir() else []


def read_requests(settings: Settings) -> list[Request]:
    """Every request delivered, checked; the same request id twice with another subject is refused."""
    requests: dict[str, Request] = {}
    for path in request_files(settings):
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            missing = [name for name in REQUEST_FIELDS if name not in (reader.fieldnames or [])]
            if missing:
                raise RequestFileError(f"{path}: the header lacks {missing}; a request file has the columns {list(REQUEST_FIELDS)}")
            try:
                for row in reader:
                    request = _request(path, reader.line_num, row)
                    earlier = requests.get(request.request_id)
                    if earlier and (earlier.subject_kind, earlier.identifier) != (request.subject_kind, request.identifier):
                        raise RequestFileError(f"{path}, line {reader.line_num}: request {request.request_id} was given for another subject in {earlier.file}, line {earlier.line}")
                    requests.setdefault(request.request_id, request)
            except csv.Error as error:
                raise RequestFileError(f"{path}, line {reader.line_num}: not CSV ({error})") from None
    return list(requests.values())


def pending(settings: Settings) -> list[Request]:
    """Approved requests not certified yet; those awaiting approval are logged and left alone."""
    requests = read_requests(settings)
    for request in requests:
        if not request.approved:
            log.info("erasure request %s awaits approval: nothing is done", request.request_id)
    return [request for request in requests if request.approved and not request.certified]


def mark_certified(request: Request, pseudonym: str) -> None:
    """Rewrite the request's line with the identifier replaced by ``pseudonym:<the subject's pseudonym>``."""
    path = Path(request.file)
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header, rows = reader.fieldnames, list(reader)
    for row in rows:
        if row["request_id"].strip() == request.request_id:
            row["subject_identifier"] = CARRIED_OUT + pseudonym
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    landing._LocalStore(str(path.parent)).put_text(path.name, out.getvalue())




def add_request(settings: Settings, subject_kind: str, identifier: str, reason: str, requested_by: str, approved_by: str = "",
                request_id: str | None = None, requested_at: datetime | None = None) -> Request:
    """Append one request to today's request file (created with its header), checked as the DAG will read it."""
    requested_at = requested_at or datetime.now().astimezone()
    request_id = request_id or f"er-{requested_at:%Y%m%d%H%M%S}"
    row = dict(zip(REQUEST_FIELDS, (request_id, subject_kind, identifier, reason, requested_by, approved_by, requested_at.isoformat(timespec="seconds"))))
    path = Path(settings.inbox_root) / REQUESTS_FOLDER / f"requests-{requested_at:%Y-%m-%d}.csv"
    request = _request(path, 0, row)  # refused here, before anything is written, as the DAG would refuse it
    if any(earlier.request_id == request_id for earlier in read_requests(settings)):
        raise RequestFileError(f"{path}: request {request_id} exists already")
    path.parent.mkdir(parents=True, exist_ok=True)
    existing = path.read_text(encoding="utf-8") if path.exists() else ""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=REQUEST_FIELDS, lineterminator="\n")
    if not existing:
        writer.writeheader()
    writer.writerow(row)
    landing._LocalStore(str(path.parent)).put_text(path.name, existing + out.getvalue())
    return request
