"""Settings: defaults, the optional file, the environment, and errors that name the bad key."""

from __future__ import annotations

import pytest

from jobs.settings import PROJECT_ROOT, SettingsError, load_settings


def test_defaults_keep_everything_inside_the_project():
    settings = load_settings({})
    assert settings.lake_root == str(PROJECT_ROOT / ".citylake" / "lake")
    assert settings.landing_root == f"{settings.lake_root}/landing"
    assert settings.spark_master == "local[*]"
    assert settings.table_path("gold", "service_requests_daily").endswith("/lake/gold/service_requests_daily")


def test_the_lake_can_live_on_s3_and_the_landing_zone_follows_it():
    settings = load_settings({"CITYLAKE_LAKE_ROOT": "s3a://city-lake/prod/"})
    assert settings.lake_root == "s3a://city-lake/prod"
    assert settings.landing_root == "s3a://city-lake/prod/landing"
    assert settings.uses_s3


def test_a_file_sets_values_and_the_environment_overrides_it(tmp_path):
    config = tmp_path / "citylake.toml"
    config.write_text('lake_root = "/data/lake"\nspark_master = "spark://10.0.0.5:7077"\n')
    settings = load_settings({"CITYLAKE_CONFIG": str(config), "CITYLAKE_SPARK_MASTER": "local[2]"})
    assert settings.lake_root == "/data/lake"
    assert settings.landing_root == "/data/lake/landing"
    assert settings.spark_master == "local[2]"


@pytest.mark.parametrize(
    ("environment", "named_key"),
    [
        ({"CITYLAKE_LAKE_ROOT": "relative/lake"}, "CITYLAKE_LAKE_ROOT"),
        ({"CITYLAKE_LAKE_ROOT": "hdfs://nn/lake"}, "CITYLAKE_LAKE_ROOT"),
        ({"CITYLAKE_LANDING_ROOT": "s3a://"}, "CITYLAKE_LANDING_ROOT"),
        ({"CITYLAKE_SPARK_MASTER": "local[two]"}, "CITYLAKE_SPARK_MASTER"),
        ({"CITYLAKE_PSEUDONYM_KEY_SOURCE": "hunter2"}, "CITYLAKE_PSEUDONYM_KEY_SOURCE"),
        ({"CITYLAKE_INBOX_ROOT": ""}, "CITYLAKE_INBOX_ROOT"),
    ],
)
def test_a_bad_setting_fails_at_start_naming_the_key(environment, named_key):
    with pytest.raises(SettingsError, match=named_key):
        load_settings(environment)


def test_an_unknown_key_in_the_file_is_named(tmp_path):
    config = tmp_path / "citylake.toml"
    config.write_text('lake_rot = "/data/lake"\n')
    with pytest.raises(SettingsError, match="lake_rot"):
        load_settings({"CITYLAKE_CONFIG": str(config)})


def test_the_key_source_is_a_reference_never_the_key():
    settings = load_settings({"CITYLAKE_PSEUDONYM_KEY_SOURCE": "airflow-conn:citylake_pseudonym_key"})
    assert settings.pseudonym_key_source == "airflow-conn:citylake_pseudonym_key"


def test_spark_conf_adds_s3_jars_and_endpoint_only_for_a_lake_on_s3(monkeypatch, tmp_path):
    from jobs.spark_config import INTERPRETED, MissingJarsError, spark_conf

    jars = tmp_path / "jars"
    jars.mkdir()
    for name in ("delta-spark_4.2_2.13-4.4.0.jar", "delta-storage-4.4.0.jar", "hadoop-aws-3.5.0.jar", "bundle-2.35.4.jar", "analyticsaccelerator-s3-1.3.1.jar"):
        (jars / name).write_bytes(b"")
    local = spark_conf(load_settings({"CITYLAKE_JARS_DIR": str(jars), "CITYLAKE_LAKE_ROOT": "/data/lake"}))
    assert "hadoop-aws" not in local["spark.jars"] and "delta-spark" in local["spark.jars"]
    assert not any(key.startswith("spark.hadoop.fs.s3a") for key in local)
    assert local["spark.yarn.maxAppAttempts"] == "1"
    # One machine: expressions interpreted unless asked otherwise; a cluster keeps Spark's code generation.
    assert all(local[name] == value for name, value in INTERPRETED.items())
    monkeypatch.setenv("CITYLAKE_SPARK_CODEGEN", "true")
    assert not INTERPRETED.keys() & spark_conf(load_settings({"CITYLAKE_JARS_DIR": str(jars), "CITYLAKE_LAKE_ROOT": "/data/lake"})).keys()
    monkeypatch.delenv("CITYLAKE_SPARK_CODEGEN")
    on_cluster = spark_conf(load_settings({"CITYLAKE_JARS_DIR": str(jars), "CITYLAKE_LAKE_ROOT": "/data/lake", "CITYLAKE_SPARK_MASTER": "spark://127.0.0.1:7077"}))
    assert not INTERPRETED.keys() & on_cluster.keys()

    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:8333")
    on_s3 = spark_conf(load_settings({"CITYLAKE_JARS_DIR": str(jars), "CITYLAKE_LAKE_ROOT": "s3a://lake/prod"}))
    assert "hadoop-aws-3.5.0.jar" in on_s3["spark.jars"] and "bundle-2.35.4.jar" in on_s3["spark.jars"]
    assert on_s3["spark.hadoop.fs.s3a.endpoint"] == "http://127.0.0.1:8333"
    assert not any("secret" in key.lower() or "access.key" in key.lower() for key in on_s3)

    with pytest.raises(MissingJarsError, match="make setup"):
        spark_conf(load_settings({"CITYLAKE_JARS_DIR": str(tmp_path / "nowhere")}))


def test_the_engine_runs_in_utc_on_a_host_in_another_zone(spark):
    """The test engine is started with TZ=America/New_York (tests/conftest.py): its JVM's default zone and its
    Python workers' zone are UTC all the same, so a Python UDF reads a timestamp as the lake stores it."""
    from pyspark.sql import functions as F

    def python_zone(_):
        import time

        return time.strftime("%Z")

    row = (
        spark.sql("SELECT reflect('java.lang.System', 'getProperty', 'user.timezone') AS jvm_zone, TIMESTAMP'2022-05-01 12:00:00' AS at")
        .select("jvm_zone", F.udf(python_zone)("at").alias("python_zone"), F.udf(lambda at: at.isoformat())("at").alias("seen_by_python"))
        .first()
    )
    assert (row["jvm_zone"], row["python_zone"], row["seen_by_python"]) == ("UTC", "UTC", "2022-05-01T12:00:00")
