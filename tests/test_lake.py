"""The lake's write helpers without Spark: retries on a concurrent writer's commit, and only then."""

from __future__ import annotations

import pytest

from jobs import lake


def test_a_concurrent_commit_is_retried_and_any_other_error_is_not(monkeypatch):
    from delta.exceptions import ConcurrentAppendException, ProtocolChangedException

    monkeypatch.setattr(lake.time, "sleep", lambda seconds: None)
    conflicts = [ConcurrentAppendException(message="a concurrent MERGE added data"), ProtocolChangedException(message="two first writes")]
    attempts = []

    def write() -> None:
        attempts.append(1)
        if conflicts:
            raise conflicts.pop(0)

    lake.retry_on_conflict(write)
    assert len(attempts) == 3

    def broken() -> None:
        attempts.append(1)
        raise ValueError("not a conflict")

    attempts.clear()
    with pytest.raises(ValueError):
        lake.retry_on_conflict(broken)
    assert len(attempts) == 1


def test_a_conflict_that_keeps_coming_fails_after_the_last_attempt(monkeypatch):
    from delta.exceptions import ConcurrentAppendException

    monkeypatch.setattr(lake.time, "sleep", lambda seconds: None)

    def always() -> None:
        raise ConcurrentAppendException(message="again")

    with pytest.raises(ConcurrentAppendException):
        lake.retry_on_conflict(always, attempts=3)
