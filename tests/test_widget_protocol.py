"""The live meter on the wire: the comm messages a kernel sends for it, checked against what
the installed ipywidgets declares and the widget protocol of its major version.

The main environment has ipywidgets 8; ``.ci/run`` runs this file again in a small extra
environment with ipywidgets 7 (what Colab and other managed notebooks ship). Each test runs
for the major version installed and says why it skips the other.
"""

from __future__ import annotations

import comm
import ipywidgets as widgets
import pytest
from comm.base_comm import BaseComm
from IPython.display import display
from IPython.utils.capture import capture_output

from jupyter_carbon.kernel.extension import extension_of
from jupyter_carbon.kernel.widget import WIDGET_VIEW, CarbonWidget

INSTALLED = int(widgets.__version__.split(".")[0])

#: The model module versions each major version of ipywidgets speaks (the widget message
#: protocol's ``@jupyter-widgets/controls`` and ``base`` versions); a frontend renders a model
#: only if it knows its module at that version.
PROTOCOL = {7: {"@jupyter-widgets/controls": "1.5.0", "@jupyter-widgets/base": "1.2.0"},
            8: {"@jupyter-widgets/controls": "2.0.0", "@jupyter-widgets/base": "2.0.0"}}  # fmt: skip



def parts_of(meter) -> dict:
    """Every widget model the meter opens: the box, its HTML children, and their layouts and
    styles, by model id."""
    found = {}
    for part in (meter, *meter.children):
        for model in (part, getattr(part, "layout", None), getattr(part, "style", None)):
            if model is not None:
                found[model.model_id] = model
    return found


def ipywidgets_class(model) -> type:
    """The ipywidgets class a model is (the meter is a VBox underneath)."""
    return next(c for c in type(model).__mro__ if c.__module__.startswith("ipywidgets."))


def needs_ipywidgets(major: int):
    return pytest.mark.skipif(
        INSTALLED != major,
        reason=f"checks the ipywidgets {major} protocol; this environment has ipywidgets {widgets.__version__} "
        + ("(.ci/run's ipywidgets 7 step runs it)" if major == 7 else "(the main test environment runs it)"),
    )


class Wire:
    """The comm messages the kernel would send, in order, each with whether a cell was running."""

    def __init__(self, session=None):
        self.messages: list[dict] = []
        self.session = session
        wire = self

        class RecordingComm(BaseComm):
            def publish_msg(self, msg_type, data=None, metadata=None, buffers=None, **keys):
                running = wire.session is not None and wire.session.current is not None
                wire.messages.append({"type": msg_type, "comm_id": self.comm_id, "data": data or {},
                                      "metadata": metadata or {}, "running": running, **keys})  # fmt: skip

        self.comm_class = RecordingComm

    def opens(self) -> dict[str, dict]:
        return {m["comm_id"]: m for m in self.messages if m["type"] == "comm_open"}

    def updates(self, comm_id: str) -> list[dict]:
        return [m for m in self.messages if m["type"] == "comm_msg" and m["comm_id"] == comm_id and m["data"].get("method") == "update"]


@pytest.fixture
def wire(shell, monkeypatch):
    recorder = Wire(extension_of(shell).session)
    monkeypatch.setattr(comm, "create_comm", recorder.comm_class)
    return recorder


def show_meter(shell):
    """Display a meter in the shell the way ``%carbon widget`` does, updating on every reading."""
    ext = extension_of(shell)
    with capture_output() as out:
        meter = CarbonWidget(ext.session, ext.carbon, min_interval=0.0)
        display(meter)
    return meter, out


def check_models(wire: Wire, meter, out, major: int) -> None:
    opens = wire.opens()
    parts = parts_of(meter)
    assert set(opens) == set(parts)
    assert {ipywidgets_class(part) for part in parts.values()} >= {widgets.VBox, widgets.HTML, widgets.Layout}
    for comm_id, message in opens.items():
        state = message["data"]["state"]
        cls = ipywidgets_class(parts[comm_id])
        assert state["_model_name"] == cls._model_name.default_value
        assert message["target_name"] == "jupyter.widget"
        assert message["metadata"]["version"].split(".")[0] == "2"  # the message protocol
        assert set(state) == set(cls.class_trait_names(sync=True)), "state keys are the ipywidgets class's synced traits"
        for side in ("model", "view"):
            module, version = state[f"_{side}_module"], state[f"_{side}_module_version"]
            assert module == getattr(cls, f"_{side}_module").default_value
            assert version == getattr(cls, f"_{side}_module_version").default_value
            assert version == PROTOCOL[major][module], f"{cls.__name__} speaks {module} {version}"
        assert state["_view_name"] == cls._view_name.default_value
    box = opens[meter.model_id]["data"]["state"]
    assert box["children"] == [f"IPY_MODEL_{child.model_id}" for child in meter.children]
    [shown] = out.outputs
    assert shown.data[WIDGET_VIEW] == {"version_major": 2, "version_minor": 0, "model_id": meter.model_id}
    assert shown.data["text/plain"].startswith("jupyter-carbon live meter: session")


def check_updates_during_a_cell(shell, wire: Wire, meter) -> None:
    ext = extension_of(shell)
    live = meter.children[1].model_id
    shell.user_ns["read_the_meter"] = ext.meter.tick
    with capture_output():
        result = shell.run_cell("read_the_meter(); 6 * 7")
    assert result.result == 42
    during = [u["data"]["state"]["value"] for u in wire.updates(live) if u["running"]]
    assert any("Running" in value and " W" in value for value in during), during
    after = [u["data"]["state"]["value"] for u in wire.updates(meter.children[0].model_id) if not u["running"]]
    assert "1 cell" in after[-1]
    ids = {meter.model_id} | {child.model_id for child in meter.children}
    meter.close()
    assert {m["comm_id"] for m in wire.messages if m["type"] == "comm_close"} >= ids


@pytest.mark.parametrize("major", [pytest.param(7, marks=needs_ipywidgets(7)), pytest.param(8, marks=needs_ipywidgets(8))])
def test_the_meters_models_are_what_the_installed_ipywidgets_declares(shell, wire, major):
    meter, out = show_meter(shell)
    check_models(wire, meter, out, major)
    meter.close()


@pytest.mark.parametrize("major", [pytest.param(7, marks=needs_ipywidgets(7)), pytest.param(8, marks=needs_ipywidgets(8))])
def test_updates_during_a_cell_reach_the_meter_over_its_comm(shell, wire, major):
    meter, _ = show_meter(shell)
    check_updates_during_a_cell(shell, wire, meter)
