"""The Jupyter server extension: meters every kernel the server starts, of any language,
from outside, and serves the figures (a REST route, /metrics).

Enabled on ``pip install`` by ``jupyter-config/jupyter_server_config.d/jupyter_carbon.json``;
configured with ``c.CarbonServer.*`` (:mod:`.settings`) and ``c.CarbonMeter.*``. This room
reuses the meter, the session, the ledger and the reports; it never imports ``kernel/``.
"""


def _jupyter_server_extension_points():
    return [{"module": "jupyter_carbon.server"}]


def _load_jupyter_server_extension(serverapp):
    from .app import load

    load(serverapp)


def _unload_jupyter_server_extension(serverapp):
    from .app import unload

    unload(serverapp)
