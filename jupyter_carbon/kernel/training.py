"""Progress reported by training frameworks: Keras, PyTorch Lightning and Hugging Face ``Trainer``.

Their loops report progress through callbacks, not through a bar we can read (Keras draws its
own ``Progbar``; ``Trainer`` draws HTML in a notebook; Lightning's tqdm bar restarts every
epoch, so it tells one epoch's progress, not the run's). A callback here turns each step
into the run's share done and hands it to :data:`REPORTS`, which the projector reads on each
power reading, before tqdm's bars. Nothing here imports a framework: a callback class is
built on the base class of the framework the user has already imported, found in
``sys.modules``, at the moment one is asked for.

- Lightning: nothing to do. The package declares a ``lightning.pytorch.callbacks_factory``
  (and ``pytorch_lightning.callbacks_factory``) entry point, Lightning's own way for a package
  to add a callback to every ``Trainer``; :func:`lightning_callbacks` adds one only while the
  kernel extension is loaded.
- Keras and ``Trainer``: ``callbacks=[jupyter_carbon.progress_callback()]``.

A callback never raises into the loop it watches: metering never changes what a cell does.
"""

from __future__ import annotations

import math
import sys
import threading
import time

FRAMEWORKS = ("keras", "lightning", "transformers")


class Run:
    """One training run's progress, as its callback last reported it."""

    def __init__(self, framework: str, clock=time.time):
        self.framework = framework
        self.started = clock()
        self.fraction: float | None = None
        self.finished = False

    def report(self, fraction: float | None) -> None:
        if fraction is not None and math.isfinite(fraction):
            self.fraction = min(1.0, max(0.0, fraction))

    def finish(self) -> None:
        self.finished = True


class Reports:
    """The latest run of any framework, for the projector; thread-safe."""

    def __init__(self):
        self._lock = threading.Lock()
        self._run: Run | None = None
        self.listeners = 0
        """Projectors following this kernel's cells (the kernel extension is loaded)."""

    def start(self, framework: str) -> Run:
        run = Run(framework)
        with self._lock:
            self._run = run
        return run

    def current(self, since: float) -> Run | None:
        """The run that started at or after ``since`` (wall clock), still running and
        reporting; None otherwise."""
        with self._lock:
            run = self._run
        if run is None or run.finished or run.fraction is None or run.started < since:
            return None
        return run


REPORTS = Reports()


def _report(callback, fraction_of) -> None:
    """Report the share done from a hook, never raising into the training loop."""
    try:
        run = callback._carbon_run
        if run is not None:
            run.report(fraction_of())
    except Exception:  # a framework's object without the field we read: no progress
        pass


# -- the share done, from each framework's documented state --------------------------------


def keras_fraction(params: dict | None, epoch: int, batch: int | None) -> float | None:
    """Keras: ``params`` holds ``epochs`` and ``steps`` (batches per epoch, None for a dataset
    of unknown length); ``batch`` is the 0-based batch that ended (None at an epoch's end)."""
    epochs = (params or {}).get("epochs")
    steps = (params or {}).get("steps")
    if not epochs:
        return None
    if batch is None:
        return (epoch + 1) / epochs
    if not steps:
        return epoch / epochs
    return (epoch + min(1.0, (batch + 1) / steps)) / epochs


def lightning_fraction(trainer) -> float | None:
    """Lightning: optimizer steps done over ``estimated_stepping_batches`` (which counts
    ``max_epochs``, ``max_steps``, gradient accumulation and devices; infinite for an
    iterable of unknown length)."""
    total = float(trainer.estimated_stepping_batches)
    if not math.isfinite(total) or total <= 0:
        return None
    return trainer.global_step / total


def transformers_fraction(state) -> float | None:
    """``Trainer``: ``state.global_step`` of ``state.max_steps`` (update steps)."""
    return state.global_step / state.max_steps if state.max_steps and state.max_steps > 0 else None


# -- callback classes, built on the user's framework --------------------------------------------


