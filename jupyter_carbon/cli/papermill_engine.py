"""``papermill --engine carbon``: papermill runs the notebook, every code cell metered.

The output notebook gets the same per-cell footprints and notebook totals as ``jupyter carbon
run --save-executed``, from the same metering (:class:`~jupyter_carbon.cli.runner.CellMetering`),
attached to papermill's own nbclient client. Registered through the ``papermill.engine``
entry point; papermill is an optional dependency (``jupyter-carbon[papermill]``).
"""

from __future__ import annotations

from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine
from papermill.log import logger
from papermill.utils import merge_kwargs, remove_args

from .runner import CellFailure, CellMetering


def _failure(nb) -> CellFailure | None:
    """The cell papermill stopped at (it marks it, and raises only once the run is saved)."""
    for number, cell in enumerate(nb.cells, 1):
        if cell.metadata.get("papermill", {}).get("exception"):
            error = next((o for o in cell.get("outputs", []) if o.get("output_type") == "error"), {})
            return CellFailure(number, error.get("ename", "error"), error.get("evalue", ""), "")
    return None


class MeteredPapermillClient(PapermillNotebookClient):
    """papermill's client with every code cell metered."""

    def __init__(self, nb_man, *, notebook: str | None = None, **kwargs):
        super().__init__(nb_man, **kwargs)
        self.metering = CellMetering(self, notebook=notebook, startup_timeout=self.startup_timeout)

    def papermill_execute_cells(self):
        try:
            super().papermill_execute_cells()
        finally:
            # papermill stops at a failing cell without raising; it marks the cell instead.
            self.metering.result.failure = _failure(self.nb)
            self.metering.finish()


class CarbonEngine(NBClientEngine):
    """papermill's nbclient engine, metered."""

    @classmethod
    def execute_managed_notebook(
        cls,
        nb_man,
        kernel_name,
        log_output=False,
        stdout_file=None,
        stderr_file=None,
        start_timeout=60,
        execution_timeout=None,
        **kwargs,
    ):
        # The same arguments as papermill's NBClientEngine, plus the input path for the records.
        notebook = kwargs.get("input_path")
        kwargs = remove_args(["input_path"], **kwargs)
        safe_kwargs = remove_args(["timeout", "startup_timeout"], **kwargs)
        final_kwargs = merge_kwargs(
            safe_kwargs,
            timeout=execution_timeout if execution_timeout else kwargs.get("timeout"),
            startup_timeout=start_timeout,
            kernel_name=kernel_name,
            log=logger,
            log_output=log_output,
            stdout_file=stdout_file,
            stderr_file=stderr_file,
        )
        notebook = str(notebook) if notebook is not None else None
        return MeteredPapermillClient(nb_man, notebook=notebook, **final_kwargs).execute()
