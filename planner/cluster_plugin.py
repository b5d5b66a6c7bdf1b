"""The worker plugin of the clusters planner starts (apart, so that importing :mod:`planner.cluster`
does not import distributed)."""

from __future__ import annotations

from typing import Any

from distributed import WorkerPlugin

from .cluster import install_race_filter


class QuietShutdown(WorkerPlugin):
    """In each worker process as it starts: :func:`~planner.cluster.install_race_filter`."""

    name = "planner-quiet-shutdown"

    def setup(self, worker: Any) -> None:
        install_race_filter()
