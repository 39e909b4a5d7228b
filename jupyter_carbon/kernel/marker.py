"""Tell whoever watches this kernel's IOPub that the kernel records this cell itself.

A Jupyter server running the server extension meters every kernel from outside; a kernel
that runs the IPython extension must not be counted twice. At each metered cell's start
the kernel publishes one small ``comm_msg`` on the well-known comm id :data:`~jupyter_carbon.protocol.MARKER_COMM`,
with the cell's ``execute_request`` as its parent: exact per cell, whoever sent the cell
(JupyterLab's Run All queues several requests at once). No frontend opens that comm, and
frontends ignore messages of comms they do not hold (docs/protocol.md).

Only a kernel that such a server started sends it: the server says so in its environment
(:data:`~jupyter_carbon.protocol.METERING_SERVER_ENV`), which the kernels it starts inherit.
Elsewhere nobody reads the marker, and building, signing and queueing it was a fifth of
what a cell's hooks cost.
"""

from __future__ import annotations

import logging
import os

from ..protocol import MARKER_COMM, METERING_SERVER_ENV

log = logging.getLogger("jupyter_carbon")


def publish_marker(shell, cell) -> bool:
    """Publish the marker for the cell now running in ``shell``'s kernel; False outside a
    kernel (a terminal IPython has no IOPub), in a kernel no metering server started, or if
    it could not be sent."""
    if METERING_SERVER_ENV not in os.environ:
        return False
    kernel = getattr(shell, "kernel", None)
    if kernel is None or getattr(kernel, "iopub_socket", None) is None:
        return False
    try:
        kernel.session.send(
            kernel.iopub_socket,
            "comm_msg",
            {"comm_id": MARKER_COMM, "data": {"type": "metered", "protocol": 1, "index": getattr(cell, "index", None)}},
            parent=kernel.get_parent("shell"),
            ident=b"comm-" + MARKER_COMM.encode(),
        )
    except Exception:
        log.debug("jupyter-carbon: could not publish the metered marker", exc_info=True)
        return False
    return True
