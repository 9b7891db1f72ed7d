"""How each kind of the bad-input catalogue (catalogue.yaml) is made from a good delivery.

Each function takes the good delivery and returns the bad file's name and bytes. Deterministic: the same
good delivery always gives the same bad file.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import random
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Delivery:
    """A good delivery of one source and shape, as its generator wrote it."""

    source: str
    shape: str
    path: Path

    @property
    def format(self) -> str:
        return self.path.suffix.lstrip(".")

    @property
    def data(self) -> bytes:
        return self.path.read_bytes()

    def csv_rows(self) -> tuple[list[str], list[list[str]]]:
        rows = list(csv.reader(io.StringIO(self.data.decode("utf-8"), newline="")))
        return rows[0], rows[1:]

    def records(self) -> list[dict]:
        """A JSON delivery's records (one array), or a JSON Lines delivery's (one object a line)."""
        if self.format == "jsonl":
            return [json.loads(line) for line in self.data.decode("utf-8").splitlines()]
        return json.loads(self.data)

    def table(self):
        import pyarrow.parquet as pq

        return pq.read_table(self.path)

    def named(self, suffix: str = "") -> str:
        return f"{self.path.stem}{suffix or self.path.suffix}"


def _csv(header: list[str], rows: list[list[str]], delimiter: str = ",", terminator: str = "\n") -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=terminator)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _jsonl(records: list[dict], ensure_ascii: bool = True) -> bytes:
    return "".join(json.dumps(record, ensure_ascii=ensure_ascii) + "\n" for record in records).encode("utf-8")


def _with_text(delivery: Delivery, text: str) -> list[dict]:
    """JSON Lines records, the first post's text replaced (both shapes call it ``text``)."""
    records = delivery.records()
    records[0] = {**records[0], "text": text}
    return records


def _parquet(table) -> bytes:
    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def _text_column(delivery: Delivery) -> int:
    """The position of a column the source fills with free text (any string column would do for landing)."""
    header, rows = delivery.csv_rows()
    lengths = [max(len(row[index]) if index < len(row) else 0 for row in rows) for index in range(len(header))]
    return max(range(len(header)), key=lambda index: (not all(_numeric(row[index]) for row in rows if index < len(row) and row[index]), lengths[index]))


def _numeric(value: str) -> bool:
    try:
        float(value)
        return True
    except ValueError:
        return False


def _with_field(delivery: Delivery, value: str) -> list[list[str]]:
    header, rows = delivery.csv_rows()
    column = _text_column(delivery)
    rows[0][column] = value
    return rows


def empty_file(delivery: Delivery) -> tuple[str, bytes]:
    return delivery.named(), b""


def header_only(delivery: Delivery) -> tuple[str, bytes]:
    header, _ = delivery.csv_rows()
    return delivery.named(), _csv(header, [])


def utf8_byte_order_mark(delivery: Delivery) -> tuple[str, bytes]:
    return delivery.named(), b"\xef\xbb\xbf" + delivery.data


def crlf_line_endings(delivery: Delivery) -> tuple[str, bytes]:
    if delivery.format == "jsonl":
        return delivery.named(), delivery.data.replace(b"\n", b"\r\n")
    header, rows = delivery.csv_rows()
    return delivery.named(), _csv(header, rows, terminator="\r\n")


def _single_byte_lines(delivery: Delivery, text: str, encoding: str) -> bytes:
    """The first post with ``text`` in a single-byte encoding, then the other lines that encoding can hold."""
    first, *others = _with_text(delivery, text)

    def holds(value) -> bool:
        dumped = json.dumps(value, ensure_ascii=False)
        return dumped.encode(encoding, errors="ignore").decode(encoding) == dumped

    first = {key: value for key, value in first.items() if holds(value)}  # a Chinese post keeps its ASCII fields
    lines = [json.dumps(first, ensure_ascii=False)] + [json.dumps(record, ensure_ascii=False) for record in others]
    kept = [line for line in lines if line.encode(encoding, errors="ignore").decode(encoding) == line]
    return "".join(line + "\n" for line in kept).encode(encoding)


def windows_1252(delivery: Delivery) -> tuple[str, bytes]:
    if delivery.format == "jsonl":
        return delivery.named(), _single_byte_lines(delivery, "Café René, near the Pláza", "cp1252")
    header, _ = delivery.csv_rows()
    rows = _with_field(delivery, "Café René, near the Pláza")
    return delivery.named(), _csv(header, rows).decode("utf-8").encode("cp1252")


