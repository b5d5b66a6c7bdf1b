"""The Dask clusters planner starts: quiet about distributed's shutdown race, loud about the rest."""

from __future__ import annotations

import logging

from planner.cluster import close, connect
from planner.cluster_plugin import HEARTBEAT_RACE, ShutdownRaceFilter


def _worker_log_probe() -> list[str]:
    """In a worker process: log the race's line and another error; return what got through."""
    seen: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record.getMessage())

    logger = logging.getLogger("distributed.worker")
    keep = Keep()
    logger.addHandler(keep)
    try:
        logger.error("%s.", HEARTBEAT_RACE)
        logger.error("Compute Failed: a real worker error")
    finally:
        logger.removeHandler(keep)
    return seen


def test_filter_drops_only_the_race_line():
    f = ShutdownRaceFilter()

    def rec(msg: str) -> logging.LogRecord:
        return logging.LogRecord("distributed.worker", logging.ERROR, __file__, 1, msg, None, None)

    assert not f.filter(rec("Failed to communicate with scheduler during heartbeat."))
    assert f.filter(rec("Failed to communicate with scheduler during something else"))
    assert f.filter(rec("Compute Failed"))


def test_local_cluster_workers_filter_the_race_line():
    """A real local cluster of two processes: each worker drops the race's line, keeps the rest."""
    client, cluster = connect(None, 2)
    try:
        assert cluster is not None
        seen = client.run(_worker_log_probe)
        assert len(seen) == 2
        for lines in seen.values():
            assert lines == ["Compute Failed: a real worker error"]
        # and this (driver) process's own distributed.worker logger is left as it was
        assert not any(
            isinstance(f, ShutdownRaceFilter)
            for f in logging.getLogger("distributed.worker").filters
        )
    finally:
        close(client, cluster)
