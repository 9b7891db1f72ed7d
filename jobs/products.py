"""What every product job does: read its declared inputs, build its output, publish it through its gate, report.

A product (``products:`` in a domain's declarations) is gold computed from several silver or gold tables,
scheduled on their Assets. Its module gives only the transform (``build``: the inputs present, by table
name -> the output's rows, or None when there is nothing to build from yet); this runner does the rest
the same way for every product. Refresh ``rebuild``: each run replaces the whole output, so a rerun
gives the same table.

A product may read a restricted table (bronze: sanctions screening needs the holders' names in clear). Its
build then runs in the restricted zone, and this runner keys every column the output declares
``pseudonymise`` before anything is staged or written: what leaves holds only pseudonyms.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from pyspark.sql import DataFrame, SparkSession

from jobs import alerts, audit, consent, declarations, lake, pipeline, pseudonyms, publish, report
from jobs.audit import RunContext
from jobs.settings import Settings

Build = Callable[[dict[str, DataFrame]], DataFrame | None]


def run(spark: SparkSession, settings: Settings, run_context: RunContext, product: declarations.Product, build: Build, expectations_dir: Path) -> None:
    """Rebuild the product's output from the inputs that exist, through its gate; the run's report in any case."""
    if product.refresh != "rebuild":
        raise NotImplementedError(f"{product.name}: refresh {product.refresh!r}; products are rebuilt whole for now")
    lake_tables = declarations.registry()
    (target,) = (lake_tables.table(name) for name in product.outputs)
    alerts.file_alerts(spark, settings)
    reads_clear = any(lake_tables.table(name).restricted for name in product.inputs)
    # Before any work: a missing, short or silently changed key stops the run here.
    key = pseudonyms.checked_key(spark, settings, run_context.run_id) if reads_clear and target.pseudonym_columns else None
    trail = None
    try:
        addresses = {name: lake_tables.table(name).address for name in product.inputs}
        present = {name: lake.read_table(spark, settings, *address) for name, address in addresses.items() if lake.table_exists(spark, settings, *address)}
        rows = build(present)
        if rows is None:
            return
        if key is not None:
            rows = pseudonyms.pseudonymise(rows, target, key, target.pseudonym_columns)
        rows = consent.without_withdrawn(spark, settings, run_context, target, rows)
        with audit.recording(spark, settings, run_context) as trail:
            publish.write_audit_publish(
                spark, settings, run_context, target, rows, f"{product.name}-{run_context.logical_date}", expectations_dir,
                lambda staged: lake.replace_where(staged, settings, target.zone, target.table, "true"),
                sorted(present),
            )
    finally:
        report.write_report_logging_errors(spark, settings, run_context.dag_id, run_context.run_id, trail)


def main(product_name: str, build: Build, argv: list[str] | None = None, spark: SparkSession | None = None) -> None:
    """``python -m jobs.run <product job> --logical-date D --expectations-dir E [--run-id ...]``."""
    product = declarations.registry().products[product_name]
    called = pipeline.invocation(product.job, argv, spark)
    run(called.spark, called.settings, called.run_context, product, build, called.expectations_dir)
