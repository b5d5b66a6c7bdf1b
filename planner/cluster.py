"""The Dask clusters planner runs on: a local cluster it starts itself, or an existing one.

Sweeps, Pareto frontiers and the decomposed method all connect the same way: ``scheduler=None``
starts a :class:`~dask.distributed.LocalCluster` of ``n`` single-threaded worker processes (one
solve per process, never two HiGHS solves sharing one); an address connects a client to a cluster
the user runs. :func:`connect` returns the client and the cluster it started (``None`` for an
existing one); :func:`close` shuts them down.

A local cluster's shutdown races: a worker's heartbeat that is in flight as the scheduler closes
fails with ``CommClosedError`` and the worker logs "Failed to communicate with scheduler during
heartbeat" with a traceback at ERROR level (dask/distributed#7105), even when every task finished
and the run succeeded. On a cluster planner started itself nothing else can close the scheduler,
so that line says nothing; a filter installed in each of its worker processes
(:mod:`planner.cluster_plugin`) drops that one message and passes every other record. Clusters the user runs are left exactly as they are.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


def connect(scheduler: str | None, n_workers: int) -> tuple[Any, Any]:
    """A Dask client, and the local cluster it runs on when ``scheduler`` is ``None``.

    ``scheduler``: the address of an existing cluster (``tcp://host:8786``), used as it is;
    ``None`` starts a local cluster of ``n_workers`` processes of one thread each, quiet below
    ERROR and without the shutdown race's line (see the module's docstring).
    """
    from dask.distributed import Client, LocalCluster

    from .cluster_plugin import QuietShutdown

    if scheduler:
        return Client(scheduler), None
    cluster = LocalCluster(
        n_workers=max(1, n_workers),
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        silence_logs=logging.ERROR,
    )
    client = Client(cluster)
    client.register_plugin(QuietShutdown(), name=QuietShutdown.name)
    return client, cluster


def close(client: Any, cluster: Any) -> None:
    """Close ``client``, then the local ``cluster`` if planner started one (``None`` otherwise)."""
    if client is not None:
        client.close()
    if cluster is not None:
        cluster.close()
