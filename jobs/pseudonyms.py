"""Keyed pseudonyms: HMAC-SHA-256 (its first 128 bits) of an identifier under a secret key, applied into silver.

Why keyed: a plain hash of a phone number or an account id is reversed by hashing every candidate; an
HMAC cannot be recomputed without the key, yet the same identifier always gives the same pseudonym, in
every domain, so tables still join on it.

The key never enters the Spark plan: Spark 4.2 has no built-in ``hmac``, and a key passed with ``lit()``
would be printed in plans, the UI and event logs. Python's ``hmac`` runs in a vectorised (scalar
pandas) UDF instead. Jobs are Spark Connect clients (no broadcast variables), so the keys travel inside
the UDF's pickled closure: Spark shows a UDF by its name in plans, the UI and event logs, never its
closure (a test holds the extended plan free of the key); the bytes cross the client's gRPC link to
the engine, which is why that link is loopback here and TLS in production. The key is read from where
``CITYLAKE_PSEUDONYM_KEY_SOURCE`` names (an environment variable or an Airflow connection's password),
never from code, and is never logged or printed (``PseudonymKeys``' repr shows versions and
fingerprints only).

Rotation without clear identifiers: keys are versioned (``CITYLAKE_PSEUDONYM_KEY_VERSION``) and layered.
A version-N pseudonym is ``HMAC(k_N, ... HMAC(k_2, HMAC(k_1, identifier)))``, so rotating from N-1 to
N re-keys the pseudonyms already in the lake with ``k_N`` alone (:func:`rotate`); no clear value is
needed, and retention may already have deleted them. A leaked older key is useless on its own: every
pseudonym in the lake also depends on the newest key. Version N's key is read from the key source,
older versions' from the same name with ``_V<version>`` (``CITYLAKE_PSEUDONYM_KEY_V1``, or the
connection ``<conn_id>_v1``). Each pseudonymised row records its version (``pseudonym_key_version``).

``audit.pseudonym_keys`` records each version's fingerprint (an HMAC of a fixed label under the key,
which identifies the key and reveals nothing of it) when it is first used. A job whose key does not
match its version's fingerprint, whose version is older than one in use, or newer than the lake was
rotated to, is refused: its pseudonyms would silently stop joining the ones already there.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone

import pandas as pd

from jobs.declarations import KEY_VERSION_COLUMN, Table, registry
from jobs.settings import Settings

# 256 bits: the HMAC-SHA-256 block's worth of entropy is what makes guessing the key pointless.
MIN_KEY_BYTES = 32
# A pseudonym is the HMAC truncated to its first 128 bits (32 hex characters; HMAC-SHA-256-128, as RFC 4868
# uses it): ids of a billion people collide with a chance of about 1e-21, and every write, read, MERGE and
# join after it carries half the bytes of the full 64 (measured: the full width alone made the silver step of
# bench/pseudonym_cost.py 19 % slower). Each layer of a rotated key is truncated the same way.
PSEUDONYM_HEX_CHARS = 32
# The label names the pseudonyms' form too: a lake written with another form (v1: the full 64 characters)
# has another fingerprint, so it is refused like a changed key instead of silently not joining.
_FINGERPRINT_LABEL = b"citylake pseudonym key fingerprint v2: HMAC-SHA-256 truncated to 128 bits"
KEYS_TABLE = "audit.pseudonym_keys"

log = logging.getLogger(__name__)


class PseudonymKeyError(RuntimeError):
    """The key is missing, too short, or not the one its version was first used with. Never holds the key."""


def _fingerprint(material: bytes) -> str:
    return hmac.new(material, _FINGERPRINT_LABEL, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class PseudonymKeys:
    """The keys of versions 1..N, oldest first; N (the current version) makes new pseudonyms."""

    materials: tuple[bytes, ...] = field(repr=False)

    @property
    def version(self) -> int:
        return len(self.materials)

    @property
    def fingerprints(self) -> dict[int, str]:
        return {version: _fingerprint(material) for version, material in enumerate(self.materials, start=1)}

    @property
    def fingerprint(self) -> str:
        return self.fingerprints[self.version]

    def __repr__(self) -> str:  # never the material
        return f"PseudonymKeys(version={self.version}, fingerprint={self.fingerprint[:12]}...)"


def pseudonym(materials: tuple[bytes, ...], value: str) -> str:
    """The pseudonym of one identifier under the layered keys (surrounding blanks are not part of an identifier)."""
    digest = value.strip()
    for material in materials:
        digest = hmac.new(material, digest.encode("utf-8"), hashlib.sha256).hexdigest()[:PSEUDONYM_HEX_CHARS]
    return digest


def _airflow_connection_secret(conn_id: str) -> str | None:
    """The password of an Airflow connection (environment ``AIRFLOW_CONN_*`` or any configured secrets backend)."""
    try:
        from airflow.sdk import Connection

        connection = Connection.get(conn_id)
    except Exception as error:  # not found, or no Airflow here: say which, never what was read
        raise PseudonymKeyError(f"pseudonymisation key: Airflow connection {conn_id!r} cannot be read ({type(error).__name__})") from None
    return connection.password


def _read_one(kind: str, name: str, environ, where: str) -> bytes:
    secret = environ.get(name) if kind == "env" else _airflow_connection_secret(name)
    if not secret:
        raise PseudonymKeyError(f"pseudonymisation key: {where} is unset or empty; there is no default key. Set it to at least {MIN_KEY_BYTES} random bytes")
    material = secret.encode("utf-8")
    if len(material) < MIN_KEY_BYTES:
        raise PseudonymKeyError(f"pseudonymisation key: {where} holds {len(material)} bytes; at least {MIN_KEY_BYTES} are needed")
    return material


def read_key(settings: Settings, environ: dict[str, str] | None = None) -> PseudonymKeys:
    """Versions 1..N's keys from where the settings say; a missing, empty or short one stops the job."""
    environ = os.environ if environ is None else environ
    kind, name = settings.pseudonym_key_source.split(":", 1)
    current = int(settings.pseudonym_key_version)
    older_name = (lambda version: f"{name}_V{version}") if kind == "env" else (lambda version: f"{name}_v{version}")
    materials = [
        _read_one(kind, older_name(version), environ, f"{kind}:{older_name(version)} (key version {version}, needed by version {current}'s layered pseudonyms)")
        for version in range(1, current)
    ]
    materials.append(_read_one(kind, name, environ, f"{settings.pseudonym_key_source} (CITYLAKE_PSEUDONYM_KEY_SOURCE)"))
    return PseudonymKeys(tuple(materials))


