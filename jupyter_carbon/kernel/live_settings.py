"""``%config CarbonMeter.X = ...`` in a running kernel: the settings apply from the next cell.

The extension's ``CarbonMeter`` is one of the shell's configurables, so ``%config`` lists
it and sets its traits; this module follows the changes. Zone, PUE and live provider go to
the carbon context at once (the zone prints the line ``%carbon region`` prints); settings of
the energy sources open them again before the next cell starts (never inside a running
cell, whose start snapshot is the old sources'); the ledger's apply from the next session.
A value that cannot apply is refused with one line and the old one kept.

The units of the kernel's views are JupyterLab's, once it sends its settings over the comm,
else ``energy_unit`` and ``mass_unit``; the live meters redraw when either changes.
"""

from __future__ import annotations

from pathlib import Path

from ..units import display_units, format_intensity

#: Settings of the carbon context.
CARBON = frozenset({
    "region", "pue", "live_provider", "live_refresh_s", "live_timeout_s", "uk_carbon_intensity_url",
    "electricitymaps_url", "electricitymaps_token", "watttime_url", "watttime_username", "watttime_password",
    "watttime_region",
})  # fmt: skip
#: Settings read when a session (its ledger) or the kernel's extension starts.
NEXT_SESSION = frozenset({"ledger_dir", "persist", "cloud_metadata", "cloud_metadata_url", "cloud_metadata_timeout_s"})
#: Settings of the session itself, applied as they are.
SESSION = frozenset({"sync_gpu", "record_idle", "sample_interval"})
#: Settings of how the views show figures.
DISPLAY = frozenset({"energy_unit", "mass_unit"})


class LiveSettings:
    """Follows one extension's ``CarbonMeter`` for ``%config``; every other setting is the
    energy sources', which :meth:`before_cell` opens again."""

    def __init__(self, ext):
        self.ext = ext
        self.reopen_sources = False
        self._reverting = False
        self._refused: dict[str, object] = {}
        self.frontend_units: tuple[str, str] | None = None
        """The energy and mass units JupyterLab's settings chose, once it sent them."""

    def attach(self) -> None:
        configurables = self.ext.shell.configurables
        if self.ext.config not in configurables:
            configurables.append(self.ext.config)
        self.ext.config.observe(self.on_change)

    def detach(self) -> None:
        self.ext.config.unobserve(self.on_change)
        configurables = getattr(self.ext.shell, "configurables", [])
        if self.ext.config in configurables:
            configurables.remove(self.ext.config)

    def units(self) -> tuple[str, str]:
        """The energy and mass units of this kernel's views: JupyterLab's settings where it
        sent them, else ``c.CarbonMeter.energy_unit`` and ``mass_unit``."""
        return self.frontend_units or (self.ext.config.energy_unit, self.ext.config.mass_unit)

    def display_units(self):
        """A block in which figures are formatted in this kernel's units."""
        return display_units(*self.units())

    def use_frontend_units(self, energy: str, mass: str) -> None:
        """JupyterLab's unit settings (ValueError naming a unit there is not); the live
        meters redraw in them at once."""
        with display_units(energy, mass):  # checks both
            self.frontend_units = (energy, mass)
        self.redraw_meters()

    def redraw_meters(self) -> None:
        for meter in self.ext.widgets:
            meter.redraw()

    def on_change(self, change) -> None:
        if self._reverting or change["new"] == change["old"]:
            return
        name = change["name"]
        try:
            self._apply(name, change["new"])
        except ValueError as err:  # UnknownRegion is one
            self._reverting = True
            try:
                setattr(self.ext.config, name, change["old"])
                # %config also wrote the shell's shared config, which a reload would read.
                self._refused[name] = change["old"]
            finally:
                self._reverting = False
            print(f"jupyter-carbon: CarbonMeter.{name} unchanged: {err}")

    def _apply(self, name: str, value) -> None:
        ext = self.ext
        if name in CARBON:
            ext.carbon.reconfigure(region_changed=name == "region")
            ext.session.announce_totals()
            if name in ("region", "pue"):
                print(f"jupyter-carbon: {format_intensity(ext.intensity_dict())}")
        elif name in DISPLAY:
            self.redraw_meters()
        elif name == "sample_interval":
            ext.meter.interval = float(value)
        elif name == "sync_gpu":
            from ..gpusync import synchronise

            ext.session.sync = synchronise if value else None
        elif name == "record_idle":
            ext.session.record_idle = bool(value)
        elif name in NEXT_SESSION:
            if name == "ledger_dir":
                ext.session.ledger_dir = Path(value) if value else None
            elif name == "persist":
                ext.session.persist = bool(value)
            print(f"jupyter-carbon: CarbonMeter.{name} applies from the next session (%carbon reset).")
        else:
            self.reopen_sources = True

    def before_cell(self) -> None:
        """Open the energy sources again with the new settings, between two cells; put
        refused values back in the shell's config (``%config`` wrote every configurable's)."""
        shell_config = getattr(self.ext.shell, "config", None)
        for name, value in self._refused.items():
            if shell_config is not None and name in shell_config.get("CarbonMeter", {}):
                shell_config.CarbonMeter[name] = value
        self._refused.clear()
        if self.reopen_sources:
            self.reopen_sources = False
            self.ext.reopen_meter()
