"""The right to erasure (jobs/erasure.py), proven on the lake's real subjects: a social author and an account holder.

Request files are checked without Spark. On Delta: a lake of one day of payments, KYC extracts and social posts
(both shapes); two approved requests, an unknown subject and an unapproved one; every erase task as the DAG
runs them, then certify. The files themselves are searched afterwards, independently of the code under test:
every Parquet file under the lake (data, staging, checkpoints) cell by cell, every Delta log and every landed
file as text.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from jobs import erasure, faults, landing
from jobs import erasure_requests as requests_module
from jobs.declarations import registry
from jobs.synthetic import accounts as accounts_generator
from jobs.synthetic import payments as payments_generator
from jobs.synthetic import social as social_generator
from tests import pipeline_runs
from tests.conftest import make_settings
from tests.personal_data import found_in_files as holding

DAY = date(2022, 5, 2)
HEADER = ",".join(requests_module.REQUEST_FIELDS)


def write_requests(settings, lines: list[str], name: str = "requests.csv") -> Path:
    folder = Path(settings.inbox_root) / requests_module.REQUESTS_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


# --- request files, without Spark ------------------------------------------------------------------------


def test_requests_are_read_and_only_approved_ones_are_pending(tmp_path):
    settings = make_settings(tmp_path)
    write_requests(settings, [
        "r-1,social_author,939993821,withdrew,resident,dpo,2022-05-03T10:00:00",
        "r-2,account_holder,AC8157000276,closed,customer,,2022-05-03T11:00:00",
    ])
    assert [request.request_id for request in requests_module.read_requests(settings)] == ["r-1", "r-2"]
    assert [request.request_id for request in requests_module.pending(settings)] == ["r-1"]  # r-2 awaits approval
    assert "939993821" not in repr(requests_module.read_requests(settings)[0])


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("r-1,social_author,939993821,withdrew,resident,dpo", "line 2: a request has exactly the fields"),
        ("r-1,shoe_size,939993821,withdrew,resident,dpo,2022-05-03T10:00:00", "line 2: unknown data subject kind 'shoe_size'"),
        ("r-1,social_author,@somebody,withdrew,resident,dpo,2022-05-03T10:00:00", "line 2: subject_identifier is not the author's platform user id"),
        ("r-1,account_holder,AC1234567,,resident,dpo,2022-05-03T10:00:00", "line 2: reason is empty"),
        ("r-1,account_holder,AC1234567,closed,resident,dpo,yesterday", "line 2: requested_at 'yesterday' is not"),
    ],
)
def test_a_malformed_request_stops_the_run_naming_file_and_line_never_the_value(tmp_path, line, message):
    settings = make_settings(tmp_path)
    path = write_requests(settings, [line])
    with pytest.raises(requests_module.RequestFileError) as raised:
        requests_module.read_requests(settings)
    assert str(path) in str(raised.value) and message in str(raised.value)
    assert "@somebody" not in str(raised.value)


def test_one_request_id_for_two_subjects_is_refused(tmp_path):
    settings = make_settings(tmp_path)
    write_requests(settings, ["r-1,account_holder,AC1234567,closed,a,dpo,2022-05-03T10:00:00", "r-1,account_holder,AC7654321,closed,a,dpo,2022-05-03T10:00:00"])
    with pytest.raises(requests_module.RequestFileError, match="line 3: request r-1 was given for another subject"):
        requests_module.read_requests(settings)


def test_a_request_added_from_the_command_line_is_checked_before_it_is_written(tmp_path):
    from jobs.erasure_requests import add_request

    settings = make_settings(tmp_path)
    added = add_request(settings, "account_holder", "AC8157000276", "account closed", "the customer", "dpo", "er-1")
    assert [(request.request_id, request.approved) for request in requests_module.read_requests(settings)] == [("er-1", True)]
    with pytest.raises(requests_module.RequestFileError, match="exists already"):
        add_request(settings, "account_holder", "AC0000000001", "again", "the customer", "dpo", "er-1")
    with pytest.raises(requests_module.RequestFileError, match="the new request: subject_identifier is not"):
        add_request(settings, "account_holder", "not an account!", "typo", "the customer", "dpo", "er-2")
    assert Path(added.file).read_text(encoding="utf-8").count("\n") == 2  # the header and er-1 only


def test_a_landed_file_is_rewritten_without_the_subjects_records_and_the_manifest_keeps_both_hashes(tmp_path):
    settings = make_settings(tmp_path)
    delivered = tmp_path / "payments_2022-05-02.csv"
    delivered.write_text('transaction_id,from_account,to_account,memo\nT1,AC1,AC100,"two\nlines"\nT2,AC100,AC2,x\nT3,AC1001,AC2,x\n', encoding="utf-8")
    columns = landing.DeliveryColumns(spellings=(("transaction_id", "from_account", "to_account"),))
    entry, _ = landing.land_file(settings, "bank_payments", "2022-05-02", delivered, columns)

    pattern = re.compile(requests_module.token_pattern("AC100"))
    removed, after = landing.rewrite_without(settings, entry, lambda record: bool(pattern.search(record)), ["r-1"])
    assert removed == 2  # the multi-line record and T2; AC1001 is another account
    text = Path(entry.landed_path).read_text(encoding="utf-8")
    assert text == "transaction_id,from_account,to_account,memo\nT3,AC1001,AC2,x\n"
    (updated,) = landing.manifest_entries(settings, "bank_payments")
    assert updated.sha256 == entry.sha256 and updated.rows == entry.rows - 2  # the batch keeps its identity
    assert updated.rewrites[0]["sha256_before"] == entry.sha256 and updated.rewrites[0]["sha256_after"] == after == landing.sha256_of(Path(entry.landed_path))
    assert updated.rewrites[0]["request_ids"] == ["r-1"]
    # A re-delivery of the original file is recognised: it lands nothing, so the subject does not come back.
    again, new = landing.land_file(settings, "bank_payments", "2022-05-02", delivered, columns)
    assert not new and again.rewrites
    assert landing.rewrite_without(settings, updated, lambda record: bool(pattern.search(record)), ["r-1"]) == (0, None)


# --- on Delta: a social author and an account holder ------------------------------------------------------


@pytest.fixture(scope="module")
def erased_lake(spark, tmp_path_factory):
    """A day of payments, KYC and social posts; requests for an author and an account holder (approved), an
    unknown account (approved) and one unapproved; every erase task in the DAG's order, then certify."""
    from jobs.audit import RunContext
    from jobs.finance import accounts_job, payments_job
    from jobs.social import job as social_job
    from tests.conftest import point_catalog_at
    from tests.test_pseudonyms import expected_pseudonym

    root = tmp_path_factory.mktemp("erasure")
    settings = make_settings(root / "state")
    point_catalog_at(spark, settings)
    inbox = root / "delivered"
    inbox.mkdir()
    payments, _, _ = payments_generator.generate_day(DAY, 300, 7, defect_share=0.05)
    (inbox / "payments.csv").write_text(payments_generator.to_csv(payments), encoding="utf-8")
    kyc, _, _ = accounts_generator.generate_day(DAY, 300, 7, defect_share=0.05)
    (inbox / "accounts.csv").write_text(accounts_generator.to_csv(kyc), encoding="utf-8")
    posts = {}
    for shape in social_generator.SHAPES:
        posts[shape] = social_generator.generate_day(DAY, 120, seed=3, defect_share=0.05, shape=shape)
        (inbox / social_generator.FILE_NAMES[shape].format(day=DAY.isoformat())).write_text("".join(line.text + "\n" for line in posts[shape]), encoding="utf-8")
    pipeline_runs.land_and_run(spark, settings, payments_job.SOURCE, "payments_daily", DAY.isoformat(), [inbox / "payments.csv"], "pay-1")
    pipeline_runs.land_and_run(spark, settings, accounts_job.SOURCE, "accounts_daily", DAY.isoformat(), [inbox / "accounts.csv"], "kyc-1")
    pipeline_runs.land_and_run(
        spark, settings, social_job.SOURCE, "social_posts_daily", DAY.isoformat(),
        [inbox / social_generator.FILE_NAMES[shape].format(day=DAY.isoformat()) for shape in social_generator.SHAPES], "social-1",
    )
    # The account holder: the account in the most AML alerts that also has a KYC record; the author: the most prolific.
    by_pseudonym = {expected_pseudonym(row[name]): row[name] for row in payments for name in ("from_account", "to_account") if row.get(name)}
    in_alerts = Counter(row["account"] for row in spark.read.format("delta").load(settings.table_path("gold", "aml_alerts")).collect())
    with_kyc = {row["account_id"] for row in kyc}
    holder = next(by_pseudonym[account] for account, _ in in_alerts.most_common() if by_pseudonym.get(account) in with_kyc)
    authors = Counter(record.get("author_id") for record in _objects(line.text for line in posts["twarc2"]))
    authors.pop(None, None)
    author = authors.most_common(1)[0][0]
    before = {
        "silver_payments": spark.sql(
            f"SELECT count(*) AS n FROM delta.`{settings.table_path('silver', 'payment_transactions')}` WHERE from_account = '{expected_pseudonym(holder)}' OR to_account = '{expected_pseudonym(holder)}'"
        ).first()["n"],
        "silver_posts": spark.sql(f"SELECT count(*) AS n FROM delta.`{settings.table_path('silver', 'social_posts')}` WHERE author_id = '{expected_pseudonym(author)}'").first()["n"],
        "silver_versions": {name: _version(spark, settings, name) for name in ("silver.payment_transactions", "silver.social_posts", "silver.bank_accounts")},
    }
    in_silver = {row["account_id"] for row in spark.read.format("delta").load(settings.table_path("silver", "bank_accounts")).select("account_id").collect()}
    unapproved = sorted(account for account in with_kyc - {holder} if expected_pseudonym(account) in in_silver)[0] if with_kyc else None
    requests = write_requests(settings, [
        f"er-author,social_author,{author},consent withdrawn,the author,dpo,2022-05-10T09:00:00",
        f"er-holder,account_holder,{holder},account closed,the customer,dpo,2022-05-10T09:05:00",
        "er-unknown,account_holder,ZZ0000000000,asked by a stranger,a resident,dpo,2022-05-10T09:10:00",
        f"er-unapproved,account_holder,{unapproved},not reviewed yet,a customer,,2022-05-10T09:15:00",
    ])
    run = RunContext("erasure-1", "erasure", "erase", "2022-05-10")
    for chosen in registry().erasure_pipelines():
        erasure.erase(spark, settings, run, chosen.dag_id, pipeline_runs.EXPECTATIONS)
    certificates = {document["request_id"]: document for document in erasure.certify(spark, settings, run)}
    return {"settings": settings, "author": author, "holder": holder, "before": before, "certificates": certificates, "requests": requests,
            "unapproved": unapproved, "root": root}


