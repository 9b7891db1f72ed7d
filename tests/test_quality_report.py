"""The auditor's report, rendered by Chromium: a published run with a warning, a run a critical gate blocked.

The figures on the pages are compared with audit.dq_results; every link is followed; nothing is loaded
from the network (Chromium runs with every host name unresolvable).
"""

from __future__ import annotations

import re

import pytest
from pyspark.sql import Window
from pyspark.sql import functions as F

from jobs import data_docs, lake, quality, report
from jobs.nyc311 import columns as raw
from tests.browser import links_and_resources, rendered_dom, text_of
from tests.test_nyc311_job import land_and_run, sample_rows, write_csv

PRECISE_LATITUDE = "48.8512345"  # personal data: must appear in no result and no page
GOOD_RUN, BLOCKED_RUN = "scheduled__2022-05-01T00:00:00+00:00", "scheduled__2022-05-02T00:00:00+00:00"
DAG = "nyc311_daily"  # the DAG tests.test_nyc311_job.land_and_run records


@pytest.fixture(scope="module")
def reported_lake(spark, tmp_path_factory):
    from tests.conftest import make_settings

    root = tmp_path_factory.mktemp("reported")
    settings = make_settings(root)
    header, rows = sample_rows(100)
    position = {name: index for index, name in enumerate(header)}
    rows[4][position[raw.LATITUDE]] = PRECISE_LATITUDE  # a precise location outside the city: quarantined
    rows += [list(rows[index]) for index in (1, 2, 3)]  # 3 % repeated keys: a warning, quarantined, published
    land_and_run(spark, settings, "2022-05-01", [write_csv(root / "nyc311_repeats.csv", header, rows)], run_id=GOOD_RUN)
    broken = [list(row) for row in rows[:20]]
    for row in broken:  # a systematic format change: a critical failure
        row[position[raw.CREATED_DATE]] = "2022-05-02T10:00:00"
        row[position[raw.UNIQUE_KEY]] = str(int(row[position[raw.UNIQUE_KEY]]) + 1)
    with pytest.raises(quality.CriticalExpectationFailed):
        land_and_run(spark, settings, "2022-05-02", [write_csv(root / "nyc311_iso_dates.csv", header, broken)], run_id=BLOCKED_RUN)
    return settings


def reports_folder(settings):
    from pathlib import Path

    return Path(settings.reports_root) / report.REPORT_FOLDER


def test_the_index_renders_offline_and_its_figures_match_dq_results(spark, reported_lake):
    dom = rendered_dom(reports_folder(reported_lake) / "index.html")
    links, resources = links_and_resources(dom)
    assert resources == []  # self-contained: nothing to fetch
    assert all(not link.startswith(("http:", "https:", "//")) for link in links)

    results = lake.read_table(spark, reported_lake, "audit", "dq_results")
    latest = Window.partitionBy("table_name", "batch_id")
    latest_runs = results.withColumn("_latest", F.max("validated_at").over(latest)).where("validated_at = _latest")
    for row in latest_runs.groupBy("table_name").agg(
        F.count("*").alias("total"),
        F.sum(F.col("success").cast("int")).alias("passed"),
        F.sum(F.when(~F.col("success") & (F.col("severity") == "critical"), 1).otherwise(0)).alias("critical"),
        F.sum(F.when(~F.col("success") & (F.col("severity") == "warning"), 1).otherwise(0)).alias("warning"),
    ).collect():
        figures = re.findall(r"\b\d+\b", text_of(dom, f"table-{row.table_name}"))  # the header has no digits
        assert figures[:4] == [str(row.total), str(row.passed), str(row.critical), str(row.warning)], row.table_name
    assert "<svg" in dom and 'class="pass-rate"' in dom

    runs = text_of(dom, "runs")
    assert re.search(r"2022-05-02\s+nyc311_daily\s+" + re.escape(BLOCKED_RUN) + r"\s+blocked", runs)
    assert re.search(r"2022-05-01\s+nyc311_daily\s+" + re.escape(GOOD_RUN) + r"\s+published", runs)


