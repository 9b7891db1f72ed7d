"""Gates never block what a row rule could quarantine (issue #16), derived for every critical value check.

For every source, a good generated delivery is fuzzed: each record gets one delivered field set to a value
real feeds send (``BAD_VALUES``: empty, NaN, Infinity, negatives, thousands separators, dates in the future
or in another format, with and without a zone, garbage) or to the next record's value (a duplicate key with
different content when the field is a key): every (field, value) pair once, and one record delivered twice;
each record its own batch id, so the rows it becomes can be traced.

- Without the row rules (the source's own transforms: typed -> silver, pseudonymised -> gold) fuzzed records
  violate critical value checks of the silver and gold suites: each such check thereby gets deliveries that
  violate it.
- Through the real path (typed -> row rules -> silver -> gold) the suites, run by Great Expectations as the
  gates run them, pass, and every record that violated a silver check is in quarantine under a rule (of
  records sharing a key, all but one).
- A critical value check no fuzzed record violates is listed in tests/bad_input/unreachable_checks.yaml with
  why no delivery can (a value the job computes, say): the list is checked both ways, so a new check needs a
  violating delivery here or a reason there.

The products' gold (over several gated inputs) is not derived here. The pure tier on the shared engine: no
Delta table is written.
"""

from __future__ import annotations

import importlib
import itertools
import json
import operator
from datetime import date
from functools import reduce
from pathlib import Path

import pytest
import yaml
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from jobs import pipeline, pseudonyms, publish, quality
from jobs.declarations import registry
from jobs.landing import land_file
from tests.conftest import make_settings

EXPECTATIONS = Path(__file__).parents[1] / "expectations"
UNREACHABLE = yaml.safe_load((Path(__file__).parent / "bad_input" / "unreachable_checks.yaml").read_text())["checks"]
DAY = date(2022, 5, 1)
# Values real feeds put in a field, whatever the field (row-level kinds of the bad-input catalogue).
BAD_VALUES = (
    "", "NaN", "Infinity", "-Infinity", "-1", "-1234.5", "1,234.50", "0", "1e308", "99999999999999999999",
    "2099-12-31T23:59:59", "1900-01-01 00:00:00", "05/01/2022 10:15:00 AM", "2022-05-01T10:15:00Z",
    "2022-05-01T10:15:00+05:00", "2022-05-01", "2099-12-31", "1800-01-01", "12/31/2099 11:59:59 PM",
    "01/01/2000 12:00:00 AM", "not a value",
    "call me on +1 212 555 0100 or write to jane.doe@example.org, @jane_doe",
)
NEXT_RECORDS_VALUE = object()  # the next record's value: a duplicate key with different content when a key
GOOD_RECORDS = 20  # left as delivered, so that every gold period has rows
SOURCES = sorted(ingestion.source for ingestion in registry().ingestions.values() if ingestion.generator)


def check_name(expectation: dict) -> str:
    """``type(columns)``: how a check is named here and in unreachable_checks.yaml."""
    kwargs = expectation["kwargs"]
    columns = kwargs.get("column_list") or [kwargs[key] for key in ("column", "other_column", "column_A", "column_B") if key in kwargs]
    return f"{expectation['type'].removeprefix('expect_')}({', '.join(columns)})"


def _violation(expectation: dict, parameters: dict) -> Column | list[str] | None:
    """The condition a row breaking the check meets (a list of columns: the key a row must not repeat);
    None for a check of the table as a whole, or one that tolerates a share of rows (``mostly``)."""
    kwargs, kind = expectation["kwargs"], expectation["type"].removeprefix("expect_")
    if kwargs.get("mostly", 1) < 1:
        return None
    column = F.col(kwargs["column"]) if "column" in kwargs else None
    if kind == "column_values_to_not_be_null":
        return column.isNull()
    if kind in ("column_values_to_be_unique", "column_proportion_of_unique_values_to_be_between"):
        return [kwargs["column"]] if kind == "column_values_to_be_unique" or kwargs.get("min_value") == 1 else None
    if kind == "compound_columns_to_be_unique":
        return list(kwargs["column_list"])
    # Map expectations ignore NULLs: a NULL comparison below counts as no violation.
    if kind == "column_values_to_be_between":
        low, high = quality.bound(kwargs.get("min_value"), parameters), quality.bound(kwargs.get("max_value"), parameters)
        below = F.lit(False) if low is None else (column <= F.lit(low)) if kwargs.get("strict_min") else (column < F.lit(low))
        above = F.lit(False) if high is None else (column >= F.lit(high)) if kwargs.get("strict_max") else (column > F.lit(high))
        return below | above
    if kind == "column_values_to_be_in_set":
        return ~column.isin(list(quality.bound(kwargs["value_set"], parameters)))
    if kind == "column_values_to_match_regex":
        return ~column.rlike(quality.bound(kwargs["regex"], parameters))
    if kind == "column_values_to_not_match_regex":
        return column.rlike(quality.bound(kwargs["regex"], parameters))
    if kind == "column_values_to_be_greater_than_column":
        other = F.col(kwargs["other_column"])
        return column < other if kwargs.get("or_equal") else column <= other
    if kind == "column_pair_values_a_to_be_greater_than_b":
        a, b = F.col(kwargs["column_A"]), F.col(kwargs["column_B"])
        return a < b if kwargs.get("or_equal") else a <= b
    return None


