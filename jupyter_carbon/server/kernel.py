"""One kernel metered from outside: its process tree, its executions, its session ledger.

The server holds a :class:`MeteredKernel` per kernel it started. A local kernel's process
tree (the provisioner knows its PID) is metered by the package's own :class:`~jupyter_carbon.meter.Meter`
and sources, and each execution the server sees on IOPub (:mod:`.executions`) becomes a
:class:`~jupyter_carbon.records.CellRecord` of a :class:`~jupyter_carbon.session.Session`:
the same records, ledger, notebook identity and pricing as a kernel that meters itself.

Nothing here runs on the server's event loop but message parsing: snapshots, records and
ledger writes go to the one worker thread the owner gives (``run``), in order, so metering
never slows the channels it watches.

``metered_by`` says who meters the kernel: ``server``; ``kernel`` (it runs the IPython
extension, which records its cells itself and says so at each cell on IOPub: the server
records none of those cells, and says so); or
``None`` with ``reason`` (a remote kernel whose processes the server cannot see: named
unmetered, never charged 0).
"""

from __future__ import annotations

import logging

from .executions import WATCHED, Executions

log = logging.getLogger("jupyter_carbon")

SERVER, KERNEL = "server", "kernel"


def local_pid(km) -> int | None:
    """The PID of a kernel started on this machine by the local provisioner, else None."""
    try:
        from jupyter_client.provisioning import LocalProvisioner
    except ImportError:  # jupyter_client before provisioners
        LocalProvisioner = None
    provisioner = getattr(km, "provisioner", None)
    if LocalProvisioner is not None and isinstance(provisioner, LocalProvisioner):
        process = getattr(provisioner, "process", None)
    elif provisioner is None and hasattr(km, "kernel"):
        process = km.kernel
    else:
        return None
    pid = getattr(process, "pid", None)
    return pid if isinstance(pid, int) and pid > 0 else None