def latin_1(delivery: Delivery) -> tuple[str, bytes]:
    if delivery.format == "jsonl":
        return delivery.named(), _single_byte_lines(delivery, "heat below 10\u00b0F,\u00a0no service", "latin-1")
    header, _ = delivery.csv_rows()
    rows = _with_field(delivery, "heat below 10\u00b0F,\u00a0no service")
    return delivery.named(), _csv(header, rows).decode("utf-8").encode("latin-1")


def wrong_delimiter(delivery: Delivery) -> tuple[str, bytes]:
    header, rows = delivery.csv_rows()
    return delivery.named(), _csv(header, rows, delimiter=";")


def required_column_missing(delivery: Delivery) -> tuple[str, bytes]:
    """The first column of each spelling of the source's required columns, left out."""
    import importlib

    from jobs.declarations import registry

    required = importlib.import_module(registry().ingestion(delivery.source).delivery_columns).REQUIRED_COLUMNS
    first_columns = {spelling[0] for spelling in required.spellings}
    if delivery.format == "parquet":
        table = delivery.table()
        return delivery.named(), _parquet(table.drop([name for name in table.column_names if name in first_columns]))
    header, rows = delivery.csv_rows()
    keep = [index for index, name in enumerate(header) if name not in first_columns]
    return delivery.named(), _csv([header[index] for index in keep], [[row[index] for index in keep] for row in rows])


def json_field_absent_everywhere(delivery: Delivery) -> tuple[str, bytes]:
    """A field no record carries: the API leaves a null field out, so this is a column null everywhere."""
    records = delivery.records()
    dropped = next(iter(records[0]))
    kept = [{key: value for key, value in record.items() if key != dropped} for record in records]
    return delivery.named(), _jsonl(kept) if delivery.format == "jsonl" else json.dumps(kept).encode()


def extra_column(delivery: Delivery) -> tuple[str, bytes]:
    if delivery.format in ("json", "jsonl"):
        records = [{**record, "surprise_field": "new"} for record in delivery.records()]
        return delivery.named(), _jsonl(records) if delivery.format == "jsonl" else json.dumps(records).encode()
    if delivery.format == "parquet":
        import pyarrow as pa

        table = delivery.table()
        return delivery.named(), _parquet(table.append_column("surprise_field", pa.array(["new"] * table.num_rows)))
    header, rows = delivery.csv_rows()
    return delivery.named(), _csv(header + ["surprise_field"], [row + ["new"] for row in rows])


def columns_reordered(delivery: Delivery) -> tuple[str, bytes]:
    if delivery.format == "parquet":
        table = delivery.table()
        return delivery.named(), _parquet(table.select(list(reversed(table.column_names))))
    header, rows = delivery.csv_rows()
    return delivery.named(), _csv(list(reversed(header)), [list(reversed(row)) for row in rows])


def duplicate_header_names(delivery: Delivery) -> tuple[str, bytes]:
    header, rows = delivery.csv_rows()
    return delivery.named(), _csv([header[0], header[0], *header[2:]], rows)


def nul_bytes(delivery: Delivery) -> tuple[str, bytes]:
    if delivery.format == "jsonl":  # raw NUL bytes inside the first line's text (JSON would escape them)
        first_quote = delivery.data.index(b'"text": "') + len(b'"text": "')
        return delivery.named(), delivery.data[:first_quote] + b"padded\x00\x00\x00" + delivery.data[first_quote:]
    header, _ = delivery.csv_rows()
    return delivery.named(), _csv(header, _with_field(delivery, "padded\x00\x00\x00"))


def binary_garbage(delivery: Delivery) -> tuple[str, bytes]:
    return delivery.named(), random.Random(16).randbytes(4096)


def gzip_compressed(delivery: Delivery) -> tuple[str, bytes]:
    return delivery.named(f"{delivery.path.suffix}.gz"), gzip.compress(delivery.data, mtime=0)