def value_checks(suite: str, parameters: dict) -> dict[str, Column | list[str]]:
    """The suite's critical checks a single row can break, by name."""
    checks = {}
    for expectation in json.loads((EXPECTATIONS / suite).read_text())["expectations"]:
        if expectation.get("meta", {}).get("severity") == "critical" and (condition := _violation(expectation, parameters)) is not None:
            assert expectation["kwargs"].get("row_condition") is None, f"{suite}: {check_name(expectation)} has a row condition"
            checks[check_name(expectation)] = condition
    return checks


def violators(frame: DataFrame, condition: Column | list[str], traced_by: str | None) -> set[str]:
    """The batch ids (``traced_by``) of the rows breaking a check; without a trace, {'*'} when any does."""
    if isinstance(condition, list):
        repeated = frame.where(reduce(operator.or_, [F.col(name).isNotNull() for name in condition])).groupBy(*condition).count().where("count > 1")
        breaking = frame.join(repeated.drop("count"), condition, "left_semi")
    else:
        breaking = frame.where(F.coalesce(condition, F.lit(False)))
    if traced_by is None:
        return {"*"} if breaking.limit(1).count() else set()
    return {row[0] for row in breaking.select(traced_by).distinct().collect()}


def _described(field: str | None, value) -> str:
    if field is None:
        return "the next record, delivered again"
    return f"{field} = the next record's value" if value is NEXT_RECORDS_VALUE else f"{field} = {value!r}"


def fuzzed_bronze(spark, tmp_path: Path, source: str) -> tuple[DataFrame, tuple[str, ...], dict[str, str]]:
    """The fuzzed delivery as bronze holds it, its columns, and what each fuzzed record's batch id changed."""
    ingestion = registry().ingestion(source)
    generator = importlib.import_module(ingestion.generator)
    code = importlib.import_module(ingestion.job_module).SOURCE
    values = [*BAD_VALUES, NEXT_RECORDS_VALUE]
    settings = make_settings(tmp_path)
    # A first small delivery tells the delivered fields, then one big enough for a record per mutation.
    (probe,) = generator.write_range(tmp_path / "probe", DAY, DAY, 5, defect_share=0.0, shape=generator.SHAPES[0])
    fields = land_file(settings, source, DAY.isoformat(), probe, code.columns)[0].columns
    wanted = len(fields) * len(values) + 1 + GOOD_RECORDS
    (path,) = generator.write_range(tmp_path / "generated", DAY, DAY, wanted, defect_share=0.0, shape=generator.SHAPES[0])
    inbox = Path(settings.inbox_root) / source / DAY.isoformat()
    inbox.mkdir(parents=True)
    (inbox / path.name).write_bytes(path.read_bytes())
    entry, _ = land_file(settings, source, DAY.isoformat(), inbox / path.name, code.columns)
    good = pipeline.with_lineage(pipeline.read_delivery(spark, entry), code, entry)
    rows = [row.asDict() for row in good.collect()]
    assert not any(row[pipeline.CORRUPT_RECORD] for row in rows)
    # Every (field, value) once, then the next record delivered again whole (an exact duplicate).
    mutations = [(field, value) for field in fields for value in values] + [(None, NEXT_RECORDS_VALUE)]
    changes, fuzzed = {}, list(rows[len(mutations):])
    # A record per mutation; waste's delivery (a record per district and month) has fewer: records are reused.
    for number, (field, value) in enumerate(mutations):
        record, following = rows[number % len(rows)], rows[(number + 1) % len(rows)]
        if field is None:
            record = dict(following)
        else:
            record = {**record, field: following[field] if value is NEXT_RECORDS_VALUE else value}
        batch = record["_batch_id"] = f"fuzz-{number:05d}"
        changes[batch] = _described(field, value)
        fuzzed.append(record)
    return spark.createDataFrame(fuzzed, good.schema), entry.columns, changes