class MeteredKernel:
    """The server's meter of one kernel (see the module's docstring)."""

    def __init__(self, kernel_id: str, km, owner):
        self.kernel_id = kernel_id
        self.km = km
        self.owner = owner
        self.kernel_name = getattr(km, "kernel_name", None) or ""
        self.language = _language(km)
        self.pid = local_pid(km)
        self.metered_by: str | None = SERVER if self.pid else None
        self.reason = None if self.pid else "a remote kernel: this server cannot see its processes"
        self.meter = None
        self.session = None
        self._cell = None
        self.executions = Executions(self._on_begin, self._on_end)
        self._iopub = None
        self._wire = None
        self._opening = False
        self.seen_at = owner.clock()
        self.feeds: tuple = ()
        """The frontends following this kernel (:class:`~.feed.Feed`, one per open channel)."""
        self._msg_id: str | None = None
        """The ``execute_request`` of the cell the session has open (worker thread)."""

    # -- lifetime (event loop) ----------------------------------------------------------------
    def watch(self) -> None:
        """Subscribe to the kernel's IOPub (a socket of the server's own, as the server's
        activity tracking does: the browser's channels are not touched)."""
        if self.metered_by is None:
            return
        from jupyter_client.session import Session

        # A Session of our own: sharing the kernel's would put these messages' signatures in
        # its replay history, where the browser's channel would then reject them.
        self._wire = Session(config=self.km.session.config, key=self.km.session.key)
        self._iopub = self.km.connect_iopub()
        self._iopub.on_recv(self._on_iopub)

    def restarted(self) -> None:
        """The kernel restarted: a new process tree; the running execution is lost."""
        self.executions.abandon()
        pid = local_pid(self.km)
        if pid and pid != self.pid:
            self.pid = pid
            self.owner.run(self._reopen_meter)
        if self.metered_by == KERNEL:
            self.metered_by, self.reason = SERVER, None  # until it says again that it meters itself

    def close(self) -> None:
        feeds, self.feeds = self.feeds, ()
        for feed in feeds:
            if feed.end is not None:
                feed.end()
        if self._iopub is not None:
            try:
                self._iopub.close()
            except Exception:
                pass
            self._iopub = None
        self.owner.run(self._close_session)

    def add_feed(self, feed) -> None:
        self.feeds = (*self.feeds, feed)

    def remove_feed(self, feed) -> None:
        self.feeds = tuple(f for f in self.feeds if f is not feed)

    def _forward(self, event: str, payload) -> None:
        """A session event to every frontend following this kernel (worker or sampler thread)."""
        for feed in self.feeds:
            feed.on_event(event, payload, self._msg_id)

    def _greet(self) -> None:
        for feed in self.feeds:
            feed.greet()

    # -- IOPub (event loop) -------------------------------------------------------------------
    def _on_iopub(self, frames) -> None:
        try:
            session = self._wire
            _, frames = session.feed_identities(frames)
            msg = session.deserialize(frames, content=False)
            msg_type = msg["header"].get("msg_type")
            if msg_type not in WATCHED:
                return
            self.executions.handle(msg_type, msg["parent_header"] or {}, session.unpack(msg["content"]))
        except Exception:
            log.debug("jupyter-carbon: an IOPub message of kernel %s could not be read", self.kernel_id, exc_info=True)

    def _edge(self):
        """The meter's snapshot now, on the event loop as the message arrives (a few counter
        reads): handed to the worker, a busy server's thread switch would move the edge."""
        meter = self.meter
        if meter is None:
            return None
        try:
            return meter, meter.snapshot(fresh=True)
        except Exception:
            return None

    def _on_begin(self, execution) -> None:
        if self.metered_by is not None:
            execution.notebook = self.owner.notebook_of(self.kernel_id)
            snapshot = self._edge()
            self.owner.run(lambda: self._begin(execution, snapshot))

    def _on_end(self, execution) -> None:
        if execution.metered_by_kernel and self.owner.settings.defer_to_kernel:
            if self.metered_by != KERNEL:
                log.info("jupyter-carbon: kernel %s (%s) meters itself; the server records none of its cells", self.kernel_id, self.kernel_name)
            self.metered_by, self.reason = KERNEL, "it runs the IPython extension, which records its own cells"
            self.owner.run(self._greet)  # its frontends switch to the kernel's comm
        elif self.metered_by == KERNEL:
            log.info("jupyter-carbon: kernel %s no longer meters itself; the server meters it again", self.kernel_id)
            self.metered_by, self.reason = SERVER, None
            self.owner.run(self._greet)
        deferred = self.metered_by == KERNEL
        snapshot = None if deferred else self._edge()
        self.owner.run(lambda: self._end(execution, deferred, snapshot))

    def open_when_known(self) -> None:
        """Open the meter and the session once the kernel's notebook is known (its ledger's
        header names it), on the worker, before the first cell: opening the sources and the
        first pricing take a moment that must not fall inside a cell's window."""
        if self.metered_by is not None and not self._opening:
            self._opening = True
            notebook = self.owner.notebook_of(self.kernel_id)
            self.owner.run(lambda: self.session is None and self._open_session(notebook))

    # -- metering (worker thread) -------------------------------------------------------------
    def _open_session(self, notebook) -> None:
        from ..meter import Meter
        from ..energy.process import ProcessTree
        from .held import HeldIdleSession

        settings = self.owner.meter_settings
        self.meter = Meter(config=settings, tree=ProcessTree(self.pid), start=False)
        identity = {"kernel_id": self.kernel_id, "kernel_name": self.kernel_name, "metered_by": SERVER}
        if notebook:
            identity["notebook"] = notebook
        if self.owner.user:
            identity["user"] = self.owner.user
        self.session = HeldIdleSession(
            self.meter, self.owner.carbon, ledger_dir=settings.ledger_dir or None, persist=settings.persist,
            # An IPython kernel may meter itself, idle time included: the server records its
            # idle spans only once one of its cells was the server's to record.
            idle=settings.record_idle and self.language != "python", identity=identity,
        )
        self.session.subscribe(self.owner.tally.listener_for(self.kernel_id))
        self.session.subscribe(self._forward)
        self.owner.sampler.add(self.meter)
        try:
            self.owner.carbon.current()  # the zone's first resolution, now rather than at a cell's end
        except Exception:
            pass
        self._greet()

    def _reopen_meter(self) -> None:
        if self.session is None:
            return
        from ..meter import Meter
        from ..energy.process import ProcessTree

        old = self.meter
        self.meter = Meter(config=self.owner.meter_settings, tree=ProcessTree(self.pid), start=False)
        self.session.use_meter(self.meter)
        self.owner.sampler.replace(old, self.meter)
        old.close()

    def _begin(self, execution, snapshot) -> None:
        if self.session is None:  # not opened yet: this cell's start is when it opens
            self._open_session(execution.notebook)
        self.session.notebook = execution.notebook
        self._msg_id = execution.msg_id
        # An IPython kernel may record this cell itself (the marker comes after its start),
        # and then the time before it too: that span is the server's only if the cell is.
        hold = self.language == "python" and self.owner.settings.defer_to_kernel
        self._cell = self.session.begin(execution_count=None, cell_id=execution.cell_id, snapshot=self._taken(snapshot), hold_idle=hold)

    def _end(self, execution, deferred: bool, snapshot=None) -> None:
        cell, self._cell = self._cell, None
        if cell is None or self.session is None:
            return
        try:
            self._record(execution, cell, deferred, snapshot)
        finally:
            self._msg_id = None

    def _record(self, execution, cell, deferred: bool, snapshot) -> None:
        if deferred:  # the kernel records this cell itself, and the time until the next
            self.session.discard(cell)
            self.session.record_idle = False
            return
        self.session.record_idle = self.owner.meter_settings.record_idle
        from ..footprint import source_sha256
        from ..records import first_line

        cell.notebook = cell.notebook or self.owner.notebook_of(self.kernel_id)
        cell.execution_count = execution.execution_count
        cell.source = first_line(execution.source)
        cell.source_sha256 = source_sha256(execution.source) if execution.source else None
        cell.cell_id = execution.cell_id or cell.cell_id
        self.session.end(cell, status=execution.status, error=execution.error, snapshot=self._taken(snapshot))

    def _taken(self, edge):
        """An edge's snapshot if it is of the session's meter now (not one a restart replaced)."""
        if edge is None or self.session is None or edge[0] is not self.session.meter:
            return None
        return edge[1]

    def _close_session(self) -> None:
        if self.session is not None:
            if self.metered_by != SERVER:
                self.session.skip_idle()
            self.session.close()
        if self.meter is not None:
            self.owner.sampler.remove(self.meter)
            self.meter.close()

    # -- what the views ask ---------------------------------------------------------------
    def describe(self) -> dict:
        """The kernel's state, as the REST route and /metrics show it."""
        session = self.session
        return {
            "kernel_id": self.kernel_id,
            "kernel_name": self.kernel_name,
            "language": self.language,
            "notebook": self.owner.notebook_of(self.kernel_id),
            "metered_by": self.metered_by,
            "reason": self.reason,
            "session_id": session.session_id if session else None,
            "totals": session.totals.to_dict() if session else None,
        }


def _language(km) -> str:
    try:
        return (km.kernel_spec.language or "").lower()
    except Exception:
        return ""
