"""Progress from training frameworks' callbacks feeding the running cell's projection.

Keras, PyTorch Lightning and transformers are not installed here (nor in CI): each is faked
as a module with its documented callback API (the base class, the state its hooks are
given) and a loop that calls the hooks in the documented order. The callbacks under test are
the ones users get: built on the fake base found in ``sys.modules``.
"""

from __future__ import annotations

import io
import sys
import time
import types
from importlib.metadata import entry_points

import pytest
from test_live_meter import FixedCarbon
from test_projection import clock, session  # noqa: F401  (fixtures: a steady 10 W on a fake clock)
from tqdm import tqdm

from jupyter_carbon.kernel import training
from jupyter_carbon.kernel.progress import Projector
from jupyter_carbon.kernel.training import keras_fraction, lightning_callbacks, progress_callback

# -- fakes of the frameworks' callback APIs -------------------------------------------------


class KerasCallback:
    """keras.callbacks.Callback: ``params`` and ``model`` are set by ``CallbackList``; every
    hook is a no-op unless overridden."""

    def __init__(self):
        self.params, self.model = {}, None

    def set_params(self, params):
        self.params = params

    def set_model(self, model):
        self.model = model

    def __getattr__(self, name):
        if name.startswith("on_"):
            return lambda *a, **k: None
        raise AttributeError(name)


def keras_fit(callbacks, epochs, steps, step, *, declared_steps="same"):
    """Model.fit's calls to its callbacks (Keras 3 ``CallbackList``); ``step(epoch, i)`` runs one batch."""
    params = {"verbose": 1, "epochs": epochs, "steps": steps if declared_steps == "same" else declared_steps}
    for cb in callbacks:
        cb.set_model(object())
        cb.set_params(params)
        cb.on_train_begin(logs={})
    for epoch in range(epochs):
        for cb in callbacks:
            cb.on_epoch_begin(epoch, logs={})
        for i in range(steps):
            for cb in callbacks:
                cb.on_train_batch_begin(i, logs={})
            step(epoch, i)
            for cb in callbacks:
                cb.on_train_batch_end(i, logs={"loss": 0.1})
        for cb in callbacks:
            cb.on_epoch_end(epoch, logs={"loss": 0.1})
    for cb in callbacks:
        cb.on_train_end(logs={})


class LightningCallback:
    """lightning.pytorch.Callback: hooks receive the trainer and the module."""

    def __getattr__(self, name):
        if name.startswith("on_"):
            return lambda *a, **k: None
        raise AttributeError(name)


class LightningTrainer:
    """The Trainer fields the callback reads, and ``fit``'s hook order. Its progress bar is a
    tqdm bar reset every epoch, as Lightning's ``TQDMProgressBar`` does."""

    def __init__(self, callbacks, max_epochs, batches, accumulate=1):
        self.callbacks, self.max_epochs, self.num_training_batches = callbacks, max_epochs, batches
        self.accumulate, self.global_step, self.current_epoch = accumulate, 0, 0

    @property
    def estimated_stepping_batches(self):
        return self.max_epochs * self.num_training_batches // self.accumulate

    def fit(self, step):
        bar = tqdm(total=self.num_training_batches, file=io.StringIO(), mininterval=0, miniters=1)
        for cb in self.callbacks:
            cb.on_train_start(self, None)
        for epoch in range(self.max_epochs):
            self.current_epoch = epoch
            bar.reset(total=self.num_training_batches)
            for cb in self.callbacks:
                cb.on_train_epoch_start(self, None)
            for i in range(self.num_training_batches):
                step(epoch, i)
                if (i + 1) % self.accumulate == 0:
                    self.global_step += 1
                bar.update(1)
                for cb in self.callbacks:
                    cb.on_train_batch_end(self, None, {"loss": 0.1}, None, i)
        bar.close()
        for cb in self.callbacks:
            cb.on_train_end(self, None)


class TrainerCallback:
    """transformers.TrainerCallback: every event is ``(args, state, control, **kwargs)``."""

    def __getattr__(self, name):
        if name.startswith("on_"):
            return lambda *a, **k: None
        raise AttributeError(name)