def _objects(lines):
    """The lines that are JSON objects (the generator's malformed lines are skipped)."""
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            yield record


def _version(spark, settings, name: str) -> int:
    zone, table = name.split(".")
    return spark.sql(f"DESCRIBE HISTORY delta.`{settings.table_path(zone, table)}` LIMIT 1").first()["version"]


def test_after_erasure_and_purge_no_data_file_log_or_landed_file_holds_the_subjects(erased_lake):
    from tests.test_pseudonyms import expected_pseudonym

    settings, author, holder = erased_lake["settings"], erased_lake["author"], erased_lake["holder"]
    values = {author, holder, expected_pseudonym(author), expected_pseudonym(holder)}
    found = holding(Path(settings.lake_root), values)
    # The audit trail of the erasure names each subject by pseudonym: that is the proof's own record.
    assert not {path: hits for path, hits in found.items() if not path.startswith("audit/erasure_steps")}
    assert not holding(Path(settings.landing_root), {author, holder})
    # The request file now names the subjects by pseudonym only.
    assert not holding(erased_lake["requests"].parent, {author, holder})
    assert f"{requests_module.CARRIED_OUT}{expected_pseudonym(author)}" in erased_lake["requests"].read_text(encoding="utf-8")


def test_the_certificates_match_what_was_removed_and_every_check_is_zero(erased_lake):
    from tests.test_pseudonyms import expected_pseudonym

    certificates = erased_lake["certificates"]
    assert set(certificates) == {"er-author", "er-holder", "er-unknown"}  # the unapproved request did nothing
    author, holder = certificates["er-author"], certificates["er-holder"]
    assert author["subject_pseudonym"] == expected_pseudonym(erased_lake["author"])
    assert erased_lake["author"] not in json.dumps(author) and erased_lake["holder"] not in json.dumps(holder)
    places = {place["place"]: place for place in holder["places"]}
    assert places["silver.payment_transactions"]["rows_removed"] == erased_lake["before"]["silver_payments"] > 0
    assert places["silver.payment_transactions"]["version_before"] == erased_lake["before"]["silver_versions"]["silver.payment_transactions"]
    assert places["silver.payment_transactions"]["version_after"] > places["silver.payment_transactions"]["version_before"]
    assert places["silver.bank_accounts"]["rows_removed"] == 1 and places["bronze.bank_accounts"]["rows_removed"] >= 1
    assert places["gold.aml_alerts"]["rows_removed"] >= 1 and "recomputed" in places["gold.aml_alerts"]["detail"]
    assert places["landing:bank_payments"]["rows_removed"] == places["bronze.payment_transactions"]["rows_removed"] > 0
    assert all(place["purged_at"] for place in holder["places"] if place["erased_at"])
    assert {place["place"]: place["rows_removed"] for place in author["places"]}["silver.social_posts"] == erased_lake["before"]["silver_posts"] > 0
    for document in certificates.values():
        assert document["verification"] and all(check["result"] == 0 for check in document["verification"])
        assert {check["place"] for check in document["verification"]} >= {table.name for table in registry().holding(document["subject_kind"])}
    assert certificates["er-unknown"]["outcome"].startswith("nothing found") and certificates["er-unknown"]["rows_removed"] == 0
    from jobs import report

    stored = report.read_certificates(erased_lake["settings"])
    assert {document["request_id"] for document in stored} == set(certificates)


