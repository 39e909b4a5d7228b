"""The kernels' energy, power and emissions in the server's own ``/metrics``.

Jupyter Server serves prometheus_client's default registry at ``/metrics`` (authenticated
unless ``ServerApp.authenticate_prometheus`` is False); the extension registers one
collector there, read at each scrape from the running sums (:mod:`.tally`) and the meters'
last power readings, so a scrape costs no measurement. Labels stay few: a kernel's id, name
and notebook, the component and method, the zone, the part (``cell`` or ``idle``) and the
hub user (``JUPYTERHUB_USER``, empty outside a hub). ``c.CarbonServer.enable_prometheus_metrics
= False`` leaves /metrics as it was.

Series (see docs/server.md):

- ``jupyter_carbon_energy_joules_total`` counter: energy charged to kernels;
- ``jupyter_carbon_emissions_grams_total`` counter: grams CO2e of that energy;
- ``jupyter_carbon_cells_total`` counter: executions recorded, by status;
- ``jupyter_carbon_power_watts`` gauge: each kernel's power at the last sampler tick;
- ``jupyter_carbon_kernel_info`` gauge (1): each kernel, its language and who meters it.
"""

from __future__ import annotations

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

KERNEL_LABELS = ["kernel_id", "kernel_name", "notebook", "user"]


class CarbonCollector:
    """A prometheus_client custom collector over a :class:`~.meters.KernelMeters`."""

    def __init__(self, meters):
        self.meters = meters

    def describe(self):
        """Nothing to describe up front: registering must not run a collection."""
        return []

    def _kernel_labels(self) -> dict[str, list[str]]:
        user = self.meters.tally.user
        return {
            k.kernel_id: [k.kernel_id, k.kernel_name, self.meters.notebook_of(k.kernel_id) or "", user]
            for k in list(self.meters.kernels.values())
        }

    def collect(self):
        labels = self._kernel_labels()
        energy, emissions, cells = self.meters.tally.snapshot()
        joules = CounterMetricFamily("jupyter_carbon_energy_joules", "Energy charged to the kernel's process tree, in joules.", labels=[*KERNEL_LABELS, "part", "component", "method", "zone"])
        for (kernel_id, part, component, method, zone), value in sorted(energy.items()):
            if kernel_id in labels:
                joules.add_metric([*labels[kernel_id], part, component, method, zone], value)
        grams = CounterMetricFamily("jupyter_carbon_emissions_grams", "Emissions of that energy, in grams CO2e (PUE included).", labels=[*KERNEL_LABELS, "part", "zone"])
        for (kernel_id, part, zone), value in sorted(emissions.items()):
            if kernel_id in labels:
                grams.add_metric([*labels[kernel_id], part, zone], value)
        count = CounterMetricFamily("jupyter_carbon_cells", "Executions recorded, by status.", labels=[*KERNEL_LABELS, "status"])
        for (kernel_id, status), value in sorted(cells.items()):
            if kernel_id in labels:
                count.add_metric([*labels[kernel_id], status], value)
        yield from (joules, grams, count, *self._gauges(labels))

    def _gauges(self, labels):
        watts = GaugeMetricFamily("jupyter_carbon_power_watts", "Power charged to the kernel at the last sampler tick, in watts.", labels=[*KERNEL_LABELS, "component"])
        info = GaugeMetricFamily("jupyter_carbon_kernel_info", "A kernel the server runs: its language and who meters it (server, kernel or none).", labels=[*KERNEL_LABELS, "language", "metered_by"])
        for kernel in list(self.meters.kernels.values()):
            if kernel.kernel_id not in labels:
                continue
            info.add_metric([*labels[kernel.kernel_id], kernel.language, kernel.metered_by or "none"], 1)
            reading = kernel.meter.power() if kernel.meter is not None and kernel.metered_by == "server" else None
            for component, value in sorted((reading.by_component if reading else {}).items()):
                watts.add_metric([*labels[kernel.kernel_id], component], value)
        return watts, info


def register(meters, registry=None):
    """Add the collector to ``registry`` (prometheus_client's default, which /metrics serves)."""
    from prometheus_client import REGISTRY

    collector = CarbonCollector(meters)
    (registry or REGISTRY).register(collector)
    return collector
