"""User settings, as traitlets configuration.

Set them in the IPython profile's config files, ``ipython_config.py`` (terminal IPython and
every kernel) or ``ipython_kernel_config.py`` (kernels only), or their ``.json`` twins::

    c.CarbonMeter.region = "CA-QC"
    c.CarbonMeter.pue = 1.1
    c.CarbonMeter.sample_interval = 0.5
    c.CarbonMeter.live_provider = "uk-national-grid"   # opt-in network access

Every trait has a default that works on a laptop with no configuration at all, and none of
the defaults reaches the network. A kernel reads them through IPython; the command line
reads the same files with :func:`load_settings`, so both see the same settings.
"""

from __future__ import annotations

from pathlib import Path

from traitlets import Bool, Enum, Float, TraitError, Unicode
from traitlets.config import Config, Configurable

from .units import ENERGY_UNITS, MASS_UNITS

#: The profile files a kernel reads, in the order later ones override earlier ones (as
#: IPython's kernel application loads them: each name's ``.py``, then its ``.json``).
PROFILE_FILES = ("ipython_config.py", "ipython_config.json", "ipython_kernel_config.py", "ipython_kernel_config.json")


class Hidden(str):
    """A secret's text: itself to the code that sends it, hidden from every repr.

    ``%config CarbonMeter`` lists each setting with ``repr`` of its value, and its output is
    saved in the notebook; so does IPython's display of a value, and so do error messages
    and debuggers. ``str(secret)`` and formatting (``f"{secret}"``) give the text itself.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "<hidden>"


class Secret(Unicode):
    """A token or password: its value is a :class:`Hidden`, and an error about a wrong value
    names its type, never the value."""

    info_text = "a text (a secret, never shown)"

    def validate(self, obj, value):
        value = super().validate(obj, value)
        return value if value is None or isinstance(value, Hidden) else Hidden(value)

    def error(self, obj, value, error=None, info=None):
        owner = f"the {type(obj).__name__} setting" if obj is not None else "the setting"
        raise TraitError(f"{owner} {self.name!r} expects {self.info()}, not {type(value).__name__} (value not shown)")


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
        help="'process': charge a GPU only if this kernel (or a child) uses it, by its share "
        "of the GPU's use: the driver's process list says so, or, inside a container whose "
        "driver reports host PIDs, the GPU's device file held open by the kernel's processes. "
        "'all': charge every visible GPU in full.",
    ).tag(config=True)

    drop_after_s = Float(
        10.0,
        min=0.0,
        help="Seconds a counter (a GPU, RAPL, the estimate's readings) may keep failing "
        "before it is given up. A failed read is retried at the next tick and its last good "
        "reading stands meanwhile; a CPU or memory counter given up is replaced by the "
        "estimate, and what it counted is kept.",
    ).tag(config=True)

    sync_gpu = Bool(
        True,
        help="At both edges of every cell, wait for the GPU work queued by frameworks the "
        "notebook already imported and initialised on a GPU (torch, cupy, jax), so a cell is "
        "charged for the kernels it launched and the time they ran. Never imports a framework.",
    ).tag(config=True)

    record_idle = Bool(
        True,
        help="Record the energy charged to the kernel between cells (a GPU held with its "
        "memory above all) as idle spans: in the ledger, the totals and every report, apart "
        "from the cells.",
    ).tag(config=True)

    powercap_root = Unicode(
        "/sys/class/powercap",
        help="Where the Linux powercap (RAPL) tree is mounted.",
    ).tag(config=True)

    cpu_model = Unicode(
        None,
        allow_none=True,
        help="Model name of this machine's CPU, e.g. 'Xeon Platinum 8259CL', for the estimate "
        "used where RAPL counters are not readable. Default: the name the machine reports, "
        "which a virtual machine often gives without a model number ('AMD EPYC').",
    ).tag(config=True)

    cpu_tdp_w = Float(
        None,
        allow_none=True,
        min=0.0,
        help="Rated power (TDP) of one CPU package in watts, for the estimate used where RAPL "
        "counters are not readable. Default: looked up by CPU model in the bundled hardware "
        "table. A busy logical CPU costs TDP / the package's logical CPUs.",
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

    cluster = Bool(
        True,
        help="Charge each cell the energy of the work it sent to a cluster (a Dask client in "
        "the kernel): each worker runs jupyter-carbon's meter and is priced by its own zone. "
        "Costs nothing until the notebook imports the cluster library.",
    ).tag(config=True)

    cluster_timeout_s = Float(
        5.0,
        min=0.1,
        help="Seconds a cell's end waits for the cluster's workers to report their energy; "
        "past it, the cell records what it has and says the cluster part is incomplete.",
    ).tag(config=True)

    enable_nvml = Bool(True, help="Meter NVIDIA GPUs through NVML when present.").tag(config=True)
    enable_amdsmi = Bool(
        True,
        help="Meter AMD GPUs through AMD SMI (the amdsmi package: pip install jupyter-carbon[amd]) when present.",
    ).tag(config=True)
    enable_rapl = Bool(True, help="Meter CPU packages and DRAM through Linux powercap.").tag(config=True)
    enable_apple = Bool(
        True, help="Meter an Apple Silicon Mac's CPU, DRAM and GPU through IOReport (the 'apple' extra)."
    ).tag(config=True)

    region = Unicode(
        None,
        allow_none=True,
        help="Grid zone, cloud region or place whose carbon intensity applies, e.g. 'CA-QC', "
        "'FR', 'aws:eu-west-3', 'mumbai'. Default: guessed, see the emissions documentation.",
    ).tag(config=True)

    pue = Float(
        None,
        allow_none=True,
        min=1.0,
        help="Power usage effectiveness of the facility. Default: the cloud provider's for "
        "a cloud region, 1.0 for a local machine.",
    ).tag(config=True)

    cloud_metadata = Bool(
        False,
        help="Ask the cloud instance metadata service (AWS, GCP, Azure) which region this "
        "machine runs in. Off by default: it is a network call. When on, it runs once in the "
        "background with a short time-out and never delays a cell.",
    ).tag(config=True)

    cloud_metadata_url = Unicode(
        "http://169.254.169.254",
        help="Base URL of the instance metadata service (the link-local address that AWS, "
        "GCP and Azure all serve).",
    ).tag(config=True)

    cloud_metadata_timeout_s = Float(
        0.5,
        min=0.01,
        help="Seconds to wait for each metadata request; off a cloud nothing answers.",
    ).tag(config=True)

    energy_unit = Enum(
        list(ENERGY_UNITS),
        default_value="auto",
        help="Energy unit of the kernel's views (the live meter, the %%carbon line, %carbon and its "
        "summary): 'auto' picks mWh, Wh or kWh. JupyterLab's own setting, when it sends one, wins.",
    ).tag(config=True)

    mass_unit = Enum(
        list(MASS_UNITS),
        default_value="auto",
        help="Emissions unit of the kernel's views: 'auto' picks mg, g, kg or t. JupyterLab's own "
        "setting, when it sends one, wins.",
    ).tag(config=True)

    live_provider = Enum(
        ["uk-national-grid", "electricitymaps", "watttime"],
        default_value=None,
        allow_none=True,
        help="Live carbon intensity, opt-in: 'uk-national-grid' (Great Britain, no key), "
        "'electricitymaps' (needs electricitymaps_token), 'watttime' (marginal signal; needs "
        "watttime_username, watttime_password and watttime_region). Refreshed in the "
        "background; until a reading arrives, or when one fails, the bundled yearly average "
        "applies and the reason is recorded.",
    ).tag(config=True)

    live_refresh_s = Float(
        300.0,
        min=0.05,
        help="Seconds between live intensity readings.",
    ).tag(config=True)

    live_timeout_s = Float(
        3.0,
        min=0.01,
        help="Seconds to wait for a live provider's answer before keeping the previous value.",
    ).tag(config=True)

    uk_carbon_intensity_url = Unicode(
        "https://api.carbonintensity.org.uk",
        help="Base URL of the UK National Grid carbon intensity API.",
    ).tag(config=True)

    electricitymaps_url = Unicode(
        "https://api.electricitymap.org",
        help="Base URL of the Electricity Maps API (v3).",
    ).tag(config=True)

    electricitymaps_token = Secret(
        None,
        allow_none=True,
        help="Electricity Maps API token. Sent only in the request header; never recorded.",
    ).tag(config=True)

    watttime_url = Unicode(
        "https://api.watttime.org",
        help="Base URL of the WattTime API (v3).",
    ).tag(config=True)

    watttime_username = Unicode(None, allow_none=True, help="WattTime user name.").tag(config=True)

    watttime_password = Secret(
        None,
        allow_none=True,
        help="WattTime password. Sent only to log in; never recorded.",
    ).tag(config=True)

    watttime_region = Unicode(
        None,
        allow_none=True,
        help="WattTime grid region code (e.g. 'CAISO_NORTH'); WattTime's regions are not "
        "Electricity Maps' zones, so it is named explicitly.",
    ).tag(config=True)


def ipython_home() -> str:
    """IPython's folder as ``IPython.paths.get_ipython_dir`` finds it (``$IPYTHONDIR``, else
    ``~/.ipython``), without importing IPython: ``measure()`` in a script stays light."""
    import os

    return os.path.expanduser(os.environ.get("IPYTHONDIR") or os.path.join("~", ".ipython"))


#: The settings the meter reads (``jupyter carbon devices`` and every kernel).
METER_SETTINGS = (
    "sample_interval", "gpu_attribution", "drop_after_s", "powercap_root", "cpu_model", "cpu_tdp_w",
    "memory_w_per_gb", "enable_nvml", "enable_amdsmi", "enable_rapl", "enable_apple",
)

#: Settings whose values are never shown, not even in an error about them.
SECRET_SETTINGS = frozenset({"electricitymaps_token", "watttime_password"})


class ConfigError(ValueError):
    """The profile's configuration cannot be read, or a setting a command uses has a wrong
    value: said in one line (which file or setting, what is wrong), never as a traceback."""


def load_config(profile: str = "default", ipython_dir: str | None = None) -> Config:
    """The traitlets configuration an IPython kernel of ``profile`` would read.
    Raises ConfigError naming the file (and line) that cannot be read."""
    from traitlets.config.loader import JSONFileConfigLoader, PyFileConfigLoader

    folder = Path(ipython_dir or ipython_home()) / f"profile_{profile}"
    config = Config()
    for name in PROFILE_FILES:
        if (folder / name).is_file():
            loader = PyFileConfigLoader if name.endswith(".py") else JSONFileConfigLoader
            try:
                config.merge(loader(name, str(folder)).load_config())
            except Exception as err:  # the user's file runs: a SyntaxError, a NameError, bad JSON...
                line = getattr(err, "lineno", None) or _line_in(err, folder / name)
                where = f"{folder / name}" + (f", line {line}" if line else "")
                raise ConfigError(f"cannot read {where}: {type(err).__name__}: {getattr(err, 'msg', None) or err}") from None
    return config


def _line_in(err: Exception, path: Path) -> int | None:
    """The line of ``path`` where ``err`` was raised, from its traceback."""
    import traceback

    lines = [frame.lineno for frame in traceback.extract_tb(err.__traceback__) if Path(frame.filename) == path]
    return lines[-1] if lines else None


def _bad_value(name: str, value, err: Exception) -> str:
    trait = CarbonMeter.class_traits().get(name)
    expected = trait.info() if trait is not None else "a valid value"
    shown = "(hidden)" if name in SECRET_SETTINGS else repr(value)
    detail = "" if name in SECRET_SETTINGS else f" ({err})"
    return f"c.CarbonMeter.{name} = {shown} is not valid: it must be {expected}{detail}"


def load_settings(profile: str = "default", ipython_dir: str | None = None, *, uses=None) -> CarbonMeter:
    """The settings a kernel of ``profile`` would use, for the command line.

    ``uses`` names the settings the caller reads (None: all). A wrong value in one of them
    raises ConfigError in one line; a wrong value in a setting the caller does not read is
    left at its default, so a mistake in, say, ``sample_interval`` does not stop
    ``jupyter carbon report``.
    """
    from traitlets import TraitError

    config = load_config(profile, ipython_dir)
    section = config.get("CarbonMeter") or {}
    good = Config()
    for name, value in dict(section).items():
        try:
            CarbonMeter(config=Config({"CarbonMeter": {name: value}}))
        except TraitError as err:
            if uses is None or name in uses:
                raise ConfigError(_bad_value(name, value, err)) from None
            continue
        good.CarbonMeter[name] = value
    for key, value in config.items():
        if key != "CarbonMeter":
            good[key] = value
    return CarbonMeter(config=good)