def hf_train(callbacks, max_steps, accumulate, step):
    """Trainer's events in the documented order (``CallbackHandler.call_event``)."""
    state = types.SimpleNamespace(global_step=0, max_steps=max_steps, epoch=0.0)
    args, control = types.SimpleNamespace(), types.SimpleNamespace()

    def event(name, **kw):
        for cb in callbacks:
            getattr(cb, name)(args, state, control, **kw)

    event("on_init_end")
    event("on_train_begin")
    event("on_epoch_begin")
    for s in range(max_steps):
        event("on_step_begin")
        for a in range(accumulate):
            step(s, a)
            if a < accumulate - 1:
                event("on_substep_end")
        event("on_pre_optimizer_step")
        event("on_optimizer_step")
        state.global_step += 1
        event("on_step_end")
        event("on_log", logs={"loss": 0.1})
    event("on_epoch_end")
    event("on_train_end")


@pytest.fixture
def keras(monkeypatch):
    module = types.ModuleType("keras")
    module.callbacks = types.SimpleNamespace(Callback=KerasCallback)
    monkeypatch.setitem(sys.modules, "keras", module)
    return module


@pytest.fixture
def lightning(monkeypatch):
    module = types.ModuleType("lightning.pytorch")
    module.Callback = LightningCallback
    monkeypatch.setitem(sys.modules, "lightning.pytorch", module)
    return module


@pytest.fixture
def transformers(monkeypatch):
    module = types.ModuleType("transformers.trainer_callback")
    module.TrainerCallback = TrainerCallback
    monkeypatch.setitem(sys.modules, "transformers.trainer_callback", module)
    return module


# -- the projector on a session at a steady 10 W -------------------------------------------


@pytest.fixture
def projector(session):  # noqa: F811
    p = Projector(session, FixedCarbon())
    yield p
    p.close()


def stepper(session, clock, seconds):
    """One step of known pace: ``seconds(n)`` of the steady 10 W for the n-th step, then the
    power reading on which the projector reads the progress."""
    count = [0]

    def step(*_):
        clock.advance(seconds(count[0]))
        count[0] += 1
        session.meter.tick()

    return step


def watch(projector, step, seen):
    def watched(*args):
        step(*args)
        if projector.latest is not None:
            seen.append(projector.latest)

    return watched


def check_marks(seen, final_j):
    """The projections first seen at 10 %, 50 % and 90 % held the outcome within their bounds."""
    marks = {m: next(p for p in seen if p.fraction >= m - 1e-9) for m in (0.1, 0.5, 0.9)}
    for mark, p in marks.items():
        assert p.low_j <= final_j <= p.high_j, (mark, p, final_j)
    return marks


# -- the three frameworks, steady and changing pace ------------------------------------------


def run_keras(session, clock, projector, seconds, epochs=4, steps=25):
    cell, seen = session.begin(source="model.fit(...)"), []
    keras_fit([progress_callback()], epochs, steps, watch(projector, stepper(session, clock, seconds), seen))
    return session.end(cell), seen


def test_a_keras_fit_is_projected_within_its_bounds(keras, session, clock, projector):
    record, seen = run_keras(session, clock, projector, lambda n: 2.0)
    assert record.energy_j == pytest.approx(100 * 20.0)
    marks = check_marks(seen, record.energy_j)
    assert marks[0.5].energy_j == pytest.approx(record.energy_j, rel=0.02)
    assert "within its bounds" in projector.outcome
    widths = [p.high_j - p.low_j for p in marks.values()]
    assert widths[0] > widths[1] > widths[2]


@pytest.mark.parametrize("speedup", [1.5, 1.9])
def test_a_keras_fit_that_speeds_up_halfway_keeps_its_bounds(keras, session, clock, projector, speedup):
    record, seen = run_keras(session, clock, projector, lambda n: 3.0 if n < 50 else 3.0 / speedup)
    marks = check_marks(seen, record.energy_j)
    assert marks[0.1].energy_j > record.energy_j  # too high at the early pace, inside its bounds


def test_keras_without_steps_per_epoch_reports_at_each_epochs_end():
    assert keras_fraction({"epochs": 4, "steps": None}, 1, 7) == 0.25
    assert keras_fraction({"epochs": 4, "steps": None}, 1, None) == 0.5
    assert keras_fraction({"epochs": 4, "steps": 10}, 1, 4) == pytest.approx(0.375)
    assert keras_fraction({}, 0, 3) is None


def test_a_lightning_fit_follows_the_run_not_the_epoch_bar(lightning, session, clock, projector):
    """Lightning's tqdm bar restarts every epoch; the entry point's callback reports the run."""
    (callback,) = lightning_callbacks()
    cell, seen = session.begin(), []
    trainer = LightningTrainer([callback], max_epochs=4, batches=50, accumulate=2)
    trainer.fit(watch(projector, stepper(session, clock, lambda n: 1.0), seen))
    record = session.end(cell)
    assert record.energy_j == pytest.approx(200 * 10.0)
    marks = check_marks(seen, record.energy_j)
    assert marks[0.5].energy_j == pytest.approx(record.energy_j, rel=0.03)


