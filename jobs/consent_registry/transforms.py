"""The consent registry as pure DataFrame transforms: bronze -> typed -> (published, quarantined) -> silver.

Each delivered row is one consent event of one data subject for one purpose. Row rules quarantine what the
lake cannot act on: a kind of subject no domain declares, an identifier not in that kind's form, a purpose no
table serves, a status other than granted or withdrawn, a day that does not parse, and one subject, purpose and
day delivered with two different statuses in one file (which is true is unknown: neither is published). Silver
keeps every event, the identifier as a keyed pseudonym (the same as in the tables that hold the subject), so
the state on any day is the latest event effective by then (jobs/consent.py).
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from jobs import row_rules
from jobs.consent_registry import columns as raw
from jobs.declarations import registry
from jobs.delivered import blank_to_null, pick

ROW_RULES = {
    "malformed_row": "the CSV row does not have the header's shape (kept whole in raw_record)",
    "field_missing": "subject_kind, subject_identifier, purpose, status and effective_from are all required",
    "subject_kind_unknown": "subject_kind is not a kind of data subject any domain declares (subjects: in jobs/<domain>/declarations.yaml)",
    "subject_identifier_malformed": "subject_identifier is not in the form its kind declares",
    "purpose_unknown": "purpose is not one any table declares it serves",
    "status_unknown": f"status is not one of {', '.join(raw.STATUSES)}",
    "effective_from_unparseable": "effective_from is not an ISO 8601 date (YYYY-MM-DD)",
    "conflicting_statuses_in_file": "the file gives this subject, purpose and day two statuses: which is true is unknown, so neither is published",
    "duplicate_identical_in_file": "the file holds this exact event more than once; one copy is published",
}


def known_purposes() -> list[str]:
    return sorted({purpose for table in registry().tables.values() for purpose in table.purposes})


def _identifier_in_form() -> Column:
    """The identifier matches the form its kind declares (Java's regex, whole value)."""
    forms = [F.when(F.col("subject_kind") == kind.kind, F.col("subject_identifier").rlike(f"^(?:{kind.identifier_pattern})$")) for kind in registry().subjects.values()]
    return F.coalesce(*forms, F.lit(False))


def typed_events(bronze_batch: DataFrame, delivered_columns: tuple[str, ...] | None = None) -> DataFrame:
    """The delivered strings trimmed and typed; a day that does not parse is NULL beside its delivered text."""
    fields = {name: blank_to_null(pick(bronze_batch, name)) for name in raw.COLUMNS}
    metadata_columns = [name for name in bronze_batch.columns if name.startswith("_")]
    return bronze_batch.select(
        *metadata_columns,
        row_rules.raw_record(bronze_batch, delivered_columns).alias("_raw_record"),
        F.lower(fields["subject_kind"]).alias("subject_kind"),
        fields["subject_identifier"].alias("subject_identifier"),
        F.lower(fields["purpose"]).alias("purpose"),
        F.lower(fields["status"]).alias("status"),
        fields["effective_from"].alias("_effective_from_text"),
        fields["effective_from"].try_cast("date").alias("effective_from"),
    )


def _broken_rule() -> Column:
    event = Window.partitionBy("subject_kind", "subject_identifier", "purpose", "effective_from")
    other = (
        F.when(F.col("_corrupt_record").isNotNull(), F.lit("malformed_row"))
        .when(F.col("subject_kind").isNull() | F.col("subject_identifier").isNull() | F.col("purpose").isNull() | F.col("status").isNull() | F.col("_effective_from_text").isNull(), F.lit("field_missing"))
        .when(~F.col("subject_kind").isin(*registry().subjects), F.lit("subject_kind_unknown"))
        .when(~_identifier_in_form(), F.lit("subject_identifier_malformed"))
        .when(~F.col("purpose").isin(*known_purposes()), F.lit("purpose_unknown"))
        .when(~F.col("status").isin(*raw.STATUSES), F.lit("status_unknown"))
        .when(F.col("effective_from").isNull(), F.lit("effective_from_unparseable"))
    )
    # Two statuses among the event's rows that break no other rule: a broken copy does not make a conflict.
    conflict = F.size(F.collect_set(F.when(other.isNull(), F.col("status"))).over(event)) > 1
    return F.when(other.isNotNull(), other).when(conflict, F.lit("conflicting_statuses_in_file"))


def split_by_row_rules(typed: DataFrame) -> tuple[DataFrame, DataFrame]:
    """``(published, quarantined)``: every row in exactly one; one copy of an event delivered twice is published."""
    keyed = typed.withColumn("_event", F.concat_ws("/", "subject_kind", "subject_identifier", "purpose", F.col("effective_from").cast("string")))
    published, quarantined = row_rules.split_by_row_rules(
        keyed, _broken_rule(), ROW_RULES, key="_event", newest_first=[], duplicate_rule="duplicate_identical_in_file",
        record_key=F.col("subject_kind"), record_key_name="subject_kind",
    )
    return published.drop("_event"), quarantined


def consent_events(published: DataFrame) -> DataFrame:
    """Silver's columns, before the platform keys the identifier."""
    return published.select(
        "subject_kind", F.col("subject_identifier").alias("subject_id"), "purpose", "status", "effective_from",
        F.col("_logical_date").alias("recorded_date"), F.col("_source_file").alias("source_file"), F.col("_batch_id").alias("batch_id"),
    )
