"""The emissions calculator as people call it: ``jupyter carbon estimate`` and
``%carbon estimate`` share these options, this call and this text.

The zone and PUE default to the user's configuration (``c.CarbonMeter.region`` and
``.pue``), as in a kernel, before the environment and the time zone.
"""

from __future__ import annotations

import argparse
import json

DESCRIPTION = (
    "Energy and emissions of a run: hardware (or total watts) × hours × PUE × grid intensity, in "
    "equivalents, and what the same run would emit in the cleanest cloud region of the same "
    "provider and of all providers."
)


class Words(argparse.Action):
    """An option whose value may be several words, quoted or not: ``--hardware A100 PCIe``
    reads as ``--hardware "A100 PCIe"``. Unambiguous, since the next option ends it (use with
    ``nargs="+"``)."""

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, " ".join(values) if isinstance(values, list) else values)


class OneWordHelp:
    """Help formatter mixin: a :class:`Words` option reads ``--hardware NAME`` in the usage
    line, not ``NAME [NAME ...]``, which would suggest several names."""

    def _format_args(self, action, default_metavar):
        if isinstance(action, Words):
            return self._metavar_formatter(action, default_metavar)(1)[0]
        return super()._format_args(action, default_metavar)


def with_one_word_help(formatter: type) -> type:
    return formatter if issubclass(formatter, OneWordHelp) else type("OneWordHelp", (OneWordHelp, formatter), {})


def add_arguments(p) -> None:
    """The calculator's options, on an argparse parser (the CLI's or the magic's)."""
    p.formatter_class = with_one_word_help(p.formatter_class)
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--hardware", nargs="+", action=Words, metavar="NAME", help="GPU, TPU or CPU model, e.g. 'V100 SXM2', 'TPU v3'")
    what.add_argument("--power", type=float, metavar="WATTS", help="total power of the run in watts")
    p.add_argument("--count", type=int, default=1, metavar="N", help="how many of --hardware (default 1)")
    p.add_argument("--hours", type=float, required=True, metavar="H", help="duration in hours")
    p.add_argument("--region", nargs="+", action=Words, metavar="ZONE", help="grid zone, cloud region or place, e.g. FR, quebec, aws:eu-west-3, mumbai")
    p.add_argument("--intensity", type=float, metavar="G_PER_KWH", help="grid intensity in gCO2e/kWh (overrides the zone's)")
    p.add_argument("--pue", type=float, help="power usage effectiveness (default: the provider's; 1.0 off the cloud)")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def run(options, settings=None) -> str:
    """The estimate the parsed ``options`` ask for, as text (or JSON with ``--json``).
    Raises ValueError (UnknownRegion for a region that matches nothing) saying what was wrong."""
    from .carbon.calculator import estimate

    result = estimate(
        hours=options.hours,
        hardware=options.hardware,
        count=options.count,
        power_w=options.power,
        region=options.region,
        intensity=options.intensity,
        pue=options.pue,
        config_region=getattr(settings, "region", None),
        config_pue=getattr(settings, "pue", None),
    )
    note = None
    if options.region and options.intensity is None:
        from .carbon.places import resolve_place

        note = resolve_place(options.region).note
    if options.json:
        return json.dumps({**result.to_dict(), "region_note": note}, indent=2, ensure_ascii=False)
    return render(result, note)


def amount(x: float) -> str:
    """An equivalent's amount to the precision the estimate backs, never rounded to zero:
    ``0.0029 tree seedlings``, ``4.2 km``, ``1,234 smartphone charges``."""
    from .units import num

    return f"{x:,.0f}" if x >= 1000 else num(x)


def equivalent_basis(q: dict) -> str:
    """Which gas an equivalent's factor counts, said plainly where it is CO2 alone."""
    return "factor in CO2e" if q["gas"] == "CO2e" else f"factor in {q['gas']} only, compared with CO2e"


def render(e, note: str | None = None) -> str:
    i = e.intensity
    if e.hardware:
        run = f"{e.count} × {e.hardware} ({e.power_w / e.count:g} W each; {e.hardware_source})"
    else:
        run = f"{e.power_w:g} W in all"
    lines = [
        f"Run:        {run} for {e.hours:g} h",
        f"Energy:     {e.it_energy_kwh:,.2f} kWh IT, {e.facility_energy_kwh:,.2f} kWh facility (PUE {i.pue:g})",
        f"Grid:       {i.zone_name}: {i.g_per_kwh:g} gCO2e/kWh ({i.source}; chosen by {i.chosen_by}"
        + (", a guess" if i.guess else "") + ")",
        *([f"Region:     {note}"] if note else []),
        f"Emissions:  {e.emissions_kg:,.3f} kg CO2e",
    ]
    for q in e.equivalents:
        lines.append(f"  ≈ {amount(q['amount'])} {q['label']}  [{equivalent_basis(q)}; {q['source']}]")
    for alt in e.alternatives:
        if alt.saving_pct > 0.05:
            lines.append(
                f"Had this run in {alt.key} ({alt.scope}): {alt.saving_pct:.0f}% less "
                f"({alt.emissions_g / 1000:,.3f} kg; {alt.g_per_kwh:g} g/kWh, PUE {alt.pue:g})"
            )
        else:
            lines.append(f"Cleanest region ({alt.scope}): {alt.key}, no cleaner than this run")
    return "\n".join(lines)