def test_lightning_gets_the_callback_only_while_the_extension_listens(lightning, session, monkeypatch):
    monkeypatch.setattr(training.REPORTS, "listeners", 0)  # whatever other tests left loaded
    assert lightning_callbacks() == []  # no projector: a plain script gets nothing
    p = Projector(session, FixedCarbon())
    try:
        (callback,) = lightning_callbacks()
        assert isinstance(callback, LightningCallback)
    finally:
        p.close()
    assert lightning_callbacks() == []


def test_the_lightning_entry_points_are_declared():
    """Lightning loads ``callbacks_factory`` entry points in every Trainer (needs the package
    installed, as ``pip install -e .`` does)."""
    for group, name in (("lightning.pytorch.callbacks_factory", "lightning_callbacks"),
                        ("pytorch_lightning.callbacks_factory", "pytorch_lightning_callbacks")):  # fmt: skip
        (ep,) = [e for e in entry_points(group=group) if e.name == "jupyter_carbon"]
        assert ep.load() is getattr(training, name)


def test_a_transformers_trainer_is_projected_within_its_bounds(transformers, session, clock, projector):
    cell, seen = session.begin(), []
    step = watch(projector, stepper(session, clock, lambda n: 1.0 if n < 120 else 0.6), seen)
    hf_train([progress_callback("transformers")], max_steps=60, accumulate=4, step=step)
    record = session.end(cell)
    assert record.energy_j == pytest.approx(10.0 * (120 * 1.0 + 120 * 0.6))
    check_marks(seen, record.energy_j)
    assert projector.outcome and "within its bounds" in projector.outcome


def test_a_run_reports_before_the_tqdm_bars_of_the_same_cell(transformers, session, clock, projector):
    """A Trainer outside a notebook also draws a tqdm bar of its own; the run's report wins."""
    cell = session.begin()
    other = tqdm(total=1000, file=io.StringIO(), mininterval=0)  # e.g. a data-loading bar, barely begun
    other.update(1)
    fractions = []

    def step(*_):
        clock.advance(1.0)
        session.meter.tick()
        if projector.latest is not None:
            fractions.append(projector.latest.fraction)

    hf_train([progress_callback()], max_steps=20, accumulate=1, step=step)
    other.close()
    session.end(cell)
    assert fractions and fractions[-1] == pytest.approx(19 / 20)


def test_a_callback_never_raises_into_the_loop(keras, transformers):
    cb = progress_callback("keras")
    cb.on_train_begin()
    cb.params = None  # a framework that changed its fields
    cb.on_train_batch_end(3)
    hf = progress_callback("transformers")
    hf.on_train_begin(None, None, None)
    hf.on_step_end(None, types.SimpleNamespace(global_step=1, max_steps=0), None)  # unknown length
    hf.on_step_end(None, object(), None)


def test_a_run_from_before_the_cell_is_not_read(transformers, session, projector):
    """An interrupted fit never calls its end hook: the next cell does not read it."""
    cell = session.begin()
    run = training.REPORTS.start("transformers")
    run.report(0.5)
    session.end(cell)
    time.sleep(0.01)  # the next cell starts later on the wall clock
    session.begin()
    assert training.REPORTS.current(projector._since) is None and projector.poll(energy_j=1.0) is None


def test_nothing_is_imported_for_the_user(tmp_path, monkeypatch):
    """A framework that is installed but not imported is not imported: the user is told."""
    package = tmp_path / "keras"
    package.mkdir()
    (package / "__init__.py").write_text("raise AssertionError('imported by jupyter-carbon')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(training.REPORTS, "listeners", 1)  # as in a kernel with the extension loaded
    for name in ("keras", "tf_keras", "lightning.pytorch", "pytorch_lightning", "transformers", "transformers.trainer_callback"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    with pytest.raises(ValueError, match="is not imported; import it first"):
        progress_callback()
    with pytest.raises(ValueError, match="unknown framework 'jax'"):
        progress_callback("jax")
    assert lightning_callbacks() == [] and "keras" not in sys.modules


def test_the_package_exposes_the_callback(keras):
    import jupyter_carbon

    assert isinstance(jupyter_carbon.progress_callback(), KerasCallback)
