"""Landing: put a delivered raw file, unchanged, into the landing zone and record it in the manifest.

Runs in the Airflow worker without Spark: it only copies bytes and counts records. The manifest has one
JSON document per file content (keyed by sha256), so re-delivering the same file, under any name or
on any day, is detected and is a no-op. On S3 the copy goes through boto3; locally it is a file copy.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from jobs import faults
from jobs.settings import Settings

_CHUNK = 1 << 20
# Python's csv refuses a field over 128 KiB, so one request with a long free-text field would fail the
# whole day's file; Spark reads such a field as it is. The bound is the largest every platform's C long
# holds (sys.maxsize overflows on Windows); an unclosed quote is still bounded by the file's own size.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


class LandingError(RuntimeError):
    """A delivered file cannot be landed; the message names the file and what is wrong."""


class NoDelivery(LandingError):
    """Nothing has been delivered yet for the day: a reason to wait, not a fault in a file."""


@dataclass(frozen=True)
class DeliveryColumns:
    """The columns a source's files must hold, in each spelling the source is published in.

    A city publishes one dataset in several shapes (a portal CSV export with "Unique Key", an API with
    ``unique_key``); a file is accepted when its columns hold every required column of one spelling.
    ``layouts`` are each spelling's full known header: a delivered column outside it, or a known
    column that stopped coming, is schema drift (reported, not an error); columns matching
    ``expected_extra`` come and go by design and are not drift.

    ``headerless``: files of a legacy fixed layout that have no header row (the OFAC SDN CSV files), by
    file name, with their columns by position: such a file must have exactly that many fields on every
    line. A source with no ``spellings`` accepts only those files.
    """

    spellings: tuple[tuple[str, ...], ...]
    layouts: tuple[tuple[str, ...], ...] = ()
    expected_extra: str | None = None
    headerless: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def headerless_layout(self, file_name: str) -> tuple[str, ...] | None:
        return dict(self.headerless).get(file_name.lower())

    def missing(self, header: Sequence[str], omits_nulls: bool = False) -> list[str]:
        """``[]`` when ``header`` holds one spelling whole, else what the closest spelling lacks.

        ``omits_nulls``: the file leaves out a field where it is null (Socrata JSON), so a column null
        in every record is absent; then one column of a spelling is enough to recognise it.
        """
        gaps = [[column for column in spelling if column not in header] for spelling in self.spellings]
        closest = min(gaps, key=len)
        if omits_nulls and any(len(gap) < len(spelling) for gap, spelling in zip(gaps, self.spellings)):
            return []
        return closest

    def drift_checked(self, header: Sequence[str], omits_nulls: bool = False) -> tuple[list[str], list[str]]:
        """The delivered columns the drift check looks at, and the known layout they should match.

        ``omits_nulls`` (see :meth:`missing`): a known column that is absent is not drift there.
        """
        import re

        checked = [name for name in header if not (self.expected_extra and re.match(self.expected_extra, name))]
        layouts = self.layouts or self.spellings
        closest = max(layouts, key=lambda layout: len(set(layout) & set(checked)))
        return checked, [name for name in closest if name in checked or not omits_nulls]


@dataclass(frozen=True)
class ManifestEntry:
    """What the lake knows about one delivered file."""

    source: str
    file_name: str
    logical_date: str
    size_bytes: int
    sha256: str
    rows: int
    received_at: str
    landed_path: str
    # The file's own columns, in delivered order (entries written before they were kept have none).
    columns: tuple[str, ...] = field(default=())
    # When retention deleted the landed file (jobs/retention.py); the entry stays, so a re-delivery is still known.
    expired_at: str | None = None
    # Erasures that rewrote the landed file without a subject's records, oldest first: request ids, the
    # content's hash before and after, records removed. ``sha256`` stays the delivered content's: it names
    # the batch (a rerun of the day finds bronze holding it) and recognises a re-delivery of the same file.
    rewrites: tuple[dict, ...] = field(default=())

    @property
    def landed_key(self) -> str:
        return f"{self.source}/{self.logical_date}/{self.file_name}"

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "ManifestEntry":
        document = json.loads(text)
        return cls(**{**document, "columns": tuple(document.get("columns") or ()), "rewrites": tuple(document.get("rewrites") or ())})


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as raw:
        for chunk in iter(lambda: raw.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _open_text(path: Path):
    """The delivered text, decompressed when the name says gzip (as Spark decides it, by ``.gz``).

    ``utf-8-sig``: an export saved with a UTF-8 byte-order mark would otherwise carry it as part of its
    first column's name ("\\ufeffUnique Key"); Spark's CSV reader drops the mark too.
    """
    if _is_gzip(path):
        return gzip.open(path, "rt", newline="", encoding="utf-8-sig")
    return open(path, newline="", encoding="utf-8-sig")


def _csv_columns_and_rows(path: Path) -> tuple[list[str], int]:
    """The header and the record count. A quote opened and never closed makes every reader (Python's,
    Spark's) take the rest of the file as one value, records silently lost: refused, naming the line (unless
    it opened on the last line: a file cut off there, its torn record counted). The strict reader finds it;
    a file it finds otherwise odd (a quote inside an unquoted field) is counted again leniently, as Spark
    reads it."""
    try:
        return _count_csv(path, strict=True)
    except csv.Error:
        return _count_csv(path, strict=False)


def _count_csv(path: Path, strict: bool) -> tuple[list[str], int]:
    with _open_text(path) as text:
        reader = csv.reader(_without_nul(path, text), strict=strict)
        header = next(reader, None)
        if header is None:
            raise LandingError(f"{path}: file is empty (no header row)")
        rows, starts_at = 0, reader.line_num + 1
        try:
            for _ in reader:
                rows, starts_at = rows + 1, reader.line_num + 1
        except csv.Error as error:
            if "unexpected end of data" not in str(error):
                raise
            if reader.line_num > starts_at:
                raise LandingError(f"{path} line {starts_at}: a quoted field starts there and is never closed (the rest of the file would be one value)") from error
            rows += 1  # a file cut off inside its last record's quotes: that torn record only, which the job quarantines
        return header, rows


# MS-DOS's end-of-file mark, which legacy exports (the OFAC SDN files) still put after their last line.
DOS_END_OF_FILE = "\x1a"


def _headerless_columns_and_rows(path: Path, layout: tuple[str, ...]) -> tuple[list[str], int]:
    """A legacy file without a header: every line must have the layout's number of fields."""
    rows = 0
    with _open_text(path) as text:
        for line, fields in enumerate(csv.reader(_without_nul(path, text)), start=1):
            if not fields or fields == [DOS_END_OF_FILE]:
                continue
            if len(fields) != len(layout):
                raise LandingError(f"{path} line {line}: {len(fields)} fields, its declared layout has {len(layout)} ({', '.join(layout)})")
            rows += 1
    return list(layout), rows


