"""citylake's settings: one typed object, read in one place, validated at start-up.

Values come from environment variables (``CITYLAKE_*``) and, optionally, from a TOML file named by
``CITYLAKE_CONFIG`` whose keys are the same names in lower case without the prefix. The environment
wins over the file, so an operator can override one value for one run. A bad value fails at start
with an error naming the key, never half-way through a job.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# The lake can live on a local path or on object storage; Hadoop's s3a connector serves the latter.
_URI_SCHEMES = ("s3a://", "file://")
_MASTER_PATTERN = re.compile(r"^(local(\[(\*|\d+)\])?|spark://.+|k8s://.+|yarn)$")
# Where the pseudonymisation key is read from: an environment variable or an Airflow connection.
# Never the key itself, so that settings can be printed and logged.
_KEY_SOURCE_PATTERN = re.compile(r"^(env|airflow-conn):[A-Za-z_][A-Za-z0-9_]*$")


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the key."""


@dataclass(frozen=True)
class Settings:
    """Where the lake lives and how Spark is reached."""

    lake_root: str
    landing_root: str
    inbox_root: str
    reports_root: str
    spark_master: str  # where the engine (the Connect server) runs its executors
    spark_remote: str  # the engine's Spark Connect endpoint, sc://host:port: where jobs send their work
    pseudonym_key_source: str
    pseudonym_key_version: str  # a positive integer; raised by a rotation (README, "Pseudonyms")
    jars_dir: str
    web_assets_dir: str
    # Hours an erasure keeps the deleted files readable by time travel before it purges them (jobs/erasure.py);
    # 0, the embedded default, purges in the erasure's own run: a deployment whose readers hold snapshots
    # for longer sets their longest hold here.
    erasure_purge_hours: str = "0"

    def zone_path(self, zone: str) -> str:
        """Storage path of a lake zone (bronze, silver, ...)."""
        return f"{self.lake_root.rstrip('/')}/{zone}"

    def table_path(self, zone: str, table: str) -> str:
        """Storage path of one Delta table: ``<lake_root>/<zone>/<table>``."""
        return f"{self.zone_path(zone)}/{table}"

    @property
    def uses_s3(self) -> bool:
        """Whether the lake or its landing zone is on object storage."""
        return any(root.startswith("s3a://") for root in (self.lake_root, self.landing_root))


def _defaults() -> dict[str, str]:
    state = PROJECT_ROOT / ".citylake"
    lake = state / "lake"
    return {
        "lake_root": str(lake),
        "inbox_root": str(state / "inbox"),
        "reports_root": str(state / "reports"),
        "spark_master": "local[*]",
        "spark_remote": "sc://127.0.0.1:15002",
        "pseudonym_key_source": "env:CITYLAKE_PSEUDONYM_KEY",
        "pseudonym_key_version": "1",
        "jars_dir": str(state / "jars"),
        "web_assets_dir": str(state / "web_assets"),
        "erasure_purge_hours": "0",
    }


def _env_name(key: str) -> str:
    return f"CITYLAKE_{key.upper()}"


def _read_file(path: str) -> dict[str, str]:
    try:
        with open(path, "rb") as config_file:
            raw = tomllib.load(config_file)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise SettingsError(f"CITYLAKE_CONFIG: cannot read {path}: {error}") from error
    known = {field.name for field in fields(Settings)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise SettingsError(f"CITYLAKE_CONFIG: unknown key(s) {unknown} in {path}; known: {sorted(known)}")
    return {key: str(value) for key, value in raw.items()}


def _validate_location(key: str, value: str) -> str:
    if "://" in value:
        if not value.startswith(_URI_SCHEMES):
            raise SettingsError(f"{_env_name(key)}: {value!r} must be a local path or start with one of {_URI_SCHEMES}")
        if value.startswith("s3a://") and len(value) <= len("s3a://"):
            raise SettingsError(f"{_env_name(key)}: {value!r} names no bucket")
        return value.rstrip("/")
    if not os.path.isabs(value):
        raise SettingsError(f"{_env_name(key)}: {value!r} must be an absolute path or an s3a:// URI")
    return value.rstrip("/") or "/"


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Build the settings from defaults, the optional file and the environment, and validate them."""
    environ = dict(os.environ if environ is None else environ)
    values = _defaults()
    config_file = environ.get("CITYLAKE_CONFIG")
    if config_file:
        values.update(_read_file(config_file))
    for field in fields(Settings):
        if _env_name(field.name) in environ:
            values[field.name] = environ[_env_name(field.name)]
    # The landing zone follows the lake unless it was set on its own.
    values.setdefault("landing_root", f"{values['lake_root'].rstrip('/')}/landing")

    for key, value in values.items():
        if not value.strip():
            raise SettingsError(f"{_env_name(key)}: must not be empty")
    for key in ("lake_root", "landing_root", "inbox_root", "reports_root"):
        values[key] = _validate_location(key, values[key])
    if not _MASTER_PATTERN.match(values["spark_master"]):
        raise SettingsError(
            f"CITYLAKE_SPARK_MASTER: {values['spark_master']!r} is not a Spark master "
            "(local, local[N], local[*], spark://..., k8s://..., yarn)"
        )
    if not values["spark_remote"].startswith("sc://"):
        raise SettingsError(f"CITYLAKE_SPARK_REMOTE: {values['spark_remote']!r} must be a Spark Connect URL, sc://host:port")
    if not _KEY_SOURCE_PATTERN.match(values["pseudonym_key_source"]):
        raise SettingsError(
            f"CITYLAKE_PSEUDONYM_KEY_SOURCE: {values['pseudonym_key_source']!r} must be 'env:VARIABLE' "
            "or 'airflow-conn:CONN_ID' (the key itself never goes into settings)"
        )
    if not values["pseudonym_key_version"].isdigit() or int(values["pseudonym_key_version"]) < 1:
        raise SettingsError(f"CITYLAKE_PSEUDONYM_KEY_VERSION: {values['pseudonym_key_version']!r} must be a positive integer")
    if not values["erasure_purge_hours"].isdigit():
        raise SettingsError(f"CITYLAKE_ERASURE_PURGE_HOURS: {values['erasure_purge_hours']!r} must be a whole number of hours (0 or more)")
    values["jars_dir"] = _validate_location("jars_dir", values["jars_dir"])
    return Settings(**values)