def test_the_report_shows_each_certificate_and_no_report_file_holds_the_subjects(spark, erased_lake):
    from jobs import report

    settings, author, holder = erased_lake["settings"], erased_lake["author"], erased_lake["holder"]
    index = Path(report.write_report(spark, settings, "erasure", "erasure-1"))
    page = index.parent / report.certificate_page_name("er-holder")
    assert f'href="{page.name}"' in index.read_text(encoding="utf-8")
    text = page.read_text(encoding="utf-8")
    assert "Verification (every result must be 0)" in text and "silver.payment_transactions" in text and 'class="bad"' not in text
    # Quality reports and Data Docs of every run, the certificates included: neither subject's identifier.
    assert not holding(Path(settings.reports_root), {author, holder})


def test_the_unapproved_request_changed_nothing_and_a_rerun_changes_nothing(spark, erased_lake):
    from jobs.audit import RunContext
    from tests.test_pseudonyms import expected_pseudonym

    settings = erased_lake["settings"]
    unapproved = expected_pseudonym(erased_lake["unapproved"])
    assert spark.sql(f"SELECT count(*) AS n FROM delta.`{settings.table_path('silver', 'bank_accounts')}` WHERE account_id = '{unapproved}'").first()["n"] == 1
    versions = {name: _version(spark, settings, name) for name in ("silver.payment_transactions", "silver.social_posts", "bronze.bank_accounts", "gold.aml_alerts")}
    run = RunContext("erasure-2", "erasure", "erase", "2022-05-11")
    for chosen in registry().erasure_pipelines():
        assert erasure.erase(spark, settings, run, chosen.dag_id, pipeline_runs.EXPECTATIONS) == []  # nothing pending
    assert erasure.certify(spark, settings, run) == []
    assert versions == {name: _version(spark, settings, name) for name in versions}


