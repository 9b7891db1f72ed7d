"""The OFAC legacy list reader and the name matcher of sanctions screening (no Spark)."""

from __future__ import annotations

import shutil

import pytest

from jobs.finance.names import blocking_keys, skeleton, tokens
from jobs.finance.ofac import ListFormatError, read_list, read_rows
from jobs.finance.screening import THRESHOLD, Screening, name_score
from jobs.settings import PROJECT_ROOT

LIST_FOLDER = PROJECT_ROOT / "tests" / "data" / "ofac_sdn"


@pytest.fixture(scope="module")
def sanctions():
    return read_list(LIST_FOLDER)


def test_the_real_list_is_read_by_position_with_its_empty_marker_and_end_of_file_byte(sanctions):
    assert (len(sanctions.entries), len(sanctions.aliases), len(sanctions.addresses)) == (8890, 11742, 13761)
    cuba = next(entry for entry in sanctions.entries if entry["ent_num"] == 306)
    assert cuba["sdn_name"] == "BANCO NACIONAL DE CUBA" and cuba["program"] == "CUBA"
    assert cuba["sdn_type"] is None and cuba["remarks"] == "a.k.a. 'BNC'."  # "-0- " is empty
    assert {alias["alt_type"] for alias in sanctions.aliases} == {"aka", "fka", "nka"}
    assert all(not any(str(value).startswith("\x1a") for value in row.values()) for row in sanctions.addresses[-3:])


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda text: text.replace('"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n', '"CUBA",-0- \r\n', 1), "sdn.csv line 1: 5 fields, the layout has 12"),
        (lambda text: text.replace("36,", "3x,", 1), "sdn.csv line 1: ent_num '3x' is not a number"),
        (lambda text: "\x1a", "sdn.csv: no rows"),
    ],
)
def test_a_broken_list_file_is_refused_naming_file_and_line(tmp_path, damage, message):
    for name in ("sdn.csv", "alt.csv", "add.csv"):
        shutil.copy(LIST_FOLDER / name, tmp_path / name)
    sdn = tmp_path / "sdn.csv"
    sdn.write_bytes(damage(sdn.read_bytes().decode("utf-8")).encode("utf-8"))
    with pytest.raises(ListFormatError, match=message.replace(".", r"\.").replace("(", r"\(")):
        read_list(tmp_path)


def test_an_alias_of_an_entry_the_list_lacks_is_refused(tmp_path):
    for name in ("sdn.csv", "alt.csv", "add.csv"):
        shutil.copy(LIST_FOLDER / name, tmp_path / name)
    alt = tmp_path / "alt.csv"
    alt.write_bytes(alt.read_bytes().removesuffix(b"\x1a") + b'99999999,1,"aka","NOBODY",-0- \r\n\x1a')
    with pytest.raises(ListFormatError, match=r"alt.csv: rows of entries not in sdn.csv: ent_num \[99999999\]"):
        read_list(tmp_path)


def test_a_file_of_another_name_is_not_read_as_the_list(tmp_path):
    (tmp_path / "entries.csv").write_text("1,2\n")
    with pytest.raises(ListFormatError, match="not a file of the legacy SDN format"):
        read_rows(tmp_path / "entries.csv")


def test_names_are_transliterated_and_stripped_of_legal_forms_titles_and_particles():
    assert tokens("ООО «Ромашка»") == ("romashka",)
    assert tokens("AL-'ANIZI, Dr. 'Abdallah") == ("anizi", "abdallah")
    assert tokens("BANCO NACIONAL DE CUBA S.A.") == ("banco", "nacional", "cuba")
    assert tokens("The Co.") == ("the", "co")  # nothing but noise: kept rather than empty
    assert skeleton("hussein") == skeleton("husayn") == skeleton("hussain") == "hsn"
    assert skeleton("qadhafi") == skeleton("gaddafi")


@pytest.mark.parametrize(
    "query, listed",
    [
        ("Muammar Qadhafi", "QADHAFI, Muammar"),  # word order
        ("Husayn Kamil Hasan al Majid", "AL-MAJID, Hussein Kamel Hassan"),  # transliteration
        ("Abd Allah Hadi al-Anizi", "AL-'ANIZI, Abdallah Hadi"),  # glued words, apostrophes
        ("Банк Мелли", "BANK MELLI"),  # Cyrillic
    ],
)
def test_spelling_variants_of_a_listed_name_score_as_hits(query, listed):
    assert name_score(query, listed) >= THRESHOLD


@pytest.mark.parametrize(
    "query, listed",
    [
        ("John Smith", "Jane Smythe"),
        ("Peter Gadet", "Paul Gaddis"),
        ("Atlas Shipping", "ATLAS KIAN QESHM"),
    ],
)
def test_near_misses_stay_under_the_threshold(query, listed):
    assert name_score(query, listed) < THRESHOLD


def test_screening_finds_the_entity_by_its_alias_and_rare_words_weigh_more_than_common_ones(sanctions):
    index = Screening([(entry, name) for entry, name, _ in sanctions.names()])
    hits = index.screen("Muammar Qaddafi")
    assert hits and hits[0].score >= THRESHOLD
    assert "QADHAFI" in hits[0].listed_name.upper() or "QADDAFI" in hits[0].listed_name.upper()
    assert index.rarity("muhammad") < index.rarity("tikriti")
    # Only names sharing a blocking key are ever scored.
    candidates = index.candidates("Muammar Qaddafi")
    assert candidates and all(blocking_keys("Muammar Qaddafi") & blocking_keys(index.names[position][1]) for position in candidates)
    assert index.screen("Zyxwv Qplm") == []
