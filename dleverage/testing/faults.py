"""A scheduler plugin that kills a worker with SIGKILL when a chosen task runs.

The moment is chosen from task states, not from timers. The plugin counts the
transitions of tasks whose key prefix (``dask.utils.key_split``) matches. On the
``after``-th one it sends SIGKILL to the worker process that runs the task
(``state="processing"``) or stores its result (``state="memory"``). The scheduler
must run on the same host as the workers, and the caller passes the worker pids,
for example from ``client.run(os.getpid)``.
"""

from __future__ import annotations

import logging
import os
import signal
from typing import Any

from dask.utils import key_split
from distributed.diagnostics.plugin import SchedulerPlugin

__all__ = ["KillWorkerPlugin", "plugin_report"]

logger = logging.getLogger(__name__)


class KillWorkerPlugin(SchedulerPlugin):
    """Kill the worker of the ``after``-th task of a key prefix reaching ``state``.

    Parameters
    ----------
    prefix : str
        Task key prefix, for example ``"gram_block"`` or ``"write_score_chunk"``.
    state : {"processing", "memory"}
        Transition that is counted.
    after : int
        Which matching transition triggers the kill (1 = the first).
    pids : dict of str to int
        Worker address to process id.
    """

    name = "dleverage-kill-worker"

    def __init__(
        self, prefix: str, state: str, after: int, pids: dict[str, int]
    ) -> None:
        self.prefix = prefix
        self.state = state
        self.after = after
        self.pids = dict(pids)
        self.count = 0
        self.killed: dict[str, Any] | None = None
        self.prefixes: dict[str, int] = {}
        self.scheduler: Any = None

    async def start(self, scheduler: Any) -> None:
        """Keep the scheduler, to look up where tasks run."""
        self.scheduler = scheduler

    def transition(
        self, key: Any, start: str, finish: str, *args: Any, **kwargs: Any
    ) -> None:
        """Count matching transitions and kill the worker on the chosen one."""
        prefix = key_split(key)
        if finish == self.state:
            self.prefixes[prefix] = self.prefixes.get(prefix, 0) + 1
        if self.killed is not None or finish != self.state or prefix != self.prefix:
            return
        self.count += 1
        if self.count < self.after:
            return
        task = self.scheduler.tasks.get(key)
        if task is None:
            return
        if finish == "processing":
            worker = task.processing_on
        else:
            worker = next(iter(task.who_has), None)
        if worker is None or worker.address not in self.pids:
            return
        pid = self.pids[worker.address]
        logger.warning(
            "killing worker %s (pid %d) at task %s", worker.address, pid, key
        )
        os.kill(pid, signal.SIGKILL)
        self.killed = {"key": str(key), "worker": worker.address, "pid": pid}


def plugin_report(dask_scheduler: Any) -> dict[str, Any]:
    """Return what the plugin saw; run it with ``client.run_on_scheduler``."""
    plugin = dask_scheduler.plugins.get(KillWorkerPlugin.name)
    if plugin is None:
        return {}
    return {"killed": plugin.killed, "count": plugin.count, "prefixes": plugin.prefixes}