def _without_nul(path: Path, lines):
    """The text's lines, refusing a NUL byte: Python's csv and Spark would keep it inside a field, and
    databases and BI tools downstream cut text at it or refuse it."""
    for number, line in enumerate(lines, start=1):
        if "\x00" in line:
            raise LandingError(f"{path}: line {number} holds NUL bytes (a binary or zero-padded export): remove them and deliver it again")
        yield line


def _json_columns_and_rows(path: Path) -> tuple[list[str], int]:
    """A Socrata API JSON export: an array of objects; a record leaves out its null fields."""
    with _open_text(path) as text:
        records = json.load(text)
    if not isinstance(records, list) or not all(isinstance(record, dict) for record in records):
        raise LandingError(f"{path}: a JSON delivery must be an array of objects")
    return list(dict.fromkeys(name for record in records for name in record)), len(records)


def _json_lines_columns_and_rows(path: Path) -> tuple[list[str], int]:
    """JSON Lines (one record a line, as twarc2 and most streaming exports write): every line is a record.

    A line that is not a JSON object (broken, empty, an array) is not a reason to refuse the file: the
    pipeline quarantines it with its reason, so the count is of lines, as Spark's text reader splits
    them (at LF, CRLF or CR). The columns are the top-level fields of every object line, in
    order of first appearance (a line leaves out a field it has no value for).
    """
    fields: dict[str, None] = {}
    lines = 0
    with _open_text(path) as text:
        for line in _without_nul(path, text):
            lines += 1
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                fields.update(dict.fromkeys(record))
    if not fields:
        raise LandingError(f"{path}: no line holds a JSON object: is this JSON Lines?")
    return list(fields), lines


def _parquet_columns_and_rows(path: Path) -> tuple[list[str], int]:
    import pyarrow.parquet as pq

    metadata = pq.ParquetFile(path).metadata
    return list(metadata.schema.names), metadata.num_rows


