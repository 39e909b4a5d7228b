"""User settings, as traitlets configuration.

Set them in the usual IPython/Jupyter config files, e.g. ``ipython_config.py`` or
``jupyter_server_config.py``::

    c.CarbonMeter.region = "CA-QC"
    c.CarbonMeter.pue = 1.1
    c.CarbonMeter.sample_interval = 0.5

Every trait has a default that works on a laptop with no configuration at all.
"""

from __future__ import annotations

from traitlets import Bool, Enum, Float, Unicode
from traitlets.config import Configurable


class CarbonMeter(Configurable):
    """Settings of the energy meter and of how energy becomes emissions."""

    sample_interval = Float(
        0.5,
        min=0.05,
        help="Seconds between sampler ticks. The sampler integrates power where no energy "
        "counter exists and feeds live displays; 0.5 s costs well under 0.2 % of a core.",
    ).tag(config=True)

    gpu_attribution = Enum(
        ["process", "all"],
        default_value="process",
        help="'process': charge a GPU only if this kernel (or a child) has a context on it, "
        "by its share of the GPU's use. 'all': charge every visible GPU in full, for "
        "containers where NVML reports host PIDs that cannot be matched to the kernel's.",
    ).tag(config=True)

    powercap_root = Unicode(
        "/sys/class/powercap",
        help="Where the Linux powercap (RAPL) tree is mounted.",
    ).tag(config=True)

    cpu_tdp_w = Float(
        None,
        allow_none=True,
        help="Rated power of this machine's CPUs in watts, all packages together, for the "
        "estimate used where RAPL counters are not readable. Default: looked up by CPU model "
        "in the bundled hardware table, else 12 W per logical CPU.",
    ).tag(config=True)

    memory_w_per_gb = Float(
        0.3725,
        min=0.0,
        help="Power of resident memory in watts per GB, for the estimate used where no DRAM "
        "counter exists (Green Algorithms' reference value).",
    ).tag(config=True)

    ledger_dir = Unicode(
        "",
        help="Folder for the session ledgers (one JSONL file per session). Default: "
        "carbon/ledgers under the Jupyter data directory (jupyter --data-dir).",
    ).tag(config=True)

    persist = Bool(
        True,
        help="Append every cell's record to the session's ledger file as the cell ends.",
    ).tag(config=True)

    enable_nvml = Bool(True, help="Meter NVIDIA GPUs through NVML when present.").tag(config=True)
    enable_rapl = Bool(True, help="Meter CPU packages and DRAM through Linux powercap.").tag(config=True)

    region = Unicode(
        None,
        allow_none=True,
        help="Grid zone or cloud region whose carbon intensity applies, e.g. 'CA-QC', "
        "'FR', 'aws:eu-west-3'. Default: guessed, see the emissions documentation.",
    ).tag(config=True)

    pue = Float(
        None,
        allow_none=True,
        min=1.0,
        help="Power usage effectiveness of the facility. Default: the cloud provider's for "
        "a cloud region, 1.0 for a local machine.",
    ).tag(config=True)