def _layered(materials: tuple[bytes, ...]):
    """A function giving the layered HMACs of a list of values (NULL stays NULL), keys applied oldest first.

    Built inside a closure, with only the standard library: a UDF's closure is pickled by value, so the
    engine's Python workers need nothing of citylake installed."""
    import hashlib
    import hmac

    width = PSEUDONYM_HEX_CHARS

    def hmacs(values: list) -> list:
        digests = [None if value is None else value.strip() for value in values]
        for key in materials:
            digests = [None if digest is None else hmac.new(key, digest.encode("utf-8"), hashlib.sha256).hexdigest()[:width] for digest in digests]
        return digests

    return hmacs


def _hmac_udf(materials):
    """A scalar pandas UDF applying the keys in order (``materials``: the layered keys, oldest first).

    Scalar, not an iterator UDF: Spark evaluates every scalar pandas UDF of one projection in one Python
    pass, but each iterator UDF in a pass of its own (one per pseudonymised column, each queuing the
    whole row); nothing here needs building once per task."""
    from pyspark.sql.functions import pandas_udf

    hmacs = _layered(materials)

    @pandas_udf("string")
    def hmac_sha256(values: pd.Series) -> pd.Series:
        return pd.Series(hmacs(list(values)), index=values.index, dtype=object)

    return hmac_sha256


def _hmac_each_udf(materials):
    """The same for lists of identifiers (an alert's counterparties), element by element."""
    from pyspark.sql.functions import pandas_udf

    hmacs = _layered(materials)

    @pandas_udf("array<string>")
    def hmac_sha256_each(lists: pd.Series) -> pd.Series:
        return pd.Series([None if values is None else hmacs(list(values)) for values in lists], index=lists.index, dtype=object)

    return hmac_sha256_each


def _keyed(frame, columns: tuple[str, ...], materials: tuple[bytes, ...], version: int):
    from pyspark.sql import functions as F
    from pyspark.sql.types import ArrayType

    one, each = _hmac_udf(materials), _hmac_each_udf(materials)
    lists = {field.name for field in frame.schema.fields if isinstance(field.dataType, ArrayType)}
    return frame.withColumns({name: each(F.col(name)) if name in lists else one(F.col(name).cast("string")) for name in columns}).withColumn(KEY_VERSION_COLUMN, F.lit(version))


def pseudonymise(frame, table: Table, keys: PseudonymKeys, columns: tuple[str, ...] | None = None):
    """``frame`` with every column ``table`` declares ``pseudonymise`` replaced by its pseudonym, plus the key version.

    NULL stays NULL. Columns keep their place; the key version is the table's last column. ``columns``:
    which to key (default: what the table keys on the way in, ``Table.pseudonymised``; a product built
    from restricted inputs keys all of its ``pseudonym_columns``).
    """
    columns = table.pseudonymised if columns is None else columns
    if not columns:
        return frame
    return _keyed(frame, columns, keys.materials, keys.version)