# How landing reads a delivered file's columns and record count, by file suffix.
_READERS = {
    ".csv": _csv_columns_and_rows,
    ".json": _json_columns_and_rows,
    ".jsonl": _json_lines_columns_and_rows,
    ".parquet": _parquet_columns_and_rows,
}
# Formats whose records leave out a field they have no value for (see ``DeliveryColumns.missing``).
OMITS_NULLS = frozenset({"json", "jsonl"})
DELIVERY_FORMATS = {suffix.lstrip(".") for suffix in _READERS}
# A compressed export (``.csv.gz``): Spark (Hadoop's codec factory) decompresses a file by this suffix,
# case-sensitively, so landing decides the same way and never inspects text Spark would read otherwise.
_GZIP_SUFFIX = ".gz"


def _is_gzip(path: str | Path) -> bool:
    return Path(str(path)).suffix == _GZIP_SUFFIX


def delivery_format(path: str | Path) -> str:
    """``csv``, ``json``, ``jsonl`` or ``parquet``, from the file's suffix (anything else is read as CSV).

    A gzip suffix is looked through: ``export.csv.gz`` is ``csv``, ``export.json.gz`` is ``json``.
    """
    name = Path(str(path))
    suffix = (name.with_suffix("") if _is_gzip(name) else name).suffix.lower()
    return suffix.lstrip(".") if suffix in _READERS else "csv"


def omits_nulls(path: str | Path) -> bool:
    """Whether the file's format leaves out a field a record has no value for (see ``DeliveryColumns.missing``)."""
    return delivery_format(path) in OMITS_NULLS


def inspect_delivery(path: Path, required: DeliveryColumns) -> tuple[int, str, int, list[str]]:
    """Size, sha256, record count and columns of a delivered file, which must hold one spelling of ``required``."""
    if not path.is_file():
        raise LandingError(f"{path}: file is missing")
    if path.stat().st_size == 0:
        raise LandingError(f"{path}: file is empty (0 bytes)")
    try:
        sha256 = sha256_of(path)
        layout = required.headerless_layout(path.name)
        if layout is None and not required.spellings:
            raise LandingError(f"{path}: not a file of this source: it delivers only {sorted(dict(required.headerless))}")
        columns, rows = _headerless_columns_and_rows(path, layout) if layout else _READERS[f".{delivery_format(path)}"](path)
    except LandingError:
        raise
    except UnicodeDecodeError as error:
        # Never guess an encoding: a Windows-1252 or Latin-1 export read as UTF-8 would be stored as mojibake.
        raise LandingError(
            f"{path}: is not UTF-8 text (byte 0x{error.object[error.start]:02x} is not valid UTF-8): ask for a UTF-8 export, "
            "or re-encode the file (for example `iconv -f WINDOWS-1252 -t UTF-8`) and deliver it again"
        ) from error
    except Exception as error:  # csv, json and Parquet readers raise their own types for a broken file
        raise LandingError(f"{path}: cannot be read as {delivery_format(path)}: {error}") from error
    folded = [name.casefold() for name in columns]
    repeated = sorted({name for name, key in zip(columns, folded) if folded.count(key) > 1})
    if repeated:
        # Spark (case-insensitive by default) would rename them, and which delivered field is which would be lost.
        raise LandingError(f"{path}: header repeats column name(s) {repeated}")
    missing = [] if layout else required.missing(columns, omits_nulls=omits_nulls(path))
    if missing:
        raise LandingError(f"{path}: header lacks required column(s) {missing}")
    if rows == 0:
        raise LandingError(f"{path}: file has no data rows" if layout else f"{path}: file has a header but no data rows")
    return path.stat().st_size, sha256, rows, columns


def deliveries(settings: Settings, source: str, logical_date: str) -> list[Path]:
    """The files delivered for one source and day: ``<inbox>/<source>/<logical_date>/*``."""
    folder = Path(settings.inbox_root) / source / logical_date
    files = sorted(path for path in folder.glob("*") if path.is_file() and not path.name.startswith("."))
    if not files:
        raise NoDelivery(f"{folder}: no file delivered for {source} on {logical_date}")
    return files