def _base(framework: str, modules: tuple[str, ...] = ()):
    """The framework's callback base class, from the modules already imported (Lightning: the
    first of ``modules`` loaded, where given); None if not."""
    if framework == "keras":
        for name in ("keras", "tf_keras"):
            module = sys.modules.get(name)
            callbacks = getattr(module, "callbacks", None)
            if callbacks is not None and hasattr(callbacks, "Callback"):
                return callbacks.Callback
        return None
    if framework == "lightning":
        for name in modules or ("lightning.pytorch", "pytorch_lightning"):
            if (cls := getattr(sys.modules.get(name), "Callback", None)) is not None:
                return cls
        return None
    module = sys.modules.get("transformers.trainer_callback") or sys.modules.get("transformers")
    return getattr(module, "TrainerCallback", None) if module is not None else None


def _keras_class(base):
    class CarbonProgress(base):
        """Reports each batch's progress to jupyter-carbon's projection (``params``: epochs, steps)."""

        _carbon_run = None
        _carbon_epoch = 0

        def on_train_begin(self, logs=None):
            self._carbon_run, self._carbon_epoch = REPORTS.start("keras"), 0

        def on_epoch_begin(self, epoch, logs=None):
            self._carbon_epoch = epoch

        def on_train_batch_end(self, batch, logs=None):
            _report(self, lambda: keras_fraction(self.params, self._carbon_epoch, batch))

        def on_epoch_end(self, epoch, logs=None):
            _report(self, lambda: keras_fraction(self.params, epoch, None))

        def on_train_end(self, logs=None):
            if self._carbon_run is not None:
                self._carbon_run.finish()

    return CarbonProgress


def _lightning_class(base):
    class CarbonProgress(base):
        """Reports each optimizer step's progress to jupyter-carbon's projection."""

        _carbon_run = None

        def on_train_start(self, trainer, pl_module):
            self._carbon_run = REPORTS.start("lightning")

        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
            _report(self, lambda: lightning_fraction(trainer))

        def on_train_end(self, trainer, pl_module):
            if self._carbon_run is not None:
                self._carbon_run.finish()

    return CarbonProgress


def _transformers_class(base):
    class CarbonProgress(base):
        """Reports each update step's progress to jupyter-carbon's projection."""

        _carbon_run = None

        def on_train_begin(self, args, state, control, **kwargs):
            self._carbon_run = REPORTS.start("transformers")

        def on_step_end(self, args, state, control, **kwargs):
            _report(self, lambda: transformers_fraction(state))

        def on_train_end(self, args, state, control, **kwargs):
            if self._carbon_run is not None:
                self._carbon_run.finish()

    return CarbonProgress


_BUILDERS = {"keras": _keras_class, "lightning": _lightning_class, "transformers": _transformers_class}
_CLASSES: dict = {}
"""The class built on each base class met, so that every callback of a framework is one class."""


def progress_callback(framework: str | None = None, *, _modules: tuple[str, ...] = ()):
    """A callback that reports a training run's progress to the running cell's projection:
    ``model.fit(..., callbacks=[progress_callback()])`` (Keras),
    ``Trainer(..., callbacks=[progress_callback()])`` (Hugging Face; Lightning gets one by
    itself). ``framework`` (``keras``, ``lightning``, ``transformers``) picks one where several
    are imported; without it, the first imported in that order. ValueError when none is."""
    if framework is not None and framework not in FRAMEWORKS:
        raise ValueError(f"unknown framework {framework!r}; give one of {', '.join(FRAMEWORKS)}")
    for name in (framework,) if framework else FRAMEWORKS:
        base = _base(name, _modules)
        if base is not None:
            if base not in _CLASSES:
                _CLASSES[base] = _BUILDERS[name](base)
            return _CLASSES[base]()
    wanted = framework or "Keras, PyTorch Lightning or transformers"
    raise ValueError(f"progress_callback: {wanted} is not imported; import it first (jupyter-carbon never imports it for you)")


def lightning_callbacks(module: str = "lightning.pytorch") -> list:
    """Lightning's ``lightning.pytorch.callbacks_factory`` entry point: one callback for every
    ``Trainer``, while the kernel extension is loaded (nothing in a plain script)."""
    if REPORTS.listeners <= 0 or _base("lightning", (module,)) is None:
        return []
    try:
        return [progress_callback("lightning", _modules=(module,))]
    except Exception:
        return []


def pytorch_lightning_callbacks() -> list:
    """The same for the ``pytorch_lightning`` package's ``pytorch_lightning.callbacks_factory``."""
    return lightning_callbacks("pytorch_lightning")