def _recorded(spark, settings: Settings) -> dict[int, str]:
    from jobs import lake

    table = registry().table(KEYS_TABLE)
    if not lake.table_exists(spark, settings, *table.address):
        return {}
    return {row.key_version: row.fingerprint for row in lake.read_table(spark, settings, *table.address).collect()}


def _check_fingerprints(keys: PseudonymKeys, recorded: dict[int, str]) -> None:
    for version, fingerprint in keys.fingerprints.items():
        if version in recorded and not hmac.compare_digest(recorded[version], fingerprint):
            raise PseudonymKeyError(
                f"pseudonymisation key version {version} was first used with key fingerprint {recorded[version][:12]}..., "
                f"but the key read now has fingerprint {fingerprint[:12]}...: a key that changes without a rotation would "
                "silently stop pseudonyms from joining. Restore the key, or rotate (README, \"Pseudonyms\"); a lake written by a "
                "citylake whose pseudonyms had another form (the full 64 characters) is refused the same way: rebuild it"
            )


def _record(spark, settings: Settings, keys: PseudonymKeys, versions: list[int], run_id: str) -> None:
    from pyspark.sql import functions as F

    from jobs import lake

    table = registry().table(KEYS_TABLE)
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    rows = spark.createDataFrame([(version, keys.fingerprints[version], now, run_id) for version in versions], table.ddl())
    lake.merge_by_key(rows.select(*[F.col(name) for name in table.column_names]), settings, *table.address, table.key)


def checked_key(spark, settings: Settings, run_id: str, environ: dict[str, str] | None = None) -> PseudonymKeys:
    """The keys, once every version's fingerprint matches what it was first used with (recorded on a new lake).

    Refused: a version whose key changed, a version older than one already used (a rollback would mix
    old pseudonyms into new rows), and a version the lake was not rotated to (old rows would not join).
    """
    keys = read_key(settings, environ)
    recorded = _recorded(spark, settings)
    newest = max(recorded, default=0)
    if newest > keys.version:
        raise PseudonymKeyError(f"pseudonymisation key version {keys.version} is older than version {newest} already in use; refusing a rollback")
    _check_fingerprints(keys, recorded)
    if recorded and newest < keys.version:
        raise PseudonymKeyError(
            f"pseudonymisation key version {keys.version} is configured, but the lake's pseudonyms are version {newest}: "
            "run `citylake pseudonyms rotate` first (README, \"Pseudonyms\"), or new pseudonyms would not join the old ones"
        )
    if not recorded:
        _record(spark, settings, keys, list(keys.fingerprints), run_id)
    return keys


def rotate(spark, settings: Settings, run_id: str, environ: dict[str, str] | None = None) -> dict[str, int]:
    """Re-key every declared table's pseudonyms from the lake's key version to the configured one.

    Rows of the old version get ``HMAC(k_new, ...)`` over their pseudonyms, in one atomic overwrite per
    table; rows already at the new version are left alone, so a rotation killed half-way is completed by
    running it again. The new version is recorded last. Pause the writers of these tables meanwhile.
    Returns the rows re-keyed per table.
    """
    from pyspark.sql import functions as F

    from jobs import lake

    keys = read_key(settings, environ)
    recorded = _recorded(spark, settings)
    newest = max(recorded, default=0)
    _check_fingerprints(keys, recorded)
    if newest >= keys.version:
        log.info("the lake's pseudonyms are already version %s: nothing to rotate", newest)
        return {}
    new_layers = keys.materials[newest:]  # the keys of versions newest+1 .. N, applied in order
    rekeyed = {}
    for table in registry().tables.values():
        if not table.pseudonym_columns or not lake.table_exists(spark, settings, *table.address):
            continue
        current = lake.read_table(spark, settings, *table.address)
        stale = current.where(F.col(KEY_VERSION_COLUMN) < keys.version)
        count = stale.count()
        if count and newest == 0:
            raise PseudonymKeyError(f"{table.name} holds pseudonyms but audit.pseudonym_keys records no key version: cannot tell which keys made them")
        if not count:
            continue
        fresh = current.where(F.col(KEY_VERSION_COLUMN) >= keys.version)
        rotated = _keyed(stale, table.pseudonym_columns, new_layers, keys.version).select(*current.columns)
        # Delta reads the snapshot before this overwrite commits: readers see the old or the new table, whole.
        writer = fresh.unionByName(rotated).write.format("delta").mode("overwrite")
        if table.partition_by:
            writer = writer.partitionBy(*table.partition_by)
        lake.retry_on_conflict(lambda: writer.save(settings.table_path(*table.address)))
        rekeyed[table.name] = count
        log.info("%s: %d rows re-keyed to pseudonym key version %d", table.name, count, keys.version)
    _record(spark, settings, keys, [version for version in keys.fingerprints if version not in recorded], run_id)
    return rekeyed
