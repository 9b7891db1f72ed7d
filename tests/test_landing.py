"""Landing: raw files copied unchanged with a manifest entry; re-deliveries are no-ops; bad files are named."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from jobs.landing import LandingError, deliveries, land_file, manifest_entries
from jobs.nyc311.columns import PORTAL_COLUMNS, REQUIRED_COLUMNS, SOURCE
from tests.conftest import SAMPLE_311


def deliver(settings, day, source_file, name=None):
    folder = Path(settings.inbox_root) / SOURCE / day
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / (name or source_file.name)
    shutil.copyfile(source_file, target)
    return target


def test_a_delivered_file_lands_unchanged_with_its_manifest_entry(settings):
    delivered = deliver(settings, "2022-05-01", SAMPLE_311)
    entry, is_new = land_file(settings, SOURCE, "2022-05-01", delivered, REQUIRED_COLUMNS)
    assert is_new
    landed = open(entry.landed_path, "rb").read()
    assert landed == SAMPLE_311.read_bytes()
    assert entry.sha256 == hashlib.sha256(landed).hexdigest()
    assert (entry.source, entry.file_name, entry.rows, entry.size_bytes) == (SOURCE, SAMPLE_311.name, 924, len(landed))
    assert entry.received_at.endswith("+00:00")
    assert manifest_entries(settings, SOURCE, "2022-05-01") == [entry]


def test_redelivering_the_same_bytes_is_a_no_op_even_under_another_name_or_day(settings):
    first, _ = land_file(settings, SOURCE, "2022-05-01", deliver(settings, "2022-05-01", SAMPLE_311), REQUIRED_COLUMNS)
    again, is_new = land_file(settings, SOURCE, "2022-05-02", deliver(settings, "2022-05-02", SAMPLE_311, "copy.csv"), REQUIRED_COLUMNS)
    assert not is_new
    assert again == first
    assert manifest_entries(settings, SOURCE, "2022-05-02") == []


def test_no_delivery_names_the_folder_it_expected(settings):
    with pytest.raises(LandingError, match="nyc_311/2022-05-09: no file delivered"):
        deliveries(settings, SOURCE, "2022-05-09")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "file is empty"),
        (b"Unique Key,Created Date\n1,05/01/2022 10:00:00 AM\n", "header lacks required column"),
        (",".join(PORTAL_COLUMNS).encode() + b"\n", "no data rows"),
        (b"\xff\xfe\x00bad", "is not UTF-8 text"),
    ],
)
def test_a_bad_file_fails_naming_the_file_and_the_problem(settings, tmp_path, content, message):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(content)
    with pytest.raises(LandingError, match=message) as error:
        land_file(settings, SOURCE, "2022-05-01", bad, REQUIRED_COLUMNS)
    assert str(bad) in str(error.value)
    assert manifest_entries(settings, SOURCE, "2022-05-01") == []


def test_a_missing_file_is_named(settings, tmp_path):
    with pytest.raises(LandingError, match="file is missing"):
        land_file(settings, SOURCE, "2022-05-01", tmp_path / "nowhere.csv", REQUIRED_COLUMNS)


def test_retention_deletes_old_landed_files_and_a_redelivery_of_one_lands_nothing(settings, tmp_path):
    from jobs.landing import DeliveryColumns, expire_landed

    columns = DeliveryColumns(spellings=(("a",),))
    delivered = {}
    for day in ("2022-05-01", "2022-05-02"):
        path = tmp_path / f"delivery_{day}.csv"
        path.write_text(f"a\n{day}\n", encoding="utf-8")
        delivered[day], _ = land_file(settings, "src", day, path, columns)
    expired = expire_landed(settings, "src", "2022-05-02")
    assert [entry.file_name for entry in expired] == ["delivery_2022-05-01.csv"]
    assert not Path(delivered["2022-05-01"].landed_path).exists() and Path(delivered["2022-05-02"].landed_path).exists()
    (old,) = manifest_entries(settings, "src", "2022-05-01")
    assert old.expired_at and old.sha256 == delivered["2022-05-01"].sha256
    again, new = land_file(settings, "src", "2022-05-01", tmp_path / "delivery_2022-05-01.csv", columns)
    assert not new and again.expired_at and not Path(again.landed_path).exists()
    assert expire_landed(settings, "src", "2022-05-02") == []  # a rerun deletes nothing more
