"""The live meter inside the notebook: an ipywidgets box that any Jupyter frontend shows.

It listens to the session: live power per component and this cell's energy so far while a
cell runs (from the meter's sampler thread, throttled to ``min_interval``, about two
updates a second), and the final figures the moment the cell ends. Plain ipywidgets (HTML
children) so it renders in JupyterLab 4, Notebook 7 and VS Code without a custom frontend
model. Every widget reads the same session, so several in one notebook agree; closing one
releases its listener. Figures follow the kernel's units (JupyterLab's unit settings, or
``c.CarbonMeter.energy_unit`` and ``mass_unit``), as the status bar and footers do.
"""

from __future__ import annotations

import html
import threading
from collections import deque

import ipywidgets as widgets
from traitlets import Bool, Dict, Float, Unicode

from .. import clocks
from ..text import cluster_power_text, projection_text
from .charts import forecast_svg, projection_svg
from ..units import cell_label, display_units, format_energy, format_intensity, format_mass, format_power

TRACE_WIDTH, TRACE_HEIGHT = 240, 36
AXIS_WIDTH = 44
"""Room left of the trace for its scale (``1.5 kW``), so the label never covers the line."""
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
LINE_HEIGHT = "var(--jp-content-line-height,1.6)"
"""JupyterLab's line height for rendered content, where the page has Lab's theme."""