def land_file(
    settings: Settings, source: str, logical_date: str, path: Path, required: DeliveryColumns
) -> tuple[ManifestEntry, bool]:
    """Land one file; returns its manifest entry and whether it was new (False for a re-delivery)."""
    size, sha256, rows, columns = inspect_delivery(path, required)
    store = store_for(settings.landing_root)
    manifest_key = f"_manifest/{source}/{sha256}.json"
    existing = store.read_text(manifest_key)
    if existing is not None:
        return ManifestEntry.from_json(existing), False
    landed_key = f"{source}/{logical_date}/{path.name}"
    store.put_file(landed_key, path)
    entry = ManifestEntry(
        source=source,
        file_name=path.name,
        logical_date=logical_date,
        size_bytes=size,
        sha256=sha256,
        rows=rows,
        received_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        landed_path=store.uri(landed_key),
        columns=tuple(columns),
    )
    # The manifest entry is written last: a crash before it leaves a file that the retry lands again.
    store.put_text(manifest_key, entry.to_json())
    return entry, True


def manifest_entries(settings: Settings, source: str, logical_date: str | None = None) -> list[ManifestEntry]:
    """The manifest entries of every file landed for one source and day (every day: ``None``)."""
    store = store_for(settings.landing_root)
    entries = [ManifestEntry.from_json(text) for text in store.read_all(f"_manifest/{source}/")]
    return sorted((entry for entry in entries if logical_date in (None, entry.logical_date)), key=lambda e: (e.logical_date, e.file_name))


def expire_landed(settings: Settings, source: str, before: str) -> list[ManifestEntry]:
    """Delete the landed files of ``source`` delivered for a day before ``before`` (ISO); their manifest entries
    stay, marked expired, so a re-delivery of the same bytes is still recognised and lands nothing."""
    store = store_for(settings.landing_root)
    expired = []
    for entry in manifest_entries(settings, source):
        if entry.logical_date >= before or entry.expired_at:
            continue
        store.delete(entry.landed_key)  # first: a crash before the manifest is written is finished by the next run
        entry = ManifestEntry(**{**asdict(entry), "columns": entry.columns, "rewrites": entry.rewrites,
                                 "expired_at": datetime.now(timezone.utc).isoformat(timespec="seconds")})
        store.put_text(f"_manifest/{source}/{entry.sha256}.json", entry.to_json())
        expired.append(entry)
    return expired


def _records(text: str, kind: str) -> tuple[list[str], list[str]]:
    """A landed text file's header lines and its records, each as its exact text (line ends included)."""
    if kind == "csv":
        # A quoted field may hold line breaks: records are cut where the csv module ends one.
        lines = text.splitlines(keepends=True)
        header, records, pending = lines[:1], [], ""
        for line in lines[1:]:
            pending += line
            if pending.count('"') % 2 == 0:
                records.append(pending)
                pending = ""
        return header, records + ([pending] if pending else [])
    return [], text.splitlines(keepends=True)


def landed_content(settings: Settings, entry: ManifestEntry) -> tuple[bytes, str]:
    """A landed file's bytes as stored, and its text (decompressed when the name says gzip)."""
    raw = store_for(settings.landing_root).read_bytes(entry.landed_key)
    return raw, (gzip.decompress(raw) if _is_gzip(entry.file_name) else raw).decode("utf-8")


def rewrite_without(settings: Settings, entry: ManifestEntry, holds_subject, request_ids: list[str]) -> tuple[int, str | None]:
    """Rewrite a landed text file without the records ``holds_subject(record_text)`` finds; record it in the manifest.

    Returns the records removed (by this call and by a killed one) and the new content's sha256 (None when
    nothing was removed). The file is replaced whole (atomically on a local store; S3 replaces an object
    whole); the manifest entry, written after it, keeps the delivered hash and adds the rewrite. A rerun finds
    nothing left and changes nothing. A file whose hash is not the manifest's latest was rewritten by an attempt
    killed before its manifest write: that rewrite is recorded first (the records it removed are the manifest's
    rows less the file's).
    """
    kind = delivery_format(entry.file_name)
    if kind not in ("csv", "jsonl"):
        raise LandingError(f"{entry.landed_path}: a {kind} delivery cannot be rewritten record by record; erase it by hand")
    raw, text = landed_content(settings, entry)
    header, records = _records(text, kind)
    expected = entry.rewrites[-1]["sha256_after"] if entry.rewrites else entry.sha256
    current = hashlib.sha256(raw).hexdigest()
    recovered = 0
    if current != expected:
        recovered = max(entry.rows - len(records), 0)
        entry = _record_rewrite(settings, entry, request_ids, expected, current, recovered, len(raw), killed=True)
    kept = [record for record in records if not holds_subject(record)]
    removed = len(records) - len(kept)
    if not removed:
        return (recovered, current) if current != expected else (0, None)
    content = "".join(header + kept).encode("utf-8")
    content = gzip.compress(content, mtime=0) if _is_gzip(entry.file_name) else content
    after = hashlib.sha256(content).hexdigest()
    with tempfile.NamedTemporaryFile() as rewritten:
        rewritten.write(content)
        rewritten.flush()
        store_for(settings.landing_root).put_file(entry.landed_key, Path(rewritten.name))
    faults.point("landing.rewritten")
    _record_rewrite(settings, entry, request_ids, current, after, removed, len(content))
    return removed + recovered, after