@pytest.mark.parametrize("source", SOURCES)
def test_every_critical_value_check_has_a_delivery_that_breaks_it_and_the_row_rules_quarantine_it_first(spark, tmp_path, source):
    code = importlib.import_module(registry().ingestion(source).job_module).SOURCE
    keys = pseudonyms.read_key(make_settings(tmp_path)) if code.silver.pseudonymised else None
    bronze, columns, changes = fuzzed_bronze(spark, tmp_path, source)
    written = itertools.count()

    def kept(frame: DataFrame) -> DataFrame:
        """Computed once: written and read back, as the gates read a staged batch (a plan with windowed
        aggregates, as the AML rules have, misses its own cache entry and would run again per expectation)."""
        path = str(tmp_path / "kept" / str(next(written)))
        frame.write.parquet(path)
        return spark.read.parquet(path)

    def silver_of(rows: DataFrame) -> DataFrame:
        return pseudonyms.pseudonymise(code.to_silver(rows), code.silver, keys) if keys else code.to_silver(rows)

    typed = kept(code.typed(bronze, columns))
    unfiltered = kept(silver_of(typed))
    published, quarantined = code.split(typed)
    silver, quarantined = kept(silver_of(published)), kept(quarantined)
    quarantined_batches = {row[0] for row in quarantined.where("rule_id IS NOT NULL").select("_batch_id").distinct().collect()}
    parameters = {**publish.suite_parameters(code.silver, DAY.isoformat()), "rows_to_publish": silver.count()}
    broken, past_rules = {}, {}
    for name, condition in value_checks(code.silver.suite, parameters).items():
        broken[f"{code.silver.suite}: {name}"] = breaking = violators(unfiltered, condition, "batch_id")
        # A repeated key: one of its records is published, the others are quarantined.
        left = violators(silver, condition, "batch_id") if isinstance(condition, list) else breaking - quarantined_batches
        if left:
            past_rules[name] = sorted(f"{batch}: {changes.get(batch, 'as delivered')}" for batch in left)[:5]
    assert not past_rules, f"rows breaking {code.silver.suite} reach silver past the row rules: {past_rules}"
    gates = quality.critical_failures(quality.validate(silver, EXPECTATIONS / code.silver.suite, parameters, label="fuzzed"))

    if code.gold is not None:
        gold = code.gold
        first, last = gold.refresh(*gold.touched(silver))
        behind = silver.where(F.col(gold.silver_period_column).between(first, last) & F.expr(gold.reconciled_where)).count()
        gold_parameters = {**publish.suite_parameters(gold.target, DAY.isoformat()), gold.reconciled_as: behind}
        gold_unfiltered = kept(gold.transform(unfiltered, first, last))
        for name, condition in value_checks(gold.target.suite, gold_parameters).items():
            broken[f"{gold.target.suite}: {name}"] = violators(gold_unfiltered, condition, None)
        gold_rows = gold.transform(silver, first, last)
        if gold.cached:
            # As publish_gold does: computed once into the engine's cache, which every query of the gate reads.
            gold_rows = gold_rows.persist()
            assert "InMemoryTableScan" in gold_rows.groupBy().count()._explain_string(extended=False), f"{gold.target.name}: a query of its cached rows misses the cache"
        else:
            gold_rows = kept(gold_rows)
        try:
            gates += quality.critical_failures(quality.validate(gold_rows, EXPECTATIONS / gold.target.suite, gold_parameters, label="fuzzed gold"))
        finally:
            gold_rows.unpersist()
    quality.take_validations()
    assert not gates, "a gate blocks the fuzzed delivery past the row rules:\n" + quality.describe_failure(source, "fuzzed", gates)

    derived = {name for name, breaking in broken.items() if breaking}
    suites = {code.silver.suite, code.gold.target.suite if code.gold else None}
    listed = {name for name in UNREACHABLE if name.split(":")[0] in suites}
    assert not derived & listed, f"listed as unreachable, but a fuzzed delivery breaks them: {sorted(derived & listed)}"
    assert set(broken) - derived == listed, (
        f"critical checks no fuzzed delivery breaks, not listed in unreachable_checks.yaml: {sorted(set(broken) - derived - listed)}; "
        f"listed but not critical value checks of these suites: {sorted(listed - set(broken))}"
    )
    print(f"{source}: {len(changes)} fuzzed records; {len(derived)} of {len(broken)} critical value checks broken without the row rules, none past them")
