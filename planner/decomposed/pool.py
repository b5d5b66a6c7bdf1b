"""Where subproblems run: on Dask distributed workers that keep them built, or in this process.

Each subproblem has a *holder*, the worker that built it. Tasks are pinned to their holder
(``workers=[address]``, no stealing), so the model stays built there and only the investments
travel. The first task of a subproblem carries its :class:`.subproblem.Spec`; later tasks carry
none. When a holder leaves (killed, restarted) its subproblems are given to the live workers in
index order and built again from their spec: the run loses time, not its state. Results come back
ordered by subproblem index, so the cuts reach the master in the same order whatever the number of
workers.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Callable
from typing import Any

from ..cluster import close, connect
from .subproblem import NotBuilt, Spec, SubResult, drop_run, run_subproblem

log = logging.getLogger(__name__)

#: How often a subproblem may fail on a live worker before the run stops (a real error, not a lost worker).
MAX_FAILURES = 2
#: Seconds between checks of which workers are alive while tasks run.
POLL_S = 1.0

Call = tuple[int, dict[str, float] | None, dict[tuple[str, str], float] | None, bool]


class Pool:
    """Runs subproblem solves; ``workers = 0`` runs them in this process (no Dask)."""

    def __init__(
        self,
        spec_of: Callable[[int], Spec],
        *,
        workers: int | None = None,
        scheduler: str | None = None,
    ) -> None:
        self.spec_of = spec_of
        self.run_id = uuid.uuid4().hex[:12]
        self.client: Any = None
        self.cluster: Any = None
        self.holder: dict[int, str] = {}
        self.rebuilt = 0
        self.local = workers == 0 and not scheduler
        if self.local:
            return
        self.client, self.cluster = connect(scheduler, workers or os.cpu_count() or 1)
        log.info("decomposed: %d Dask workers (%s)", len(self.live()), scheduler or "local cluster")

    def live(self) -> list[str]:
        """Addresses of the workers alive now, sorted."""
        if self.client is None:
            return ["local"]
        return sorted(self.client.scheduler_info(n_workers=-1).get("workers", {}))

    def _assign(self, i: int, live: list[str], n: int) -> str:
        h = self.holder.get(i)
        if h is not None and h in live:
            return h
        # a contiguous block of subproblems per worker, in index order
        return live[min(len(live) - 1, i * len(live) // max(n, 1))]

    def map(self, calls: list[Call], n_total: int) -> list[SubResult]:
        """Run ``calls`` (index, investments, budgets, values?) and return the results by index."""
        if self.local:
            return [
                run_subproblem(
                    self.run_id, i, None if i in self.holder else self._built(i), x, b, v
                )
                for i, x, b, v in calls
            ]
        from dask.distributed import wait

        by_i = {c[0]: c for c in calls}
        out: dict[int, SubResult] = {}
        failures: dict[int, int] = {}
        futures: dict[int, tuple[Any, str]] = {}

        def submit(i: int, live: list[str]) -> None:
            addr = self._assign(i, live, n_total)
            fresh = self.holder.get(i) != addr
            spec = self.spec_of(i) if fresh else None
            if fresh and i in self.holder:
                self.rebuilt += 1
                log.warning(
                    "decomposed: subproblem %d moves to %s (its worker is gone); building it again",
                    i,
                    addr,
                )
            _, x, b, v = by_i[i]
            fut = self.client.submit(
                run_subproblem,
                self.run_id,
                i,
                spec,
                x,
                b,
                v,
                workers=[addr],
                allow_other_workers=False,
                pure=False,
                key=f"sub-{self.run_id}-{i}-{uuid.uuid4().hex[:8]}",
            )
            futures[i] = (fut, addr)
            self.holder[i] = addr

        live = self.live()
        if not live:
            raise RuntimeError("decomposed: the Dask cluster has no workers")
        for i in sorted(by_i):
            submit(i, live)
        while futures:
            try:
                wait(
                    [f for f, _ in futures.values()], timeout=POLL_S, return_when="FIRST_COMPLETED"
                )
            except TimeoutError:
                pass  # nothing finished yet: check the workers, then wait again
            live = self.live()
            for i in sorted(futures):
                fut, addr = futures[i]
                if fut.status == "finished":
                    out[i] = fut.result()
                    del futures[i]
                elif fut.status in ("error", "cancelled", "lost") or addr not in live:
                    err = fut.exception() if fut.status == "error" else None
                    del futures[i]
                    if addr not in live:
                        pass  # its holder is gone: given to a live worker below
                    elif isinstance(err, NotBuilt):
                        self.holder.pop(
                            i, None
                        )  # a restarted worker at the same address: build it again
                    else:
                        failures[i] = failures.get(i, 0) + 1
                        if failures[i] > MAX_FAILURES:
                            raise RuntimeError(
                                f"decomposed: subproblem {i} failed {failures[i]} times: {err!r}"
                            )
                        log.warning("decomposed: subproblem %d failed (%r); trying again", i, err)
                    fut.cancel()
                    if not live:
                        time.sleep(POLL_S)
                        live = self.live()
                        if not live:
                            raise RuntimeError("decomposed: every Dask worker is gone")
                    submit(i, live)
        return [out[i] for i in sorted(out)]

    def _built(self, i: int) -> Spec:
        self.holder[i] = "local"
        return self.spec_of(i)

    def close(self) -> None:
        """Free the subproblems on every worker; close a local cluster."""
        try:
            if self.local:
                drop_run(self.run_id)
            elif self.client is not None:
                try:
                    self.client.run(drop_run, self.run_id)
                except Exception as err:  # noqa: BLE001 - closing must not hide the run's own outcome
                    log.debug("decomposed: could not free subproblems: %r", err)
        finally:
            close(self.client, self.cluster)