def _record_rewrite(settings: Settings, entry: ManifestEntry, request_ids: list[str], before: str, after: str, removed: int, size: int, killed: bool = False) -> ManifestEntry:
    """The manifest entry with one more rewrite (hashes before and after, records removed), stored."""
    rewrite = {"request_ids": list(request_ids), "sha256_before": before, "sha256_after": after, "records_removed": removed,
               "rewritten_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    if killed:
        rewrite["recorded_after"] = "the rewriting attempt was killed before it wrote the manifest"
    updated = ManifestEntry(**{**asdict(entry), "columns": entry.columns, "size_bytes": size, "rows": entry.rows - removed,
                               "rewrites": (*entry.rewrites, rewrite)})
    store_for(settings.landing_root).put_text(f"_manifest/{entry.source}/{entry.sha256}.json", updated.to_json())
    return updated


class _LocalStore:
    def __init__(self, root: str):
        self.root = Path(root.removeprefix("file://"))

    def uri(self, key: str) -> str:
        return str(self.root / key)

    def read_text(self, key: str) -> str | None:
        target = self.root / key
        return target.read_text() if target.exists() else None

    def read_bytes(self, key: str) -> bytes:
        return (self.root / key).read_bytes()

    def read_all(self, prefix: str) -> list[str]:
        folder = self.root / prefix
        return [path.read_text() for path in sorted(folder.glob("*.json"))] if folder.is_dir() else []

    def names(self, prefix: str) -> list[str]:
        """Names of the files directly in folder ``prefix``."""
        folder = self.root / prefix
        return sorted(path.name for path in folder.iterdir() if path.is_file()) if folder.is_dir() else []

    def folders(self, prefix: str) -> list[str]:
        """Names of the folders directly in folder ``prefix``."""
        folder = self.root / prefix
        return sorted(path.name for path in folder.iterdir() if path.is_dir()) if folder.is_dir() else []

    def delete_tree(self, prefix: str) -> None:
        shutil.rmtree(self.root / prefix, ignore_errors=True)

    def delete(self, key: str) -> None:
        (self.root / key).unlink(missing_ok=True)

    def put_file(self, key: str, path: Path) -> None:
        target = self.root / key
        target.parent.mkdir(parents=True, exist_ok=True)
        self._atomic(target, lambda tmp: shutil.copyfile(path, tmp))

    def put_text(self, key: str, text: str) -> None:
        target = self.root / key
        target.parent.mkdir(parents=True, exist_ok=True)
        self._atomic(target, lambda tmp: Path(tmp).write_text(text))

    def move(self, key: str, new_key: str) -> None:
        """Move a document; one that is gone already (moved by a concurrent reader) is skipped."""
        target = self.root / new_key
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(self.root / key, target)
        except FileNotFoundError:
            pass

    @staticmethod
    def _atomic(target: Path, write) -> None:
        # Write beside the target and rename, so a reader never sees half a file.
        handle, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        os.close(handle)
        try:
            write(tmp)
            os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)