def test_a_rerun_of_the_erased_day_does_not_bring_the_subject_back(spark, erased_lake):
    from jobs.finance import payments_job
    from tests.test_pseudonyms import expected_pseudonym

    settings, holder = erased_lake["settings"], erased_lake["holder"]
    delivered = erased_lake["root"] / "delivered" / "payments.csv"
    assert holder in delivered.read_text(encoding="utf-8")  # the sender's copy, outside the lake
    pipeline_runs.land_and_run(spark, settings, payments_job.SOURCE, "payments_daily", DAY.isoformat(), [delivered], "pay-rerun")
    pseudonym = expected_pseudonym(holder)
    assert spark.sql(
        f"SELECT count(*) AS n FROM delta.`{settings.table_path('silver', 'payment_transactions')}` WHERE from_account = '{pseudonym}' OR to_account = '{pseudonym}'"
    ).first()["n"] == 0
    checks = spark.read.format("delta").load(settings.table_path("audit", "reconciliation")).where("run_id = 'pay-rerun'").collect()
    assert checks and all(check["balanced"] for check in checks)


# --- an erasure killed half way ---------------------------------------------------------------------------


def _erase_in_own_process(erased_lake, dag_id: str, kill_at: str) -> subprocess.CompletedProcess:
    """One erase task as the DAG's task runs it, in a process of its own on the shared engine, killed (SIGKILL) at ``kill_at``."""
    from tests.conftest import settings_environment

    environment = {**os.environ, **settings_environment(erased_lake["root"] / "state"), faults.KILL_AT: kill_at}
    argv = ["--action", "erase", "--pipeline", dag_id, "--logical-date", "2022-05-12", "--run-id", "erasure-killed",
            "--expectations-dir", str(pipeline_runs.EXPECTATIONS)]
    return subprocess.run([sys.executable, "-c", f"from jobs.erasure import main; main({argv!r})"], env=environment,
                          capture_output=True, text=True, timeout=600)


