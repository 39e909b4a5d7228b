"""One-line texts: the line under a ``%%carbon`` cell and the session's status line.

Shown in the notebook, the terminal and by ``jupyter carbon``; the figures are formatted by
:mod:`jupyter_carbon.units`.
"""

from __future__ import annotations

from . import bounds
from .records import cell_sci, cell_total, cluster_work
from .units import format_duration, format_energy, format_intensity, format_mass, format_power, format_range, plural


def energy_text(r: dict) -> str:
    """A record's or the totals' energy with its bounds: ``≈1.2 Wh (0.80–1.9 Wh)``."""
    return format_range(r["energy_j"], bounds.of(r, "energy_j"), "energy", estimate=bounds.estimated(bounds.method_of(r)))


def emissions_text(r: dict) -> str:
    """Likewise the emissions: ``≈0.31 g (0.20–0.48 g)``."""
    return format_range(r["emissions_g"], bounds.of(r, "emissions_g"), "mass", estimate=bounds.estimated(bounds.method_of(r)))


def _components(by_component: dict, method: dict, coarse=()) -> str:
    """``gpu 1.2 Wh measured, cpu ...``; a component in ``coarse`` (its counter updates less
    often than the cell lasted) says so instead of showing a figure it cannot stand behind."""
    return ", ".join(
        f"{c} below the counter's resolution" if c in coarse else f"{c} {format_energy(j)} {method.get(c, '')}".rstrip()
        for c, j in by_component.items()
    )


def cluster_text(part: dict | None, energy_unit: str | None = None, mass_unit: str | None = None) -> str:
    """``cluster 12 Wh on 8 workers in 2 zones → 3.1 g CO2e``, saying what is missing if
    the part is incomplete; "" without a cluster part, or for a complete one that charged
    no worker (its workers are counted in the kernel's own figures). Without units, the ones
    the kernel's views use (:func:`~jupyter_carbon.units.display_units`). The lab's footer
    says the same (``tests/fixtures/cluster_texts.json``)."""
    if not cluster_work(part):
        return ""
    zones = part.get("zones") or []
    where = f" in {plural(len(zones), 'zone')}" if len(zones) > 1 else f" in {zones[0]}" if zones else ""
    priced = f" → {format_mass(part['emissions_g'], mass_unit)} CO2e" if part.get("emissions_g") is not None else ""
    missing = "" if part.get("complete", True) else f" (incomplete: {part['note']})" if part.get("note") else " (incomplete)"
    carried = " incl. work left running by the previous cell" if part.get("carried") else ""
    return f"cluster {format_energy(part['energy_j'], energy_unit)} on {plural(part.get('nodes', 0), 'worker')}{where}{priced}{carried}{missing}"


def cluster_power_text(power: dict | None) -> str:
    """``cluster 120 W on 8 workers``: the cluster's live power (a ``power`` event's
    ``cluster``); "" without one."""
    if not power:
        return ""
    return f"cluster {format_power(power.get('watts'))} on {plural(int(power.get('workers') or 0), 'worker')}"


def cluster_table(nodes: dict) -> str:
    """``%carbon cluster``: each worker's host, zone, hardware and how it is metered."""
    if not nodes:
        return "jupyter-carbon: no cluster client in this kernel (e.g. `client = distributed.Client(...)` or `ray.init(...)`)."
    lines = [f"jupyter-carbon: {plural(len(nodes), 'worker')}:"]
    for name, info in sorted(nodes.items()):
        if isinstance(info, str):
            lines.append(f"  {name}  not metered: {info}")
            continue
        lines.append(f"  {name}  {info.get('host')} pid {info.get('pid')}, {plural(info.get('nthreads', 1), 'thread')}; "
                     f"{format_intensity(info.get('intensity'))}")  # fmt: skip
        lines += [f"      {label}" for label in info.get("hardware", [])]
    return "\n".join(lines)


