"""Great Expectations suites, run inside the Spark job on the batch, with results kept as data.

A suite is a Great Expectations ``ExpectationSuite`` JSON file in ``expectations/``. Each expectation
carries ``meta.severity``: ``critical`` stops the batch before anything is published, ``warning`` is
recorded and the batch goes on. Results are reduced to counts and observed values, never row samples,
so personal data does not travel into results or logs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

SEVERITIES = ("critical", "warning")

# Counts and observed values only: BASIC without partial_unexpected values keeps rows out of results.
RESULT_FORMAT = {"result_format": "BASIC", "partial_unexpected_count": 0, "include_unexpected_rows": False}


class SuiteError(ValueError):
    """A suite file is malformed; the message names the file."""


class CriticalExpectationFailed(RuntimeError):
    """A critical expectation failed: the batch must not be published."""


@dataclass(frozen=True)
class ExpectationResult:
    """One expectation's verdict and the evidence an auditor needs."""

    suite: str
    expectation_type: str
    column: str | None
    severity: str
    success: bool
    observed_value: str | None
    unexpected_count: int | None
    unexpected_percent: float | None
    exception: str | None


def load_suite(path: Path):
    """Read and check a suite file; an unknown expectation type or a missing severity names the file."""
    import great_expectations as gx

    import jobs.custom_expectations  # noqa: F401  (registers citylake's expectations before the suite is read)

    try:
        document = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise SuiteError(f"{path}: cannot read suite: {error}") from error
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    expectations = []
    for position, expectation in enumerate(document.get("expectations", [])):
        described = f"{path}: expectation #{position} ({expectation.get('type')})"
        severity = (expectation.get("meta") or {}).get("severity")
        if severity not in SEVERITIES:
            raise SuiteError(f"{described} has severity {severity!r}; use one of {SEVERITIES}")
        # Built one by one: ExpectationSuite(...) would log and silently drop an unknown type.
        try:
            expectations.append(ExpectationConfiguration(**expectation).to_domain_obj())
        except Exception as error:  # GE raises several types for unknown types and bad kwargs
            raise SuiteError(f"{described} is invalid: {error}") from error
    return gx.ExpectationSuite(name=document.get("name") or path.stem, expectations=expectations, meta=document.get("meta"))


# The validations this process ran, with Great Expectations' own result objects, for the run's Data
# Docs (jobs/data_docs.py): a Spark application is one run, and the job takes them at its end.
_validations: list = []


def take_validations() -> list:
    """The (suite, result, batch label) of every validation since the last call."""
    taken = list(_validations)
    _validations.clear()
    return taken


_contexts: list = []


def _context():
    """The process's one ephemeral Great Expectations context: building one costs about a second, and a
    run validates four or more batches."""
    if not _contexts:
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        import jobs.custom_expectations  # noqa: F401  (their metrics registered before the providers are wrapped)

        _skip_queries_for_no_example_values()
        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False)  # they would flood task logs
        _contexts.append(context)
    return _contexts[0]


def _skip_queries_for_no_example_values() -> None:
    """Stop Great Expectations' Spark engine querying for example values that ``RESULT_FORMAT`` asks none of.

    With BASIC results, Great Expectations 1.x fetches each map expectation's first
    ``partial_unexpected_count`` unexpected values even when that count is 0: a filter, a ``limit(0)`` and
    a collect, one round trip to the engine for nothing, about 25 a source run (8-9 per suite). Each Spark
    provider of an ``*.unexpected_values`` metric (Great Expectations' and citylake's own, all registered
    by then) answers an empty list without a query when no value is asked for, and runs as
    before otherwise (COMPLETE results, or a positive count). Counts, percentages and verdicts come from the
    other metrics and do not change.
    """
    import functools

    from great_expectations.expectations.registry import _registered_metrics

    def without_empty_query(values_of):
        @functools.wraps(values_of)
        def values(**kwargs):
            result_format = kwargs["metric_value_kwargs"]["result_format"]
            if result_format.get("result_format") != "COMPLETE" and result_format.get("partial_unexpected_count") == 0:
                return []
            return values_of(**kwargs)

        values.skips_empty_query = True
        return values

    for name, definition in _registered_metrics.items():
        provider = definition["providers"].get("SparkDFExecutionEngine")
        if name.endswith(".unexpected_values") and provider and not getattr(provider[1], "skips_empty_query", False):
            definition["providers"]["SparkDFExecutionEngine"] = provider[0], without_empty_query(provider[1])


