"""The kernel's small charts: a running cell's projection and the forecast ahead, as inline SVG.

They draw what the kernel computed (``Projector.to_dict``, ``forecasting.forecast_data``);
nothing here projects or prices. Inline SVG (no XML namespace, for HTML) coloured with
JupyterLab's CSS variables, with fallbacks for frontends without them (VS Code, nbconvert),
and an accessible name that says in words what the picture shows. The lab extension draws
the same two charts in its panel (``labextension/src/charts.ts``), with the same geometry.
"""

from __future__ import annotations

import html
from datetime import datetime

from ..text import projection_text
from ..units import format_mass

WIDTH = 240
BAR_HEIGHT = 14
FORECAST_HEIGHT = 48
HEADROOM = 1.05
"""The projection's scale ends this far past its highest figure, so the high bound shows."""

SPENT = "var(--jp-brand-color1, #1976d2)"
BAND = "var(--jp-brand-color3, #bbdefb)"
TRACK = "var(--jp-layout-color2, #eee)"
MARK = "var(--jp-ui-font-color0, #111)"
OVER = "var(--jp-error-color1, #d32f2f)"
CLEAN = "var(--jp-success-color1, #388e3c)"
BAR = "var(--jp-layout-color4, #9e9e9e)"


def projection_geometry(p: dict, width: float = WIDTH) -> dict:
    """Where the projection's marks go, in pixels from the left: ``spent``, ``low``, ``high``,
    ``projected`` and ``budget`` (None without a budget, or where the CO2e is not priced)."""
    budget_j = None
    if p.get("budget_g") and p.get("emissions_g") and p["energy_j"] > 0:
        budget_j = p["budget_g"] * p["energy_j"] / p["emissions_g"]
    scale = max(p["high_j"], p["energy_j"], budget_j or 0.0) * HEADROOM or 1.0

    def x(j: float) -> float:
        return round(max(0.0, min(1.0, j / scale)) * width, 1)

    return {"spent": x(p["spent_j"]), "low": x(p["low_j"]), "high": x(p["high_j"]), "projected": x(p["energy_j"]),
            "budget": x(budget_j) if budget_j is not None else None}  # fmt: skip


def projection_svg(p: dict | None, width: float = WIDTH) -> str:
    """The projection as a bullet bar: spent so far (solid), the bounds (band), the projected
    total (tick) and the budget (red line); "" without one."""
    if not p:
        return ""
    g = projection_geometry(p, width)
    label = html.escape(f"Projected for this cell: {projection_text(p)}", quote=True)
    h = BAR_HEIGHT
    parts = [
        f"<svg width='{width}' height='{h}' role='img' aria-label='{label}'><title>{label}</title>",
        f"<rect x='0' y='3' width='{width}' height='{h - 6}' fill='{TRACK}'/>",
        f"<rect x='{g['low']}' y='2' width='{max(1.0, g['high'] - g['low']):.1f}' height='{h - 4}' fill='{BAND}'/>",
        f"<rect x='0' y='4' width='{g['spent']}' height='{h - 8}' fill='{SPENT}'/>",
        f"<line x1='{g['projected']}' x2='{g['projected']}' y1='0' y2='{h}' stroke='{MARK}' stroke-width='2'/>",
    ]
    if g["budget"] is not None:
        parts.append(f"<line x1='{g['budget']}' x2='{g['budget']}' y1='0' y2='{h}' stroke='{OVER}' stroke-width='2' stroke-dasharray='2 2'/>")
    return "".join(parts) + "</svg>"


def _clock(iso: str, tz=None) -> str:
    """'14:00' in the kernel's local time (or ``tz``), as the forecast's text says it."""
    return datetime.fromisoformat(iso).astimezone(tz).strftime("%H:%M")


def forecast_label(data: dict, tz=None) -> str:
    """The chart's accessible name: what it shows, in words."""
    points = data.get("points") or []
    if not points:
        return f"No forecast for {data.get('zone')}"
    values = [pt["g_per_kwh"] for pt in points]
    text = (f"Forecast for {data['zone']} ({data.get('signal')} signal): {min(values):.0f} to {max(values):.0f} g/kWh "
            f"over the next {data['hours']:g} h")  # fmt: skip
    w = data.get("cleanest")
    if w:
        text += f"; cleanest window {_clock(w['start'], tz)} to {_clock(w['end'], tz)}, {w['g_per_kwh']:.0f} g/kWh"
        if data.get("saving_g") is not None:
            text += f", saving {format_mass(data['saving_g'])} CO2e"
    return text


def forecast_shapes(data: dict, width: float = WIDTH, height: float = FORECAST_HEIGHT) -> list[tuple[str, dict]]:
    """One bar per hour (``hour``, or ``clean`` inside the cleanest window), as high as its
    intensity, and the window underlined (``window``): (part, x, y, width, height)."""
    points = data.get("points") or []
    if not points:
        return []
    top = max(pt["g_per_kwh"] for pt in points) or 1.0
    step = width / len(points)
    w = data.get("cleanest")
    start, end = (datetime.fromisoformat(w["start"]), datetime.fromisoformat(w["end"])) if w else (None, None)

    def inside(pt) -> bool:
        return start is not None and datetime.fromisoformat(pt["start"]) < end and datetime.fromisoformat(pt["end"]) > start

    shapes = []
    for i, pt in enumerate(points):
        bar = (height - 4) * pt["g_per_kwh"] / top
        box = {"x": round(i * step + 0.5, 1), "y": round(height - 4 - bar, 1), "width": round(max(1.0, step - 1), 1), "height": round(bar, 1)}
        shapes.append(("clean" if inside(pt) else "hour", box))
    held = [i for i, pt in enumerate(points) if inside(pt)]
    if held:
        shapes.append(("window", {"x": round(held[0] * step, 1), "y": height - 3, "width": round((held[-1] - held[0] + 1) * step, 1), "height": 3}))
    return shapes


def forecast_svg(data: dict | None, width: float = WIDTH, height: float = FORECAST_HEIGHT) -> str:
    """The forecast's bars, the cleanest window's hours in green and underlined; "" without points."""
    shapes = forecast_shapes(data or {}, width, height)
    if not shapes:
        return ""
    label = html.escape(forecast_label(data), quote=True)
    parts = [f"<svg width='{width}' height='{height}' role='img' aria-label='{label}'><title>{label}</title>"]
    for part, box in shapes:
        attrs = " ".join(f"{k}='{v:g}'" for k, v in box.items())
        parts.append(f"<rect {attrs} fill='{BAR if part == 'hour' else CLEAN}'/>")
    return "".join(parts) + "</svg>"


def forecast_in_cell(ext, options) -> None:
    """``%carbon forecast``: the text, and the chart where the frontend draws HTML (its name in
    words elsewhere); kept as the live meter's last forecast."""
    from IPython.core.error import UsageError
    from IPython.display import display

    from ..forecasting import forecast_data, provider_for, request_from, session_power_w

    try:
        request = request_from(options, session_power_w(ext.session.totals))
    except ValueError as err:
        raise UsageError(f"%carbon forecast: {err}") from None
    pue = (ext.intensity_dict() or {}).get("pue", 1.0)
    with ext.settings.display_units():
        data = forecast_data(ext.config, ext.carbon.place, request, provider=provider_for(ext.config), pue=pue)
        print(data["text"])
        if data["points"]:
            ext.last_forecast = data
            display({"text/html": forecast_svg(data), "text/plain": forecast_label(data)}, raw=True)