def cell_line(record) -> str:
    """One line under a ``%%carbon`` cell. It leads with the cell's total (:func:`cell_total`):
    with a cluster part, ``total … = kernel … + cluster …``; then the zone, the status, and
    the named parts that are not in the total (embodied, SCI)."""
    r = record.to_dict() if hasattr(record, "to_dict") else record
    status = "" if r["status"] == "ok" else f" [{r['status']}]"
    pue = f" × PUE {r['pue']:g}" if r.get("pue", 1.0) != 1.0 else ""
    cluster = cluster_text(r.get("cluster"))
    took = f"in {format_duration(r['duration_s'])}{pue}"
    kernel = f"{energy_text(r)} ({_components(r['by_component'], r['method'], r.get('below_resolution', ()))})"
    if cluster:
        total = cell_total(r)
        head = (f"total {format_energy(total.energy_j)} → {format_mass(total.emissions_g)} CO2e {took} = "
                f"kernel {kernel} → {emissions_text(r)} CO2e + {cluster}")  # fmt: skip
    else:
        head = f"{kernel} {took} → {emissions_text(r)} CO2e"
    return f"carbon: {head}; {format_intensity(r.get('intensity'))}{status}{named_parts(r)}"


def named_parts(r: dict) -> str:
    """`` · embodied 0.4 mg CO2e (5-year lifetime) · SCI 2 µg CO2e per unit (R = 1000 samples)``:
    what a cell's line and footer add after its total; "" when neither is known."""
    out = ""
    embodied = r.get("embodied")
    if embodied:
        out += f" · embodied {format_mass(embodied['emissions_g'])} CO2e ({embodied.get('lifetime_years', 0):g}-year lifetime)"
    score = cell_sci(r)
    if score is not None:
        unit = r["functional_unit"]
        out += f" · SCI {format_mass(score)} CO2e per unit (R = {unit['quantity']:g} {unit['unit']})"
    return out


def status_line(totals, *, enabled: bool, intensity: dict | None) -> str:
    """The session so far, in one line: the cells' total (kernel and cluster) first, then
    its parts and the session's other named parts (between cells, embodied)."""
    t = totals.to_dict() if hasattr(totals, "to_dict") else totals
    state = "on" if enabled else "off"
    kernel = f"{energy_text(t)} ({_components(t['by_component'], t['method'])})"
    if not t["cells"]:
        body = "nothing metered yet"
    elif t.get("cluster_cells"):
        total_j = t.get("total_energy_j", t["energy_j"])
        total_g = t.get("total_emissions_g", t["emissions_g"])
        body = (f"total {format_energy(total_j)}, {format_mass(total_g)} CO2e over {format_duration(t['duration_s'])} = "
                f"kernel {kernel}, {emissions_text(t)} CO2e + cluster {format_energy(t['cluster_energy_j'])}, "
                f"{format_mass(t['cluster_emissions_g'])} CO2e")  # fmt: skip
    else:
        body = f"{kernel}, {emissions_text(t)} CO2e over {format_duration(t['duration_s'])}"
    if t.get("idle_energy_j"):
        body += f" · between cells {format_energy(t['idle_energy_j'])} over {format_duration(t['idle_duration_s'])}"
    if t.get("embodied_g"):
        body += f" · embodied {format_mass(t['embodied_g'])} CO2e"
    return f"jupyter-carbon: metering {state}; {plural(t['cells'], 'cell')}: {body}; {format_intensity(intensity)}"


def projection_text(projection: dict | None) -> str:
    """A running cell's projection in words: "≈ 1.2 kWh (0.9–1.6 kWh), 0.4 kg CO2e at this
    pace; 38 % done"; "" without one."""
    from .units import format_energy, format_mass

    if not projection:
        return ""
    grams = projection.get("emissions_g")
    co2 = f", {format_mass(grams)} CO2e" if grams is not None else ""
    return (f"≈ {format_energy(projection['energy_j'])} ({format_energy(projection['low_j'])}–{format_energy(projection['high_j'])})"
            f"{co2} at this pace; {100 * projection['fraction']:.0f} % done")  # fmt: skip
