"""Settings of the server extension, as traitlets configuration (``c.CarbonServer.*``).

Set them in ``jupyter_server_config.py`` (or ``.json``) or on the command line::

    c.CarbonServer.meter_kernels = True
    c.CarbonServer.enable_prometheus_metrics = False   # no series in /metrics

How energy is measured and priced (zone, PUE, sources, the ledger's folder) stays in
``c.CarbonMeter.*`` (:class:`jupyter_carbon.config.CarbonMeter`), read from the same file,
so the server meters kernels exactly as a kernel meters itself.
"""

from __future__ import annotations

from traitlets import Bool
from traitlets.config import Configurable


class CarbonServer(Configurable):
    """What the server extension does: meter kernels from outside, serve their figures."""

    meter_kernels = Bool(
        True,
        help="Meter every local kernel this server starts, of any language, from outside: "
        "its process tree through the same sources a kernel uses, one record per execution "
        "(execute_request to the kernel's idle).",
    ).tag(config=True)

    defer_to_kernel = Bool(
        True,
        help="Leave the cells a kernel meters itself (`%load_ext jupyter_carbon`) to its own "
        "records, so no cell is counted twice: such a kernel says so on IOPub at each cell.",
    ).tag(config=True)

    enable_prometheus_metrics = Bool(
        True,
        help="Add the kernels' energy, power and emissions to the server's /metrics "
        "(authenticated as the server's other routes unless "
        "ServerApp.authenticate_prometheus is False).",
    ).tag(config=True)
