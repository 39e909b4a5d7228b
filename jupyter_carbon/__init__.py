"""jupyter-carbon: the energy and carbon cost of notebook work, per cell, as it happens.

``import jupyter_carbon`` stays light: the meter, psutil and pynvml load on first use.

    with jupyter_carbon.measure() as m:
        train()
    m.energy_j, m.by_component, m.duration_s, m.method
"""

from ._version import __version__

__all__ = ["__version__", "Meter", "Measurement", "measure", "default_meter", "widget", "progress_callback"]

_LAZY = {
    "Meter": "meter",
    "Measurement": "meter",
    "Snapshot": "meter",
    "measure": "meter",
    "default_meter": "meter",
}


def _jupyter_labextension_paths():
    """Where the prebuilt JupyterLab extension lives (``jupyter labextension develop``)."""
    return [{"src": "labextension", "dest": "jupyter-carbon"}]


def load_ipython_extension(shell):
    """``%load_ext jupyter_carbon``: meter every cell of this shell."""
    from .kernel.extension import load_ipython_extension as load

    load(shell)


def unload_ipython_extension(shell):
    """``%unload_ext jupyter_carbon``: stop the sampler, remove the hooks and magics."""
    from .kernel.extension import unload_ipython_extension as unload

    unload(shell)


def widget() -> None:
    """Show the live meter under the current cell (loading the extension if needed).

    Returns nothing, so that a call as a cell's last line does not show the meter twice.
    """
    from .kernel.extension import show_widget

    show_widget()


def progress_callback(framework: str | None = None):
    """A callback reporting a training run's progress to the running cell's projection (Keras:
    ``model.fit(..., callbacks=[...])``; Hugging Face: ``Trainer(..., callbacks=[...])``;
    Lightning gets one by itself), built for whichever framework is already imported."""
    from .kernel.training import progress_callback as build

    return build(framework)


def __getattr__(name):
    if name in _LAZY:
        import importlib

        module = importlib.import_module(f".{_LAZY[name]}", __name__)
        return getattr(module, name)
    raise AttributeError(f"module 'jupyter_carbon' has no attribute {name!r}")