def validate(df, suite_path: Path, parameters: dict | None = None, label: str = "batch") -> list[ExpectationResult]:
    """Validate ``df`` (persisted by the caller, so each expectation does not re-read the source).

    ``parameters`` fill the suite's ``{"$PARAMETER": name}`` placeholders: bounds that depend on the run
    (freshness against the logical date, volume against recent history).
    """
    suite = load_suite(suite_path)
    context = _context()
    # A data source and suite of this validation's own: replaced, never accumulated, across validations.
    batch = (
        context.data_sources.add_or_update_spark(name="citylake")
        .add_dataframe_asset(name=suite.name)
        .add_batch_definition_whole_dataframe("batch")
        .get_batch(batch_parameters={"dataframe": df})
    )
    suite = context.suites.add_or_update(suite)
    outcome = batch.validate(suite, result_format=RESULT_FORMAT, expectation_parameters=parameters or {})
    bind_parameters(outcome, parameters or {})
    _validations.append((suite, outcome, label))
    return [_result(suite.name, result) for result in outcome.results]


def bind_parameters(outcome, parameters: dict) -> None:
    """Put the run's values in place of the suite's ``{"$PARAMETER": name}`` placeholders in ``outcome``.

    Data Docs render each result's expectation as the suite wrote it: a placeholder is no list, and Great
    Expectations 1.x's renderer of the ordered-columns check fails on it (``KeyError: 0``, the check missing
    from the page). Bound, the auditor's page says which columns, days and bounds this batch was held to.
    """
    for result in outcome.results:
        kwargs = result.expectation_config.kwargs
        for key, value in list(kwargs.items()):
            kwargs[key] = bound(value, parameters)


def bound(value, parameters: dict):
    """A suite's argument with its ``{"$PARAMETER": name}`` placeholder (if any) replaced by the run's value."""
    if isinstance(value, dict) and set(value) == {"$PARAMETER"} and value["$PARAMETER"] in parameters:
        return parameters[value["$PARAMETER"]]
    return value


def _result(suite_name: str, result) -> ExpectationResult:
    config = result.expectation_config
    kwargs = config.kwargs
    column = ",".join(str(kwargs[key]) for key in ("column", "other_column", "column_A", "column_B") if kwargs.get(key)) or None
    details = result.result or {}
    observed = details.get("observed_value")
    return ExpectationResult(
        suite=suite_name,
        expectation_type=config.type,
        column=column,
        severity=(config.meta or {}).get("severity", "critical"),
        success=bool(result.success),
        observed_value=None if observed is None else json.dumps(observed, default=str),
        unexpected_count=details.get("unexpected_count"),
        unexpected_percent=details.get("unexpected_percent"),
        exception=_exception_message(result.exception_info),
    )


def _exception_message(info) -> str | None:
    """GE reports a check that could not run (say, its column is missing) as exception info."""
    if not info:
        return None
    if isinstance(info, dict) and "exception_message" in info:
        return info["exception_message"] if info.get("raised_exception") else None
    messages = [message for value in (info.values() if isinstance(info, dict) else []) if (message := _exception_message(value))]
    return "; ".join(messages) or None


def critical_failures(results: list[ExpectationResult]) -> list[ExpectationResult]:
    """Results that block publication: failed critical expectations and checks that could not run."""
    return [result for result in results if not result.success and (result.severity == "critical" or result.exception)]


def describe_failure(table: str, batch_id: str, failures: list[ExpectationResult]) -> str:
    """The message a failed gate raises: table, batch, expectation and what was observed."""
    lines = [f"{table}: batch {batch_id} failed {len(failures)} critical expectation(s):"]
    for failure in failures:
        evidence = failure.exception or (
            f"unexpected {failure.unexpected_count} ({failure.unexpected_percent:.2f}%)"
            if failure.unexpected_count is not None and failure.unexpected_percent is not None
            else f"observed {failure.observed_value}"
        )
        lines.append(f"  - {failure.suite}: {failure.expectation_type}({failure.column}): {evidence}")
    return "\n".join(lines)