class CarbonWidget(widgets.VBox):
    """Live power, this cell's energy, the session's energy and CO2e, and a power trace.

    The figures are kept as traits (``power_w``, ``cell_energy_j``, ``session_energy_j``,
    ``session_emissions_g``, ``running``, ``zone``) as well as drawn, so code can read them.
    """

    power_w = Dict(help="Watts per component charged to the kernel at the last update.")
    cluster_power = Dict(help="The cluster's power at the last update (``watts``, ``workers``), from its workers' pushed readings.")
    cell_energy_j = Float(0.0, help="Energy of the running (or last) cell so far.")
    session_energy_j = Float(0.0)
    session_emissions_g = Float(0.0)
    idle_energy_j = Float(0.0, help="Energy charged to the kernel between cells, apart from the cells'.")
    running = Bool(False, help="A cell is running.")
    projection = Dict(help="The running cell's projected energy and CO2e at 100 % of the progress it reports, with bounds; empty without one.")
    zone = Unicode("")

    def __init__(self, session, carbon=None, *, min_interval: float = 0.5, history_s: float = 300.0, clock=clocks.monotonic, units=None,
                 projector=None, forecast=None, **kwargs):  # fmt: skip
        self._session = session
        self._projector = projector
        self._forecast = forecast or (lambda: None)
        self._carbon = carbon
        self._units = units or (lambda: ("auto", "auto"))
        self._last_cell = ""
        self._clock = clock
        self._min_interval = min_interval
        self._history_s = history_s
        self._trace: deque[tuple[float, float]] = deque()
        self._last_update = float("-inf")
        self._lock = threading.Lock()
        self.updates = 0
        self._header = widgets.HTML()
        self._live = widgets.HTML()
        self._chart = widgets.HTML()
        super().__init__([self._header, self._live, self._chart], **kwargs)
        self.add_class("jupyter-carbon-meter")
        self._unsubscribe = session.subscribe(self._on_event)
        self._settle()

    # -- events ---------------------------------------------------------------------------
    def _on_event(self, event: str, payload) -> None:
        if event == "power":
            self._on_power(payload)
        elif event == "cell_start":
            with self._lock:
                self.running = True
                self.cell_energy_j = 0.0
                self.projection = {}
            self._draw()
        elif event in ("cell_end", "totals"):
            if event == "cell_end":
                with self._lock:
                    self.cell_energy_j = payload.energy_j
                    self._last_cell = cell_label(payload)
                    self.running = False
            self._settle()

    def _on_power(self, reading) -> None:
        now = self._clock()
        with self._lock:
            self._trace.append((reading.time_s, reading.total_w))
            while self._trace and self._trace[0][0] < reading.time_s - self._history_s:
                self._trace.popleft()
            if now - self._last_update < self._min_interval:
                return
            self._last_update = now
            self.power_w = dict(reading.by_component)
            self.cluster_power = self._session.cluster_power() or {}
            if self._session.current is not None:
                self.cell_energy_j = self._session.live_energy_j()
            self.projection = (self._projector.to_dict() if self._projector is not None else None) or {}
        self._draw()

    def _settle(self) -> None:
        """Final values: the session's totals, and the zone as it is now."""
        totals = self._session.totals
        with self._lock:
            self.session_energy_j = totals.total_energy_j  # the cells' total, kernel and cluster
            self.session_emissions_g = totals.total_emissions_g
            self.idle_energy_j = totals.idle_energy_j
            self.zone = self._zone_text()
        self._draw()

    def _zone_text(self) -> str:
        carbon = self._carbon if self._carbon is not None else getattr(self._session, "carbon", None)
        try:
            return format_intensity(carbon.current().to_dict()) if carbon is not None else ""
        except Exception:
            return ""

    # -- drawing --------------------------------------------------------------------------
    def redraw(self) -> None:
        """Draw again, e.g. in units the user just chose."""
        self._draw()

    def _draw(self) -> None:
        with display_units(*self._units()):
            self._draw_figures()

    def _draw_figures(self) -> None:
        self.updates += 1
        totals = self._session.totals
        methods = ", ".join(f"{c} {m}" for c, m in totals.method.items()) or "nothing metered yet"
        self._header.value = (
            # ipywidgets' HTML sets a 28 px line (a control's height): wrapped text takes
            # Lab's line height for content instead (LINE_HEIGHT).
            f"<div style='font-family:var(--jp-ui-font-family,sans-serif);font-size:12px;line-height:{LINE_HEIGHT}'>"
            f"<b>Session</b> {html.escape(format_energy(self.session_energy_j))} · "
            f"{html.escape(format_mass(self.session_emissions_g))} CO2e · {totals.cells} cell{'' if totals.cells == 1 else 's'}"
            + (f" · between cells {html.escape(format_energy(self.idle_energy_j))}" if self.idle_energy_j else "")
            + f"<br><span style='opacity:.7'>{html.escape(self.zone)} · {html.escape(methods)}</span></div>"
        )
        if self.running:
            watts = " · ".join(f"{html.escape(c)} {format_power(w)}" for c, w in self.power_w.items()) or "…"
            if self.cluster_power:
                watts += f" · {html.escape(cluster_power_text(self.cluster_power))}"
            live = f"<b>Running</b> {watts} · this cell {html.escape(format_energy(self.cell_energy_j))}"
            if self.projection:
                live += f"<br><span title='projected at the pace so far; bounds allow the rest to run half to one and a half times the paces seen'>{html.escape(projection_text(self.projection))}</span>"
                live += f"<br>{projection_svg(self.projection)}"
        else:
            last = f" {html.escape(self._last_cell)}" if self._last_cell else ""
            live = f"<b>Idle</b> · last cell{last} {html.escape(format_energy(self.cell_energy_j))}"
        self._live.value = f"<div style='font-size:12px;line-height:{LINE_HEIGHT}'>{live}</div>"
        ahead = forecast_svg(self._forecast())
        self._chart.value = self._svg() + (f"<div style='font-size:11px;opacity:.8'>Grid ahead (last forecast asked)</div>{ahead}" if ahead else "")

    def _svg(self) -> str:
        points = list(self._trace)
        if len(points) < 2:
            return ""
        t0, t1 = points[0][0], points[-1][0]
        top = max(w for _, w in points) or 1.0
        span = (t1 - t0) or 1.0
        coords = " ".join(
            f"{AXIS_WIDTH + (t - t0) / span * TRACE_WIDTH:.1f},{TRACE_HEIGHT - w / top * (TRACE_HEIGHT - 2):.1f}" for t, w in points
        )
        scale = html.escape(format_power(top))
        return (
            f"<svg width='{AXIS_WIDTH + TRACE_WIDTH}' height='{TRACE_HEIGHT}' role='img' aria-label='power over the last minutes, up to {scale}'>"
            f"<text x='{AXIS_WIDTH - 4}' y='9' font-size='9' fill='#666' text-anchor='end'>{scale}</text>"
            f"<text x='{AXIS_WIDTH - 4}' y='{TRACE_HEIGHT - 1}' font-size='9' fill='#666' text-anchor='end'>0</text>"
            f"<line x1='{AXIS_WIDTH}' y1='0' x2='{AXIS_WIDTH}' y2='{TRACE_HEIGHT}' stroke='#ccc'/>"
            f"<polyline fill='none' stroke='#2e7d32' stroke-width='1.5' points='{coords}'/></svg>"
        )

    def summary_text(self) -> str:
        """The meter as one line of text, for frontends that cannot show widgets."""
        with display_units(*self._units()):
            return self._summary_line()

    def _summary_line(self) -> str:
        totals = self._session.totals
        zone = f" · {self.zone}" if self.zone else ""
        return (
            f"jupyter-carbon live meter: session {format_energy(self.session_energy_j)}, "
            f"{format_mass(self.session_emissions_g)} CO2e over {totals.cells} cell{'' if totals.cells == 1 else 's'}{zone}"
        )

    def _repr_mimebundle_(self, **kwargs):
        # ipywidgets' own text/plain is the constructor call with every child; a headless
        # run (``jupyter carbon run``, nbconvert) or a text-only frontend shows this instead.
        return {"text/plain": self.summary_text(), WIDGET_VIEW: {"version_major": 2, "version_minor": 0, "model_id": self.model_id}}

    if not hasattr(widgets.Widget, "_repr_mimebundle_"):

        def _ipython_display_(self, **kwargs):
            """ipywidgets 7 shows a widget through this hook, which IPython prefers to
            ``_repr_mimebundle_``: the same bundle, then the widget's displayed callbacks."""
            from IPython.display import display

            display(self._repr_mimebundle_(), raw=True)
            self._handle_displayed(**kwargs)

    # -- lifetime -------------------------------------------------------------------------
    def close(self) -> None:
        """Stop listening to the session and close the widget and its children."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        for child in (self._header, self._live, self._chart):
            child.close()
        super().close()
