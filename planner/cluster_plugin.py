"""The worker plugin of the clusters planner starts: drop distributed's shutdown race line.

Apart from :mod:`planner.cluster`, so that importing that module does not import distributed.
"""

from __future__ import annotations

import logging
from typing import Any

from dask.distributed import WorkerPlugin

#: The message distributed's worker logs when a heartbeat meets a closed scheduler.
HEARTBEAT_RACE = "Failed to communicate with scheduler during heartbeat"


class ShutdownRaceFilter(logging.Filter):
    """Drop the worker's heartbeat-at-shutdown record (:data:`HEARTBEAT_RACE`); pass all others."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(HEARTBEAT_RACE)


def install_race_filter() -> None:
    """Add :class:`ShutdownRaceFilter` to the ``distributed.worker`` logger of this process, once."""
    logger = logging.getLogger("distributed.worker")
    if not any(isinstance(f, ShutdownRaceFilter) for f in logger.filters):
        logger.addFilter(ShutdownRaceFilter())


class QuietShutdown(WorkerPlugin):
    """In each worker process as it starts: :func:`install_race_filter`."""

    name = "planner-quiet-shutdown"

    def setup(self, worker: Any) -> None:
        install_race_filter()
