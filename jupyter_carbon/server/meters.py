"""Every kernel of one Jupyter server, metered from outside: which exist, which notebook
each runs, and the one worker thread that does the metering.

Kernels are found as the server starts, restarts and shuts them down (its
``kernel_actions`` events) and, for any missed, by comparing the kernel manager's list
once a second; notebooks come from the server's session manager (the same path a kernel
that meters itself records, relative to the server's root).
"""

from __future__ import annotations

import concurrent.futures
import logging
import os
import re
import time

from .kernel import MeteredKernel
from .tally import Tally

log = logging.getLogger("jupyter_carbon")

KERNEL_ACTIONS = "https://events.jupyter.org/jupyter_server/kernel_actions/v1"
RECONCILE_MS = 1000
OPEN_WITHOUT_NOTEBOOK_S = 3.0
#: How often the notebooks are looked up again once every kernel's is known: a notebook
#: renamed while its kernel runs is named by its new path from then on.
NOTEBOOKS_REFRESH_S = 5.0
#: The path JupyterLab starts a notebook's session under, a bare UUID (in the notebook's
#: folder), renamed to the notebook's path once the kernel has started: no notebook's name.
LAB_PLACEHOLDER = re.compile(r"(?:.*/)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class KernelMeters:
    """The server extension's state: one :class:`MeteredKernel` per kernel."""

    def __init__(self, serverapp, settings, meter_settings, *, carbon=None):
        from ..carbon import CarbonContext
        from .sampler import Sampler

        self.serverapp = serverapp
        self.settings = settings
        self.meter_settings = meter_settings
        self.carbon = carbon if carbon is not None else CarbonContext(meter_settings)
        self.user = os.environ.get("JUPYTERHUB_USER") or None
        """The hub's name for the user whose server this is (labels in /metrics)."""
        self.kernels: dict[str, MeteredKernel] = {}
        self.notebooks: dict[str, str] = {}
        self.tally = Tally(self.user)
        self.clock = time.monotonic
        self.sampler = Sampler(meter_settings.sample_interval)
        self._worker = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="jupyter-carbon-server")
        self._callback = None
        self._notebooks_at = float("-inf")

    # -- lifetime -------------------------------------------------------------------------
    def start(self) -> None:
        from tornado.ioloop import PeriodicCallback

        logger = getattr(self.serverapp, "event_logger", None)
        if logger is not None:
            try:
                logger.add_listener(schema_id=KERNEL_ACTIONS, listener=self._on_kernel_action)
            except Exception:
                log.debug("jupyter-carbon: no kernel action events; polling the kernel list only", exc_info=True)
        self._callback = PeriodicCallback(self.reconcile, RECONCILE_MS)
        self._callback.start()
        self.reconcile()

    def stop(self) -> None:
        if self._callback is not None:
            self._callback.stop()
        for kernel in list(self.kernels.values()):
            kernel.close()
        self.kernels.clear()
        self._worker.shutdown(wait=True)
        self.sampler.stop()
        try:
            self.carbon.close()
        except Exception:
            pass

    def run(self, job) -> None:
        """Run ``job`` on the metering thread, after the jobs given before it."""

        def guarded():
            try:
                job()
            except Exception:
                log.exception("jupyter-carbon: metering a kernel failed; its cells are unaffected")

        self._worker.submit(guarded)

    def wait(self, timeout: float = 10.0) -> None:
        """Until every job given so far has run (tests, the REST route's fresh figures)."""
        self._worker.submit(lambda: None).result(timeout=timeout)

    # -- kernels --------------------------------------------------------------------------
    async def _on_kernel_action(self, logger, schema_id, data) -> None:
        kernel_id, action = data.get("kernel_id"), data.get("action")
        if action == "restart" and kernel_id in self.kernels and data.get("status") == "success":
            self.kernels[kernel_id].restarted()
        self.reconcile()
        if action == "start":
            await self.refresh_notebooks()

    def reconcile(self) -> None:
        """Meter kernels not yet metered; close those the server no longer has."""
        manager = self.serverapp.kernel_manager
        try:
            ids = set(manager.list_kernel_ids())
        except Exception:
            return
        for kernel_id in ids - set(self.kernels):
            kernel = MeteredKernel(kernel_id, manager.get_kernel(kernel_id), self)
            self.kernels[kernel_id] = kernel
            try:
                kernel.watch()
            except Exception:
                log.exception("jupyter-carbon: cannot watch kernel %s", kernel_id)
                kernel.metered_by, kernel.reason = None, "its IOPub channel could not be opened"
        for kernel_id in set(self.kernels) - ids:
            self.kernels.pop(kernel_id).close()
            self.run(lambda kernel_id=kernel_id: self.tally.forget(kernel_id))  # after its last idle span
        if ids - set(self.notebooks) or self.clock() - self._notebooks_at > NOTEBOOKS_REFRESH_S:
            from tornado.ioloop import IOLoop

            IOLoop.current().add_callback(self._refresh_then_open)
        for kernel_id in ids:  # a console's kernel has no notebook: open it after a while
            kernel = self.kernels[kernel_id]
            if kernel_id in self.notebooks or self.clock() - kernel.seen_at > OPEN_WITHOUT_NOTEBOOK_S:
                kernel.open_when_known()

    async def _refresh_then_open(self) -> None:
        await self.refresh_notebooks()
        for kernel_id in set(self.kernels) & set(self.notebooks):
            self.kernels[kernel_id].open_when_known()

    async def refresh_notebooks(self) -> None:
        """Each kernel's notebook, from the server's sessions. JupyterLab's placeholder path
        is no notebook: the kernel's stays unknown (or as it was) until the session's path
        is the notebook's."""
        self._notebooks_at = self.clock()
        sessions = getattr(self.serverapp, "session_manager", None)
        if sessions is None:
            return
        try:
            listed = await sessions.list_sessions()
        except Exception:
            return
        for model in listed:
            kernel_id, path = (model.get("kernel") or {}).get("id"), model.get("path")
            if kernel_id and isinstance(path, str) and path and not LAB_PLACEHOLDER.fullmatch(path):
                self.notebooks[kernel_id] = path

    def notebook_of(self, kernel_id: str) -> str | None:
        return self.notebooks.get(kernel_id)

    def describe(self) -> list[dict]:
        return [kernel.describe() for kernel in list(self.kernels.values())]
