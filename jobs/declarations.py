"""The table registry: what the lake knows about every table, read from the declarations beside each domain.

Each domain folder (``jobs/<domain>/declarations.yaml``) declares, once, every table it writes: zone,
owner, description, columns with type, classification and treatment, key, partitioning, the purposes
it serves, retention, whether BI may see it and what maintenance clusters it by; and how the domain
runs: an *ingestion* (landed files -> bronze -> silver -> gold, one DAG per source), a *snapshot* (a
reference list delivered whole, each delivery a new version of its tables) or *products* (gold tables
computed from several other tables, with their own refresh rule). The lake's own tables (audit,
the landing manifest) are declared in ``jobs/lake_tables/``.

Everything that needs a table's facts asks this registry: the DAG factory, the job runner, the gates,
quarantine export, maintenance, the SQL endpoint, the report, the CLI and the tests. It imports no
Spark and reads only small text files, so DAG parsing and landing can use it too. Platform code never
names a domain: a new source is a new folder with its declarations, code and suites.

Classification is default-deny: a column without a classification cannot be declared, an undeclared
column cannot be written past bronze (see :meth:`Table.check_written`), and past the restricted zones a
direct identifier or a precise location is never kept in clear.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from importlib import resources

import yaml

DECLARATIONS_FILE = "declarations.yaml"
ZONES = ("landing", "bronze", "silver", "gold", "quarantine", "audit")
# Where clear personal data may live; BI never sees these zones.
RESTRICTED_ZONES = frozenset({"landing", "bronze", "quarantine", "staging"})
CLASSIFICATIONS = ("direct_identifier", "quasi_identifier", "sensitive", "precise_location", "none")
TREATMENTS = ("keep", "pseudonymise", "mask", "coarsen", "drop")
# Past the restricted zones these classes are never kept as delivered: the treatments allowed there.
UNSAFE_IN_CLEAR = {
    "direct_identifier": {"pseudonymise", "mask", "drop"},
    "precise_location": {"coarsen", "drop"},
}
# Added by the platform to every silver or gold table with a pseudonymised column: which key made its pseudonyms.
KEY_VERSION_COLUMN = "pseudonym_key_version"
RETENTION_COLUMN = "_logical_date"  # a retention counts from the day a row was delivered for (jobs/retention.py)
REFRESH_RULES = ("rebuild", "period_range", "snapshot")
# A restricted table's rows hold a data subject wherever their identifier appears, in any delivered field.
ANYWHERE = "*"
# Bronze keeps what was delivered, as delivered: Delta refuses any change to such a table but an append, except
# the retention's DELETE, which lifts the property for its commit (jobs/retention.py).
APPEND_ONLY_ZONES = frozenset({"bronze"})
# The column types Delta keeps per-file min/max statistics for (data skipping); others get none anyway.
STATISTICS_TYPES = ("string", "tinyint", "smallint", "int", "bigint", "float", "double", "date", "timestamp", "timestamp_ntz")


class DeclarationError(ValueError):
    """A declaration is malformed or breaks the classification policy; the message names file and table."""


class UndeclaredColumnsError(RuntimeError):
    """What a job would write does not match its table's declaration; the message names table and columns."""


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # Spark's simple type string: string, bigint, double, date, timestamp, array<string>, ...
    classification: str
    treatment: str
    description: str
    spellings: tuple[str, ...] = ()  # other names a delivered (bronze) column arrives under


