"""The lake's write helpers without Spark: retries on a concurrent writer's commit, and only then."""

from __future__ import annotations

import pytest
from pyspark.errors.exceptions.connect import AnalysisException

from jobs import lake


def delta_error(condition: str) -> AnalysisException:
    """An error as the Connect client raises it for Delta's exception on the engine."""
    return AnalysisException(message=f"[{condition}] refused", errorClass=condition)


def test_a_concurrent_commit_is_retried_and_any_other_error_is_not(monkeypatch):
    monkeypatch.setattr(lake.time, "sleep", lambda seconds: None)
    conflicts = [delta_error("DELTA_CONCURRENT_APPEND.WITHOUT_HINT"), delta_error("DELTA_PROTOCOL_CHANGED")]
    attempts = []

    def write() -> None:
        attempts.append(1)
        if conflicts:
            raise conflicts.pop(0)

    lake.retry_on_conflict(write)
    assert len(attempts) == 3

    for other in (ValueError("not a conflict"), delta_error("DELTA_TABLE_ONLY_OPERATION")):
        attempts.clear()

        def broken() -> None:
            attempts.append(1)
            raise other

        with pytest.raises(type(other)):
            lake.retry_on_conflict(broken)
        assert len(attempts) == 1


def test_a_conflict_that_keeps_coming_fails_after_the_last_attempt(monkeypatch):
    monkeypatch.setattr(lake.time, "sleep", lambda seconds: None)

    def always() -> None:
        raise delta_error("DELTA_METADATA_CHANGED")

    with pytest.raises(AnalysisException, match="DELTA_METADATA_CHANGED"):
        lake.retry_on_conflict(always, attempts=3)