def truncated_gzip(delivery: Delivery) -> tuple[str, bytes]:
    compressed = gzip.compress(delivery.data, mtime=0)
    return delivery.named(f"{delivery.path.suffix}.gz"), compressed[: len(compressed) // 2]


def field_of_several_megabytes(delivery: Delivery) -> tuple[str, bytes]:
    if delivery.format == "jsonl":
        return delivery.named(), _jsonl(_with_text(delivery, "long complaint " * 200_000))
    header, _ = delivery.csv_rows()
    return delivery.named(), _csv(header, _with_field(delivery, "long complaint " * 200_000))


def embedded_newlines(delivery: Delivery) -> tuple[str, bytes]:
    header, _ = delivery.csv_rows()
    return delivery.named(), _csv(header, _with_field(delivery, "first line\nsecond line\r\nthird, with a comma"))


def truncated_file(delivery: Delivery) -> tuple[str, bytes]:
    data = delivery.data.rstrip(b"\r\n")
    last_record = data.rfind(b"\n") + 1
    # Cut in the middle of the last record, outside any quotes (unquoted fields are cut cleanly).
    return delivery.named(), data[: last_record + (len(data) - last_record) // 2]


def ragged_rows(delivery: Delivery) -> tuple[str, bytes]:
    """One record a cell short (its last field left out) and the next a cell too many (a stray comma)."""
    header, rows = delivery.csv_rows()
    rows[0] = rows[0][:-1]
    rows[1] = rows[1] + ["stray"]
    return delivery.named(), _csv(header, rows)


def unterminated_quote(delivery: Delivery) -> tuple[str, bytes]:
    """The second record's first field opens a quote that nothing closes (the export quotes no field: its
    commas and quotes are replaced), so a reader would take the rest of the file as that one value."""
    header, rows = delivery.csv_rows()
    plain = [[field.replace(",", ";").replace('"', "'").replace("\r", " ").replace("\n", " ") for field in row] for row in rows]
    plain[1][0] = '"never closed ' + plain[1][0]
    return delivery.named(), "".join(",".join(fields) + "\n" for fields in [header, *plain]).encode("utf-8")


def parquet_wrong_column_types(delivery: Delivery) -> tuple[str, bytes]:
    """Every numeric column written as text (an export tool that does not keep types)."""
    import pyarrow as pa

    table = delivery.table()
    numeric = [field.name for field in table.schema if pa.types.is_integer(field.type) or pa.types.is_floating(field.type)]
    assert numeric, "the good Parquet delivery has numeric columns"
    return delivery.named(), _parquet(table.cast(pa.schema([pa.field(field.name, pa.string()) if field.name in numeric else field for field in table.schema])))


def json_object_not_array(delivery: Delivery) -> tuple[str, bytes]:
    return delivery.named(), json.dumps(delivery.records()[0]).encode()


def json_lines_not_array(delivery: Delivery) -> tuple[str, bytes]:
    return delivery.named(), "\n".join(json.dumps(record) for record in delivery.records()).encode()


def json_array_not_lines(delivery: Delivery) -> tuple[str, bytes]:
    """The posts as one pretty-printed JSON array where one object a line was expected."""
    return delivery.named(), json.dumps(delivery.records(), indent=2).encode()


def json_object_across_lines(delivery: Delivery) -> tuple[str, bytes]:
    """One post pretty-printed over many lines: no line on its own is a JSON object."""
    return delivery.named(), json.dumps(delivery.records()[0], indent=2).encode()


def broken_json_line(delivery: Delivery) -> tuple[str, bytes]:
    """A line cut short in the middle of a file (a writer that crashed and resumed)."""
    lines = delivery.data.decode("utf-8").splitlines(keepends=True)
    middle = len(lines) // 2
    lines[middle] = lines[middle][: len(lines[middle]) // 2] + "\n"
    return delivery.named(), "".join(lines).encode("utf-8")


def broken_json(delivery: Delivery) -> tuple[str, bytes]:
    return delivery.named(), delivery.data[: len(delivery.data) // 2]


def array_of_non_objects(delivery: Delivery) -> tuple[str, bytes]:
    return delivery.named(), json.dumps([list(record.values()) for record in delivery.records()]).encode()


def parquet_corrupt_footer(delivery: Delivery) -> tuple[str, bytes]:
    return delivery.named(), delivery.data[:-64]


def parquet_not_parquet(delivery: Delivery) -> tuple[str, bytes]:
    return delivery.named(), b"VendorID,tpep_pickup_datetime\n1,2022-05-01 10:00:00\n"