@dataclass(frozen=True)
class Table:
    name: str  # zone.table
    domain: str
    owner: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    partition_by: tuple[str, ...] = ()
    cluster_by: tuple[str, ...] = ()
    purposes: tuple[str, ...] = ()
    retention_days: int | None = None
    bi: bool = False
    suite: str | None = None  # the Great Expectations suite that gates its writes
    accepts_new_columns: bool = False  # bronze keeps columns a publisher adds (schema drift)
    format: str = "delta"
    # Which data subjects' rows it may hold, and in which columns: ((kind, (column, ...)), ...); ANYWHERE
    # (restricted zones only) means any field of the row as delivered (jobs/erasure.py).
    subjects: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def zone(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def table(self) -> str:
        return self.name.split(".", 1)[1]

    @property
    def address(self) -> tuple[str, str]:
        return self.zone, self.table

    @property
    def restricted(self) -> bool:
        return self.zone in RESTRICTED_ZONES

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    @property
    def pseudonym_columns(self) -> tuple[str, ...]:
        """Columns holding keyed pseudonyms (outside the restricted zones): what a key rotation re-keys."""
        if self.restricted:
            return ()
        return tuple(column.name for column in self.columns if column.treatment == "pseudonymise")

    @property
    def pseudonymised(self) -> tuple[str, ...]:
        """Columns the platform replaces by keyed pseudonyms on the way into this table (silver only;
        gold takes its pseudonyms from silver)."""
        return self.pseudonym_columns if self.zone == "silver" else ()

    def column(self, name: str) -> Column:
        for column in self.columns:
            if name == column.name or name in column.spellings:
                return column
        raise KeyError(f"{self.name} declares no column {name!r}")

    def subject_columns(self, kind: str) -> tuple[str, ...]:
        """The columns holding a subject of ``kind`` (clear in restricted zones, a keyed pseudonym elsewhere); () if none."""
        return dict(self.subjects).get(kind, ())

    @property
    def append_only(self) -> bool:
        return self.zone in APPEND_ONLY_ZONES

    def creation_properties(self, present: list[str]) -> dict[str, str]:
        """The Delta table properties this table is created with: append-only, and its statistics columns."""
        return {**({"delta.appendOnly": "true"} if self.append_only else {}), **self.statistics_properties(present)}

    def statistics_properties(self, present: list[str]) -> dict[str, str]:
        """The Delta table properties that keep classified columns out of the log's per-file statistics.

        Delta records each data file's min and max of its first 32 columns in the table's log, which a
        DELETE and VACUUM leave behind (log files are kept 30 days, then live on in checkpoints): an erased
        name or id would outlive its rows there. Only columns classified ``none`` are given statistics.
        ``present``: the table's columns as it is created (a bronze table's delivered spellings); a column
        the declaration does not know (schema drift) is unclassified, so it gets none either.
        """
        if all(column.classification == "none" for column in self.columns):
            return {}
        indexed = []
        for name in present:
            try:
                column = self.column(name)
            except KeyError:
                continue
            if column.classification == "none" and name not in self.partition_by and (column.type in STATISTICS_TYPES or column.type.startswith("decimal")):
                indexed.append("`" + name.replace("`", "``") + "`")
        if not indexed:
            return {"delta.dataSkippingNumIndexedCols": "0"}
        return {"delta.dataSkippingStatsColumns": ",".join(indexed)}

    def ddl(self) -> str:
        """The declared schema as Spark DDL (``a string, b bigint``), for tables the platform writes itself."""
        return ", ".join(f"`{column.name}` {column.type}" for column in self.columns)

    def check_written(self, fields: list[tuple[str, str]]) -> None:
        """Refuse a write whose ``(name, type)`` fields differ from the declaration, naming table and columns.

        Default deny: a column the transform produces but the declaration lacks has no classification,
        so it cannot pass; a declared column the data lacks means the declaration or the transform is wrong.
        """
        declared = {column.name: column.type for column in self.columns}
        produced = dict(fields)
        undeclared = [name for name in produced if name not in declared]
        missing = [name for name in declared if name not in produced]
        mistyped = [f"{name} ({produced[name]}, declared {declared[name]})" for name in declared if name in produced and produced[name] != declared[name]]
        problems = []
        if undeclared:
            problems.append(f"produced but not declared (no classification, so it may not be written): {undeclared}")
        if missing:
            problems.append(f"declared but not in the data: {missing}")
        if mistyped:
            problems.append(f"of another type than declared: {mistyped}")
        if problems:
            raise UndeclaredColumnsError(f"{self.name} (declared in jobs/{self.domain}/{DECLARATIONS_FILE}): " + "; ".join(problems))

    def check_schema(self, schema) -> None:
        """:meth:`check_written` for a Spark schema (a StructType, read by its fields: this module imports no Spark)."""
        self.check_written([(field.name, field.dataType.simpleString()) for field in schema.fields])


@dataclass(frozen=True)
class Ingestion:
    """A source: landed files -> bronze -> silver -> gold, one DAG run per logical date."""

    source: str  # the landing and manifest name, for example nyc_311
    domain: str
    owner: str
    dag_id: str
    job: str  # jobs/run.py's name for it
    job_module: str
    delivery_columns: str  # module without Spark naming the columns a delivery must hold
    generator: str | None
    schedule: str  # cron, UTC
    start_date: str
    tags: tuple[str, ...]
    doc_md: str  # file name in the domain folder
    bronze: str
    batch_suite: str
    quarantine: str
    silver: str
    gold: tuple[str, ...]
    pool: str | None = None  # the Airflow pool its writes (and the maintenance of its tables) run in

    @property
    def tables(self) -> tuple[str, ...]:
        return (self.bronze, self.quarantine, self.silver, *self.gold)


@dataclass(frozen=True)
class Product:
    """Gold tables computed from several inputs (silver or gold tables), scheduled on the inputs' Assets."""

    name: str
    domain: str
    owner: str
    dag_id: str
    job: str
    job_module: str
    inputs: tuple[str, ...]
    refresh: str  # rebuild | period_range | snapshot
    outputs: tuple[str, ...]
    tags: tuple[str, ...]
    doc_md: str
    pool: str | None = None

    @property
    def tables(self) -> tuple[str, ...]:
        return self.outputs


@dataclass(frozen=True)
class Snapshot:
    """A reference list delivered whole (a sanctions list): each delivery that passes its checks replaces
    the output tables as a new Delta version, so which list was in force at any time stays answerable; a
    delivery that fails them leaves the list in force."""

    source: str  # the landing and manifest name
    domain: str
    owner: str
    dag_id: str
    job: str
    job_module: str
    delivery_columns: str  # module without Spark naming the files and columns a delivery must hold
    schedule: str  # cron, UTC: when a new list is looked for
    start_date: str
    tags: tuple[str, ...]
    doc_md: str
    outputs: tuple[str, ...]
    pool: str | None = None

    @property
    def tables(self) -> tuple[str, ...]:
        return self.outputs


@dataclass(frozen=True)
class Subject:
    """A kind of data subject the lake holds (a social author, an account holder): what a request names them by.

    Tables declare where they hold one (``subjects:``); erasure and consent find the subject there."""

    kind: str
    domain: str
    description: str
    identifier: str  # what the request's subject identifier is, in words
    identifier_pattern: str  # a valid identifier matches it whole (Python regex)


@dataclass(frozen=True)
class Registry:
    tables: dict[str, Table]
    ingestions: dict[str, Ingestion] = field(default_factory=dict)  # by source
    products: dict[str, Product] = field(default_factory=dict)  # by name
    snapshots: dict[str, Snapshot] = field(default_factory=dict)  # by source
    subjects: dict[str, Subject] = field(default_factory=dict)  # by kind
    consent_table: str | None = None  # the silver table of consent events (jobs/consent.py), if a domain declares one

    def table(self, name: str) -> Table:
        try:
            return self.tables[name]
        except KeyError:
            raise KeyError(f"no table {name!r} is declared; declared: {sorted(self.tables)}") from None

    def ingestion(self, source: str) -> Ingestion:
        try:
            return self.ingestions[source]
        except KeyError:
            raise KeyError(f"unknown source {source!r}; declared: {sorted(self.ingestions)}") from None

    @property
    def pipelines(self) -> list[Ingestion | Snapshot | Product]:
        """Everything that has a DAG and a job, ingestions first, products last."""
        return [*self.ingestions.values(), *self.snapshots.values(), *self.products.values()]

    def jobs(self) -> dict[str, str]:
        """jobs/run.py's job names -> the module whose ``main`` runs it."""
        return {pipeline.job: pipeline.job_module for pipeline in self.pipelines}

    def writer_of(self, table_name: str) -> Ingestion | Snapshot | Product:
        for pipeline in self.pipelines:
            if table_name in pipeline.tables:
                return pipeline
        raise KeyError(f"no ingestion or product writes {table_name!r}")

    def writers_pool(self, table_name: str) -> str | None:
        """The Airflow pool of the one DAG that writes the table; None for the lake's own tables
        (audit, manifest), which every DAG writes and whose writers retry on a concurrent commit."""
        return self.writer_of(table_name).pool if any(table_name in pipeline.tables for pipeline in self.pipelines) else None

    def pools(self) -> dict[str, dict]:
        """The Airflow pools the declarations name, in ``airflow pools import`` form: one slot each, so a
        table's writer and its maintenance never run at the same time (see dags/lake_maintenance.py)."""
        return {
            pipeline.pool: {
                "slots": 1,
                "description": f"Writers of {pipeline.dag_id}'s tables and their maintenance: one at a time, so OPTIMIZE never races a replace.",
                "include_deferred": False,
            }
            for pipeline in self.pipelines
            if pipeline.pool
        }

    def in_zones(self, *zones: str) -> list[Table]:
        return [table for table in self.tables.values() if table.zone in zones]

    def bi_tables(self) -> list[Table]:
        """The tables the SQL endpoint serves: only those declared ``bi: true`` (default deny)."""
        return [table for table in self.tables.values() if table.bi]

    def retained(self) -> list[Table]:
        """Tables whose rows expire (declared ``retention_days``): maintenance deletes and purges them."""
        return [table for table in self.tables.values() if table.retention_days is not None]

    def holding(self, kind: str) -> list[Table]:
        """Tables that declare they may hold a data subject of ``kind``."""
        return [table for table in self.tables.values() if table.subject_columns(kind)]

    def subject(self, kind: str) -> Subject:
        try:
            return self.subjects[kind]
        except KeyError:
            raise KeyError(f"unknown data subject kind {kind!r}; declared: {sorted(self.subjects)}") from None

    def erasure_pipelines(self) -> list[Ingestion | Snapshot | Product]:
        """The pipelines an erasure goes through (jobs/erasure.py): those whose tables may hold a subject, and
        products over a table one of those changes, in dependency order (sources first, each product after
        the products it reads)."""
        changed = {table.name for kind in self.subjects for table in self.holding(kind)}
        for ingestion in self.ingestions.values():
            if ingestion.silver in changed:
                changed.update(ingestion.gold)
        chosen = [pipeline for pipeline in (*self.ingestions.values(), *self.snapshots.values()) if set(pipeline.tables) & changed]
        remaining = list(self.products.values())
        while ready := [product for product in remaining if set(product.inputs) & changed or set(product.outputs) & changed]:
            for product in ready:
                chosen.append(product)
                changed.update(product.outputs)
                remaining.remove(product)
        return chosen

    def clustered(self) -> list[Table]:
        """Tables maintenance compacts and Z-orders (declared ``cluster_by``)."""
        return [table for table in self.tables.values() if table.cluster_by]

    def doc(self, pipeline: Ingestion | Snapshot | Product) -> str:
        """The DAG's ``doc_md``, kept as a Markdown file in the domain folder (its job module's package)."""
        return resources.files(pipeline.job_module.rpartition(".")[0]).joinpath(pipeline.doc_md).read_text(encoding="utf-8")


def _tuple(value) -> tuple:
    return tuple(value or ())


def _column(origin: str, table: str, raw: dict) -> Column:
    name = raw.get("name")
    for required in ("name", "type", "classification", "treatment"):
        if not raw.get(required):
            raise DeclarationError(f"{origin}: {table}: column {name!r} has no {required}")
    if raw["classification"] not in CLASSIFICATIONS:
        raise DeclarationError(f"{origin}: {table}.{name}: classification {raw['classification']!r} is not one of {CLASSIFICATIONS}")
    if raw["treatment"] not in TREATMENTS:
        raise DeclarationError(f"{origin}: {table}.{name}: treatment {raw['treatment']!r} is not one of {TREATMENTS}")
    return Column(name, raw["type"], raw["classification"], raw["treatment"], raw.get("description", ""), _tuple(raw.get("spellings")))


def _table(origin: str, domain: str, owner: str, raw: dict) -> Table:
    name = raw.get("name", "")
    if name.count(".") != 1 or name.split(".")[0] not in ZONES:
        raise DeclarationError(f"{origin}: table name {name!r} must be <zone>.<table> with a zone in {ZONES}")
    columns = tuple(_column(origin, name, column) for column in raw.get("columns") or ())
    if not columns:
        raise DeclarationError(f"{origin}: {name} declares no columns")
    table = Table(
        name=name, domain=domain, owner=raw.get("owner", owner), description=raw.get("description", ""), columns=columns,
        key=_tuple(raw.get("key")), partition_by=_tuple(raw.get("partition_by")), cluster_by=_tuple(raw.get("cluster_by")),
        purposes=_tuple(raw.get("purposes")), retention_days=raw.get("retention_days"), bi=bool(raw.get("bi", False)),
        suite=raw.get("suite"), accepts_new_columns=bool(raw.get("accepts_new_columns", False)), format=raw.get("format", "delta"),
        subjects=tuple((str(kind), _tuple(columns)) for kind, columns in (raw.get("subjects") or {}).items()),
    )
    if table.pseudonym_columns and KEY_VERSION_COLUMN not in table.column_names:
        table = Table(**{**table.__dict__, "columns": columns + (Column(KEY_VERSION_COLUMN, "int", "none", "keep", "version of the key that made this row's pseudonyms"),)})
    _check_policy(origin, table)
    return table


def _check_policy(origin: str, table: Table) -> None:
    """Past the restricted zones, unsafe classes are never kept in clear; BI sees no restricted zone."""
    names = table.column_names
    for wanted in (*table.key, *table.partition_by, *table.cluster_by):
        if wanted not in names:
            raise DeclarationError(f"{origin}: {table.name}: key, partition or cluster column {wanted!r} is not declared")
    for wanted in table.cluster_by:
        if table.column(wanted).classification != "none":
            # Clustering needs the column's statistics, and a classified column has none (statistics_properties).
            raise DeclarationError(f"{origin}: {table.name}: cluster column {wanted!r} must be classified none")
    for kind, columns in table.subjects:
        if not columns:
            raise DeclarationError(f"{origin}: {table.name}: subject {kind!r} names no column")
        for name in columns:
            if name == ANYWHERE:
                if not table.restricted:
                    raise DeclarationError(f"{origin}: {table.name}: subject {kind!r} '{ANYWHERE}' (anywhere in the row) is for restricted zones; name the pseudonymised columns")
            elif name not in names:
                raise DeclarationError(f"{origin}: {table.name}: subject {kind!r} column {name!r} is not declared")
            elif not table.restricted and name not in table.pseudonym_columns:
                raise DeclarationError(f"{origin}: {table.name}: subject {kind!r} column {name!r} is not pseudonymised, so a subject's pseudonym cannot be found in it")
    if table.retention_days is not None:
        dated = [column for column in table.columns if column.name == RETENTION_COLUMN and column.type == "date"]
        if not dated or not isinstance(table.retention_days, int) or table.retention_days < 1:
            raise DeclarationError(
                f"{origin}: {table.name}: retention_days must be a whole number of days (at least 1) counted on a "
                f"declared {RETENTION_COLUMN} date column; got {table.retention_days!r}"
            )
    if table.restricted:
        if table.bi:
            raise DeclarationError(f"{origin}: {table.name}: a restricted zone ({table.zone}) is never exposed to BI")
        return
    for column in table.columns:
        allowed = UNSAFE_IN_CLEAR.get(column.classification)
        if allowed and column.treatment not in allowed:
            raise DeclarationError(
                f"{origin}: {table.name}.{column.name}: a {column.classification} may leave the restricted zones only "
                f"with treatment {sorted(allowed)}, not {column.treatment!r}"
            )
        if column.treatment == "drop":
            raise DeclarationError(f"{origin}: {table.name}.{column.name}: a dropped column is not in the table; remove it")


def _subjects(origin: str, domain: str, document: dict) -> list[Subject]:
    subjects = []
    for raw in document.get("subjects") or ():
        try:
            subjects.append(Subject(domain=domain, **{key: str(raw[key]) for key in ("kind", "description", "identifier", "identifier_pattern")}))
        except KeyError as error:
            raise DeclarationError(f"{origin}: subject lacks {error.args[0]!r}") from None
    return subjects


def _load(origin: str, text: str) -> dict:
    try:
        # libyaml's loader where the wheel has it: DAG parsing reads every declaration.
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
    except yaml.YAMLError as error:
        raise DeclarationError(f"{origin}: not valid YAML: {error}") from error


def parse(domain: str, text: str, origin: str | None = None) -> tuple[list[Table], list[Ingestion], list[Product], list[Snapshot]]:
    """One domain's declarations file -> its tables, ingestions, products and snapshots (its subjects: ``_subjects``)."""
    origin = origin or f"jobs/{domain}/{DECLARATIONS_FILE}"
    return _parse_document(domain, _load(origin, text), origin)


def _parse_document(domain: str, document: dict, origin: str) -> tuple[list[Table], list[Ingestion], list[Product], list[Snapshot]]:
    owner = document.get("owner")
    if not owner:
        raise DeclarationError(f"{origin}: no owner")
    tables = [_table(origin, domain, owner, raw) for raw in document.get("tables") or ()]
    ingestions = []
    # One source per domain as ``ingestion``, or several as ``ingestions``.
    for raw in ([document["ingestion"]] if document.get("ingestion") else []) + list(document.get("ingestions") or ()):
        try:
            ingestions.append(Ingestion(
                domain=domain, owner=owner, generator=raw.get("generator"), pool=raw.get("pool"),
                tags=_tuple(raw.get("tags")), gold=_tuple(raw.get("gold")),
                **{key: str(raw[key]) for key in ("source", "dag_id", "job", "job_module", "delivery_columns", "schedule", "start_date", "doc_md", "bronze", "batch_suite", "quarantine", "silver")},
            ))
        except KeyError as error:
            raise DeclarationError(f"{origin}: ingestion lacks {error.args[0]!r}") from None
    products = []
    for raw in document.get("products") or ():
        try:
            products.append(Product(
                domain=domain, owner=owner, inputs=_tuple(raw.get("inputs")), outputs=_tuple(raw.get("outputs")),
                tags=_tuple(raw.get("tags")), pool=raw.get("pool"),
                **{key: str(raw[key]) for key in ("name", "dag_id", "job", "job_module", "refresh", "doc_md")},
            ))
        except KeyError as error:
            raise DeclarationError(f"{origin}: product lacks {error.args[0]!r}") from None
    snapshots = []
    for raw in document.get("snapshots") or ():
        try:
            snapshots.append(Snapshot(
                domain=domain, owner=owner, outputs=_tuple(raw.get("outputs")), tags=_tuple(raw.get("tags")), pool=raw.get("pool"),
                **{key: str(raw[key]) for key in ("source", "dag_id", "job", "job_module", "delivery_columns", "schedule", "start_date", "doc_md")},
            ))
        except KeyError as error:
            raise DeclarationError(f"{origin}: snapshot lacks {error.args[0]!r}") from None
    return tables, ingestions, products, snapshots


def build(documents: dict[str, str]) -> Registry:
    """A registry from ``{domain: declarations text}``, with every cross-reference checked."""
    tables, ingestions, products, snapshots, subjects, consent_table = {}, {}, {}, {}, {}, None
    for domain, text in sorted(documents.items()):
        origin = f"jobs/{domain}/{DECLARATIONS_FILE}"
        document = _load(origin, text)
        domain_tables, domain_ingestions, domain_products, domain_snapshots = _parse_document(domain, document, origin)
        if document.get("consent"):
            if consent_table:
                raise DeclarationError(f"jobs/{domain}: a second table of consent events; {consent_table} is declared already")
            consent_table = str(document["consent"])
        for subject in _subjects(origin, domain, document):
            if subject.kind in subjects:
                raise DeclarationError(f"data subject {subject.kind} is declared twice: in jobs/{subjects[subject.kind].domain} and jobs/{domain}")
            subjects[subject.kind] = subject
        for table in domain_tables:
            if table.name in tables:
                raise DeclarationError(f"{table.name} is declared twice: in jobs/{tables[table.name].domain} and jobs/{domain}")
            tables[table.name] = table
        for ingestion in domain_ingestions:
            ingestions[ingestion.source] = ingestion
        for product in domain_products:
            products[product.name] = product
        for snapshot in domain_snapshots:
            snapshots[snapshot.source] = snapshot
    registry = Registry(tables, ingestions, products, snapshots, subjects, consent_table)
    _check_references(registry)
    return registry


def _check_references(registry: Registry) -> None:
    zones_expected = {"bronze": "bronze", "quarantine": "quarantine", "silver": "silver"}
    for ingestion in registry.ingestions.values():
        for role, zone in zones_expected.items():
            name = getattr(ingestion, role)
            if name not in registry.tables or registry.tables[name].zone != zone:
                raise DeclarationError(f"ingestion {ingestion.source}: {role} {name!r} is not a declared {zone} table")
        for name in ingestion.gold:
            if name not in registry.tables or registry.tables[name].zone != "gold":
                raise DeclarationError(f"ingestion {ingestion.source}: gold {name!r} is not a declared gold table")
    for product in registry.products.values():
        if product.refresh not in REFRESH_RULES:
            raise DeclarationError(f"product {product.name}: refresh {product.refresh!r} is not one of {REFRESH_RULES}")
        for name in (*product.inputs, *product.outputs):
            if name not in registry.tables:
                raise DeclarationError(f"product {product.name}: {name!r} is not a declared table")
        for name in product.outputs:
            if registry.tables[name].zone != "gold":
                raise DeclarationError(f"product {product.name}: output {name!r} is not a gold table")
    for snapshot in registry.snapshots.values():
        for name in snapshot.outputs:
            if name not in registry.tables or registry.tables[name].zone != "silver":
                raise DeclarationError(f"snapshot {snapshot.source}: output {name!r} is not a declared silver table")
    if registry.consent_table and registry.consent_table not in registry.tables:
        raise DeclarationError(f"consent: {registry.consent_table!r} is not a declared table")
    for table in registry.tables.values():
        for kind, _ in table.subjects:
            if kind not in registry.subjects:
                raise DeclarationError(f"{table.name} (jobs/{table.domain}): data subject {kind!r} is not declared; declared: {sorted(registry.subjects)}")
    seen: dict[str, str] = {}
    for pipeline in registry.pipelines:
        for name in pipeline.tables:
            if name in seen:
                raise DeclarationError(f"{name} has two writers: {seen[name]} and {pipeline.dag_id}")
            seen[name] = pipeline.dag_id


def read_documents(package: str = "jobs") -> dict[str, str]:
    """``{domain: text}`` for every ``<package>/<domain>/declarations.yaml``."""
    root = resources.files(package)
    return {
        folder.name: folder.joinpath(DECLARATIONS_FILE).read_text(encoding="utf-8")
        for folder in sorted(root.iterdir(), key=lambda item: item.name)
        if folder.is_dir() and folder.joinpath(DECLARATIONS_FILE).is_file()
    }


@functools.cache
def registry() -> Registry:
    """The lake's registry, read once per process.

    Domains live under the ``jobs`` package; ``CITYLAKE_DECLARATION_PACKAGES`` (comma-separated) adds
    packages of further domains, as the tests do with their fixture sources.
    """
    packages = ["jobs", *[name for name in os.environ.get("CITYLAKE_DECLARATION_PACKAGES", "").split(",") if name.strip()]]
    documents: dict[str, str] = {}
    for package in packages:
        documents.update(read_documents(package.strip()))
    return build(documents)
