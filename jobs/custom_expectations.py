"""Expectations citylake adds to Great Expectations, so that suites stay in the shared Spark aggregation.

On Spark, Great Expectations bundles every column-map expectation's unexpected count into one
aggregation per metric level, but resolves a column-pair expectation (``expect_column_pair_values_a_to_be_
greater_than_b``) with two row counts of its own, four Spark jobs: about half a second on a 1M-row batch,
a sixth of the silver suite (bench/validation_cost.py). ``expect_column_values_to_be_greater_than_column`` asks the same
row-wise question as a column-map expectation, so it costs one more sum in the shared aggregation.

Importing this module registers the expectation with Great Expectations; :mod:`jobs.quality` does so
before it reads a suite.
"""

from __future__ import annotations

from typing import Optional

from great_expectations.execution_engine import SparkDFExecutionEngine
from great_expectations.expectations.expectation import ColumnMapExpectation, render_suite_parameter_string
from great_expectations.expectations.metrics.map_metric_provider import ColumnMapMetricProvider, column_condition_partial
from great_expectations.render import LegacyRendererType, RenderedStringTemplateContent
from great_expectations.render.renderer.renderer import renderer
from great_expectations.render.util import num_to_str


class ColumnValuesGreaterThanColumn(ColumnMapMetricProvider):
    """Row by row: is ``column`` greater than (or equal to) ``other_column``? A missing other value passes."""

    condition_metric_name = "column_values.greater_than_column"
    condition_value_keys = ("other_column", "or_equal")

    @column_condition_partial(engine=SparkDFExecutionEngine)
    def _spark(cls, column, other_column, or_equal=False, _table=None, **kwargs):
        from pyspark.sql import functions as F

        # Checked here, as Great Expectations checks ``column``: an unknown name inside the shared
        # aggregation would fail every expectation bundled with it, not just this one.
        if _table is not None and other_column not in _table.columns:
            raise ValueError(f'The column "{other_column}" in BatchData does not exist.')
        other = F.col(other_column)
        return other.isNull() | ((column >= other) if or_equal else (column > other))


class ExpectColumnValuesToBeGreaterThanColumn(ColumnMapExpectation):
    """Expect each value of ``column`` to be greater than the same row's ``other_column``.

    The column-map form of ``expect_column_pair_values_a_to_be_greater_than_b`` with
    ``ignore_row_if="either_value_is_missing"``: rows where either value is missing are not judged
    (the percentages count the rows where ``column`` is present).
    """

    other_column: str
    or_equal: bool = False

    map_metric = "column_values.greater_than_column"
    success_keys = ("other_column", "or_equal", "mostly")
    args_keys = ("column", "other_column", "or_equal")

    @classmethod
    @renderer(renderer_type=LegacyRendererType.PRESCRIPTIVE)
    @render_suite_parameter_string
    def _prescriptive_renderer(cls, configuration=None, result=None, runtime_configuration: Optional[dict] = None, **kwargs):
        """The sentence Data Docs show for the expectation, as Great Expectations' own read."""
        arguments = dict(configuration.kwargs) if configuration else {}
        runtime_configuration = runtime_configuration or {}
        relation = "greater than or equal to" if arguments.get("or_equal") else "greater than"
        # Under a column's heading Data Docs leave the column's name out, as for GE's own expectations.
        subject = "$column values" if runtime_configuration.get("include_column_name") is not False else "values"
        template = f"{subject} must be {relation} $other_column"
        params = {"column": arguments.get("column"), "other_column": arguments.get("other_column")}
        mostly = arguments.get("mostly")
        if isinstance(mostly, (int, float)) and mostly < 1:
            template += ", at least $mostly_pct % of the time"
            params["mostly_pct"] = num_to_str(mostly * 100, no_scientific=True)
        styling = runtime_configuration.get("styling")
        return [
            RenderedStringTemplateContent(
                content_block_type="string_template",
                string_template={"template": template + ".", "params": params, "styling": styling},
            )
        ]
