"""Synthetic deliveries in the real schemas of citylake's sources, for demos and benchmarks.

The real samples stay in the tests; generators scale them to any date range and size, deterministically
by seed, with a configurable share of the defects real deliveries have.
"""

from __future__ import annotations

import csv
import io
import shutil
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Callable, Iterator

# Every fourth delivery also re-sends the one before under another name, as real sources sometimes do.
REDELIVER_EVERY = 4


@contextmanager
def delivery_file(folder: Path, name: str) -> Iterator[Path]:
    """A path to write a delivery to; it appears as ``folder/name`` only once written whole."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    partial = folder / f".{name}.partial"
    yield partial
    partial.replace(target)  # a half-written delivery is never visible in the inbox


def deliver_range(
    inbox: Path, source: str, periods: list[date], write_one: Callable[[date], Path], redeliver: bool
) -> list[Path]:
    """``write_one`` for every period, in order; with ``redeliver``, every fourth also re-sends the one before."""
    delivered: list[Path] = []
    for position, period in enumerate(periods):
        delivered.append(write_one(period))
        if redeliver and position % REDELIVER_EVERY == REDELIVER_EVERY - 1:
            again = inbox / source / period.isoformat() / f"redelivered_{delivered[-2].name}"
            shutil.copyfile(delivered[-2], again)
            delivered.append(again)
    return delivered


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def csv_text(rows: list[dict], columns: tuple[str, ...]) -> str:
    """Rows as a CSV export with a header, "\n" line ends, fields quoted only where needed."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()