def test_an_erasure_killed_half_way_is_not_certified_and_its_rerun_completes_it(spark, erased_lake):
    """Killed right after a deletion's commit, then again after a landed file's rewrite: no certificate in between;
    the rerun finds what the killed attempts did (the commit's note, the file's hash), purges it and certifies."""
    from jobs.audit import RunContext
    from jobs.erasure_requests import add_request
    from tests.test_pseudonyms import expected_pseudonym

    settings = erased_lake["settings"]
    payments = settings.table_path("silver", "payment_transactions")
    in_payments = {row[0] for row in spark.sql(f"SELECT from_account FROM delta.`{payments}` UNION SELECT to_account FROM delta.`{payments}`").collect()}
    in_kyc = {row[0] for row in spark.sql(f"SELECT account_id FROM delta.`{settings.table_path('silver', 'bank_accounts')}`").collect()}
    delivered = (erased_lake["root"] / "delivered" / "payments.csv").read_text(encoding="utf-8")
    account = sorted(
        candidate for candidate in set(re.findall(r"\bAC\d+\b", delivered)) - {erased_lake["holder"], erased_lake["unapproved"]}
        if expected_pseudonym(candidate) in in_payments & in_kyc
    )[0]
    pseudonym = expected_pseudonym(account)
    silver_rows = spark.sql(f"SELECT count(*) AS n FROM delta.`{payments}` WHERE from_account = '{pseudonym}' OR to_account = '{pseudonym}'").first()["n"]
    records = sum(1 for line in delivered.splitlines() if re.search(requests_module.token_pattern(account), line))
    add_request(settings, "account_holder", account, "account closed", "the customer", "dpo", "er-killed")

    killed = _erase_in_own_process(erased_lake, "payments_daily", "erasure.deleted:silver.payment_transactions")
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    # The killed attempt's commit stands whole, and the version before it is intact and readable.
    version = _version(spark, settings, "silver.payment_transactions")
    count_at = "SELECT count(*) AS n FROM delta.`{path}` VERSION AS OF {version} WHERE from_account = '{pseudonym}' OR to_account = '{pseudonym}'"
    assert spark.sql(count_at.format(path=payments, version=version, pseudonym=pseudonym)).first()["n"] == 0
    assert spark.sql(count_at.format(path=payments, version=version - 1, pseudonym=pseudonym)).first()["n"] == silver_rows
    run = RunContext("erasure-3", "erasure", "erase", "2022-05-12")
    with pytest.raises(erasure.ErasureIncomplete, match=r"request er-killed: .*not purged yet.*not erased yet: \[.*bank_accounts"):
        erasure.certify(spark, settings, run)  # nothing half-done is certified

    killed = _erase_in_own_process(erased_lake, "payments_daily", "landing.rewritten")
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    assert account not in "".join(Path(entry.landed_path).read_text(encoding="utf-8") for entry in landing.manifest_entries(settings, "bank_payments"))

    for chosen in registry().erasure_pipelines():  # the DAG's rerun
        erasure.erase(spark, settings, run, chosen.dag_id, pipeline_runs.EXPECTATIONS)
    (document,) = erasure.certify(spark, settings, run)
    places = {place["place"]: place for place in document["places"]}
    assert places["silver.payment_transactions"]["rows_removed"] == silver_rows > 0
    assert "earlier attempt" in places["silver.payment_transactions"]["detail"]
    assert places["landing:bank_payments"]["rows_removed"] == records > 0
    (rewrite,) = [rewrite for entry in landing.manifest_entries(settings, "bank_payments") for rewrite in entry.rewrites if "er-killed" in rewrite["request_ids"]]
    assert rewrite["records_removed"] == records and "killed" in rewrite["recorded_after"]
    assert all(check["result"] == 0 for check in document["verification"]) and all(place["purged_at"] for place in document["places"] if place["erased_at"])
    found = holding(Path(settings.lake_root), {account, pseudonym})
    assert not {path: hits for path, hits in found.items() if not path.startswith("audit/erasure_steps")}
    assert not holding(Path(settings.landing_root), {account})