def test_every_link_opens_a_rendered_run_page(reported_lake):
    folder = reports_folder(reported_lake)
    links, _ = links_and_resources(rendered_dom(folder / "index.html"))
    assert sorted(links) == sorted([report.TABLES_PAGE] + [report.page_name(DAG, run) for run in (GOOD_RUN, BLOCKED_RUN)])
    # The declared tables with every column's classification and treatment, for a reviewer.
    tables = rendered_dom(folder / report.TABLES_PAGE)
    assert "silver.service_requests" in tables and "precise_location" in tables and "coarsen" in tables
    for link in sorted(set(links) - {report.TABLES_PAGE}):
        dom = rendered_dom(folder / link)
        assert "citylake quality: run" in dom
        run_links = links_and_resources(dom)[0]
        assert run_links[0] == "index.html"
        assert run_links[1].startswith("../data_docs/") and run_links[1].endswith("/index.html")
        assert (folder / run_links[1]).is_file()


def test_data_docs_render_offline_with_every_asset_served_by_the_site(reported_lake):
    folder = reports_folder(reported_lake)
    site = folder.parent / "data_docs" / report.page_name(DAG, GOOD_RUN).removesuffix(".html")
    pages = sorted(site.rglob("*.html"))
    assert len(pages) >= 4  # the index, the suites and the validations of the run
    for page in pages:
        dom = rendered_dom(page)
        links, resources = links_and_resources(dom)
        external = [url for url in links + resources if url.startswith(("http:", "https:", "//"))]
        assert not external, (page, external)
        for resource in resources:
            assert (page.parent / resource.split("?")[0]).is_file(), (page, resource)
    index = rendered_dom(site / "index.html")
    for suite in ("nyc311_batch", "silver_service_requests", "gold_service_requests_daily"):
        assert suite in index
    # citylake's own expectation (jobs/custom_expectations.py) reads as a sentence, as GE's own do.
    silver = [page for page in pages if "validations" in page.parts and "silver_service_requests" in page.parts]
    assert silver
    for page in silver:
        words = " ".join(re.sub(r"<[^>]+>", " ", rendered_dom(page)).split())
        assert "values must be greater than or equal to created_at" in words
        assert "expect_column_values_to_be_greater_than_column" not in words  # GE's fallback for an unrenderable one
    # Bootstrap, jQuery and Vega come from the reports' own static folder, one copy shared by every run's site.
    served = links_and_resources((site / "index.html").read_text())[1]
    shared = data_docs.shared_static_folder()
    for asset in ("bootstrap/dist/css/bootstrap.min.css", "jquery/dist/jquery.min.js", "vega/build/vega.min.js"):
        assert f"./../{shared}/vendor/{asset}" in served
    assert not (site / "static").exists()
    assert sorted(path.name for path in site.parent.iterdir() if path.name.startswith("static-")) == [shared]


def test_the_blocked_run_shows_the_failed_expectation_and_nothing_published(reported_lake):
    dom = rendered_dom(reports_folder(reported_lake) / report.page_name(DAG, BLOCKED_RUN))
    assert "not published: a critical expectation failed" in dom
    results = text_of(dom, "results-silver.service_requests")
    assert re.search(r"expect_column_values_to_not_be_null\s+created_at\s+critical\s+failed\s+20 unexpected \(100\.00%\)", results)


def test_the_published_run_shows_its_warning_version_files_and_quarantine(reported_lake):
    dom = rendered_dom(reports_folder(reported_lake) / report.page_name(DAG, GOOD_RUN))
    assert "Delta version 0, 99 rows, from nyc311_repeats.csv" in dom
    results = text_of(dom, "results-silver.service_requests")
    assert re.search(r"expect_column_values_to_be_unique\s+request_id\s+warning\s+failed", results)
    assert re.search(r"nyc311_repeats.csv\s+\S+\s+103\s+103\s+99\s+4\s+yes", text_of(dom, "reconciliation"))
    quarantine = text_of(dom, "quarantine")
    assert re.search(r"coordinates_invalid\s+1", quarantine) and re.search(r"duplicate_key_in_file\s+3", quarantine)


def test_no_personal_value_reaches_results_reports_or_data_docs(spark, reported_lake):
    """Great Expectations' result formats would copy unexpected values (a precise location) into results."""
    results = lake.read_table(spark, reported_lake, "audit", "dq_results")
    assert results.where(F.col("observed_value").contains(PRECISE_LATITUDE[:7])).count() == 0
    pages = list(reports_folder(reported_lake).parent.rglob("*.html"))
    assert len(pages) > 5
    assert not [page for page in pages if PRECISE_LATITUDE[:7] in page.read_text(encoding="utf-8")]
    # It is in quarantine, where it belongs (a restricted zone), so the check above is not vacuous.
    assert lake.read_table(spark, reported_lake, "quarantine", "service_requests").where(F.col("raw_record").contains(PRECISE_LATITUDE)).count() == 1