class _S3Store:
    """The landing zone on S3 (``s3a://bucket/prefix``); endpoint and credentials come from the environment."""

    def __init__(self, root: str):
        import boto3
        from botocore.config import Config

        bucket_and_prefix = root.removeprefix("s3a://")
        self.bucket, _, prefix = bucket_and_prefix.partition("/")
        self.prefix = prefix.strip("/")
        # Fail within seconds on unreachable storage: Airflow retries the task, boto3 need not.
        # A session of its own: credentials are read from the environment now, not from boto3's global cache.
        self.client = boto3.session.Session().client(
            "s3", config=Config(connect_timeout=5, read_timeout=60, retries={"max_attempts": 2, "mode": "standard"})
        )
        self.endpoint = self.client.meta.endpoint_url

    @contextmanager
    def _failing_as_landing_error(self, action: str, key: str):
        """Turn any S3 error into a LandingError naming endpoint, bucket and key (never the credentials)."""
        from boto3.exceptions import S3UploadFailedError
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            yield
        except (BotoCoreError, ClientError, S3UploadFailedError) as error:
            raise LandingError(f"S3 {action} failed at {self.endpoint}, bucket {self.bucket!r}, key {key!r}: {error}") from error

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def uri(self, key: str) -> str:
        return f"s3a://{self.bucket}/{self._key(key)}"

    def read_text(self, key: str) -> str | None:
        with self._failing_as_landing_error("read", self._key(key)):
            try:
                return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read().decode()
            except self.client.exceptions.NoSuchKey:
                return None

    def read_bytes(self, key: str) -> bytes:
        with self._failing_as_landing_error("read", self._key(key)):
            return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()

    def read_all(self, prefix: str) -> list[str]:
        keys = [item["Key"] for page in self._listing(prefix, delimiter="") for item in page.get("Contents", [])]
        texts = []
        for key in keys:  # a failed read names its object, not the folder
            with self._failing_as_landing_error("read", key):
                texts.append(self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read().decode())
        return texts

    def _listing(self, prefix: str, delimiter: str = "/"):
        """Pages of the listing under folder ``prefix`` (one level when ``delimiter`` is set)."""
        with self._failing_as_landing_error("list", self._key(prefix)):
            paginator = self.client.get_paginator("list_objects_v2")
            yield from paginator.paginate(Bucket=self.bucket, Prefix=self._key(prefix), Delimiter=delimiter)

    def names(self, prefix: str) -> list[str]:
        """Names of the objects directly under folder ``prefix``."""
        return sorted(item["Key"].rsplit("/", 1)[-1] for page in self._listing(prefix) for item in page.get("Contents", []))

    def folders(self, prefix: str) -> list[str]:
        """Names of the folders (common prefixes) directly under folder ``prefix``."""
        return sorted(common["Prefix"].rstrip("/").rsplit("/", 1)[-1] for page in self._listing(prefix) for common in page.get("CommonPrefixes", []))

    def delete_tree(self, prefix: str) -> None:
        keys = [item["Key"] for page in self._listing(prefix.rstrip("/") + "/", delimiter="") for item in page.get("Contents", [])]
        with self._failing_as_landing_error("delete", self._key(prefix)):
            for start in range(0, len(keys), 1000):
                self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": [{"Key": key} for key in keys[start:start + 1000]], "Quiet": True})

    def delete(self, key: str) -> None:
        with self._failing_as_landing_error("delete", self._key(key)):
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def put_file(self, key: str, path: Path) -> None:
        with self._failing_as_landing_error("upload", self._key(key)):
            self.client.upload_file(str(path), self.bucket, self._key(key))

    def put_text(self, key: str, text: str) -> None:
        with self._failing_as_landing_error("write", self._key(key)):
            self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=text.encode())

    def move(self, key: str, new_key: str) -> None:
        """Copy then delete (S3 has no rename); a document that is gone already is skipped."""
        with self._failing_as_landing_error("move", self._key(key)):
            try:
                self.client.copy_object(Bucket=self.bucket, Key=self._key(new_key), CopySource={"Bucket": self.bucket, "Key": self._key(key)})
            except self.client.exceptions.ClientError as error:
                if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                    return
                raise
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key))


def store_for(root: str):
    """The landing store for a root: a local folder, or S3 through boto3 for `s3a://`."""
    return _S3Store(root) if root.startswith("s3a://") else _LocalStore(root)


def key_part(text: str) -> str:
    """``text`` as one name in a store key: Airflow's run ids hold ':' and '+', which not every store takes."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", text)


def land_deliveries(source: str, logical_date: str, required: DeliveryColumns) -> list[dict]:
    """Land every file delivered for ``source`` on ``logical_date``; the Airflow task's body.

    Returns what was landed (names, sizes, hashes, row counts: nothing secret) for XCom and the log.
    """
    from jobs.settings import load_settings

    settings = load_settings()
    landed = []
    for path in deliveries(settings, source, logical_date):
        entry, is_new = land_file(settings, source, logical_date, path, required)
        landed.append({"file_name": entry.file_name, "sha256": entry.sha256, "rows": entry.rows, "new": is_new})
    return landed
