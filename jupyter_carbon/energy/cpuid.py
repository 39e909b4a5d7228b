"""Which CPU part this is, from what the machine offers offline, and how we know.

Cloud VMs often report a generic model name ("Intel(R) Xeon(R) CPU @ 2.20GHz", "AMD EPYC",
"Intel(R) Xeon(R) Processor") and Arm servers none at all. The part's microarchitecture is
still there: x86 ``cpu family``/``model``/``stepping`` and flags, Arm ``CPU implementer``/
``CPU part``, the DMI product name (AWS writes the instance type there), the instance type
from cloud metadata, and on macOS the ``sysctl`` brand string. Each root is a parameter so
that tests read fake trees.

The tables below are the vendors' own numbering: Intel's family 6 model numbers as Linux
names them (``arch/x86/include/asm/intel-family.h``), AMD's families 17h/19h/1Ah (Zen 1-5)
with their server models, and Arm's part numbers from the Neoverse technical reference
manuals (``MIDR_EL1`` PartNum), as ``arch/arm64/include/asm/cputype.h`` lists them.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

from .. import cpu_power

#: Intel family 6 server models -> microarchitecture (model 85 is split by stepping below).
INTEL_MODELS = {
    45: "Sandy Bridge", 42: "Sandy Bridge", 62: "Ivy Bridge", 58: "Ivy Bridge", 63: "Haswell", 60: "Haswell",
    69: "Haswell", 70: "Haswell", 79: "Broadwell", 86: "Broadwell", 61: "Broadwell", 71: "Broadwell",
    78: "Skylake", 94: "Skylake", 142: "Coffee Lake", 158: "Coffee Lake", 106: "Ice Lake", 108: "Ice Lake",
    143: "Sapphire Rapids", 207: "Emerald Rapids", 173: "Granite Rapids", 174: "Granite Rapids",
}  # fmt: skip
#: AMD (family, model) of the EPYC server parts -> generation.
AMD_MODELS = {
    (23, 1): "EPYC 1st Gen", (23, 49): "EPYC 2nd Gen", (25, 1): "EPYC 3rd Gen", (25, 17): "EPYC 4th Gen",
    (25, 160): "EPYC 4th Gen", (26, 2): "EPYC 5th Gen", (26, 17): "EPYC 5th Gen",
}  # fmt: skip
#: Arm implementer 0x41 part numbers; the designs clouds run, with examples.
ARM_PARTS = {
    0xD0C: ("Neoverse N1", "Neoverse N1 (AWS Graviton2, Ampere Altra)"),
    0xD40: ("Neoverse V1", "Neoverse V1 (AWS Graviton3)"),
    0xD4F: ("Neoverse V2", "Neoverse V2 (AWS Graviton4, Google Axion, NVIDIA Grace)"),
    0xD49: ("Neoverse N2", "Neoverse N2 (Azure Cobalt 100)"),
}
APPLE_IMPLEMENTER = 0x61
AMPERE_IMPLEMENTER = 0xC0  # AmpereOne: its own cores, no SPECpower result


class CpuIdentity(NamedTuple):
    """What we believe the part is, and how we know."""

    part: str
    """The part or family as we name it ("Intel Xeon Platinum 8259CL", "Cascade Lake (Intel)")."""
    architecture: str | None
    """A row of ``cpu_architectures.csv``, or None when the part's design is unknown."""
    how: str
    """``configured``, ``model name``, ``DMI``, ``metadata``, ``family/model``, ``CPU part``,
    ``sysctl`` or ``unknown``."""
    evidence: str
    """What was read, in words."""
    instance: cpu_power.Instance | None = None


def _int(text: str | None) -> int | None:
    try:
        return int(text, 0) if text else None
    except ValueError:
        return None


def from_x86(block: dict[str, str]) -> CpuIdentity | None:
    vendor, family, model = block.get("vendor_id", ""), _int(block.get("cpu family")), _int(block.get("model"))
    stepping, flags = _int(block.get("stepping")), set(block.get("flags", "").split())
    evidence = f"{vendor}, family {family}, model {model}, stepping {stepping}"
    arch = None
    if vendor == "GenuineIntel" and family == 6:
        if model == 85:  # Skylake-SP (steppings 0-4), Cascade Lake (5-7), Cooper Lake (10-11)
            arch = "Cascade Lake" if (stepping or 0) >= 5 or "avx512_vnni" in flags else "Skylake"
        else:
            arch = INTEL_MODELS.get(model)
        if arch is None and "amx_tile" in flags:  # an unlisted model with AMX: Sapphire Rapids or later
            arch, evidence = "Sapphire Rapids", evidence + ", AMX in its flags"
    elif vendor == "AuthenticAMD":
        arch = AMD_MODELS.get((family, model))
    if arch is None:
        return None
    return CpuIdentity(f"{arch} ({'Intel' if vendor == 'GenuineIntel' else 'AMD'})", arch, "family/model", evidence)


def from_arm(block: dict[str, str]) -> CpuIdentity | None:
    implementer, part = _int(block.get("cpu implementer")), _int(block.get("cpu part"))
    if implementer is None or part is None:
        return None
    evidence = f"CPU implementer {implementer:#x}, CPU part {part:#x}"
    if implementer == 0x41 and part in ARM_PARTS:
        arch, name = ARM_PARTS[part]
        return CpuIdentity(name, arch, "CPU part", evidence)
    if implementer == APPLE_IMPLEMENTER:
        return CpuIdentity("Apple M-series", "Apple M-series", "CPU part", evidence)
    return CpuIdentity(f"Arm part {part:#x} of implementer {implementer:#x}", None, "unknown", evidence)


def from_model_name(name: str, how: str = "model name") -> CpuIdentity | None:
    if name.lower().startswith("apple m"):
        tier = "Apple M-series Pro/Max/Ultra" if {"pro", "max", "ultra"} & set(name.lower().split()) else "Apple M-series"
        return CpuIdentity(name, tier, how, f"brand {name!r}")
    found = cpu_power.part_architecture(name)
    if found is None:
        return None
    part, arch = found
    return CpuIdentity(name, arch, how, f"{name!r} names the part {part}")


def from_instance(name: str, how: str) -> CpuIdentity | None:
    inst = cpu_power.instance(name)
    if inst is None:
        return None
    arch = inst.architecture
    cpu = inst.cpu or (f"{arch} ({inst.provider})" if arch else "")
    if arch is None:
        return None
    return CpuIdentity(cpu, arch, how, f"instance type {inst.name} ({inst.provider}, {inst.vcpus} vCPUs) runs on {cpu}", inst)


def read_dmi_product(dmi_root: str | Path = "/sys/class/dmi/id") -> str:
    try:
        return (Path(dmi_root) / "product_name").read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return ""


def macos_brand(platform: str = sys.platform, run=subprocess.run) -> str:
    """``sysctl -n machdep.cpu.brand_string`` on macOS ("Apple M1 Max"); "" elsewhere."""
    if platform != "darwin":
        return ""
    try:
        out = run(["sysctl", "-n", "machdep.cpu.brand_string"], capture_output=True, text=True, timeout=2)
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


def identify(
    blocks: list[dict[str, str]],
    brand: str,
    *,
    configured: str | None = None,
    dmi_product: str = "",
    instance_type: str | None = None,
    sysctl_brand: str = "",
) -> CpuIdentity:
    """The best evidence first: a configured model, the macOS brand string, a model name
    naming a part, the instance type (DMI, then metadata), x86 family/model, Arm CPU part."""
    tries = [
        lambda: configured and from_model_name(configured, "configured"),
        lambda: sysctl_brand and from_model_name(sysctl_brand, "sysctl"),
        lambda: from_model_name(brand),
        lambda: dmi_product and from_instance(dmi_product, "DMI"),
        lambda: instance_type and from_instance(instance_type, "metadata"),
        lambda: blocks and from_x86(blocks[0]),
        lambda: blocks and from_arm(blocks[0]),
    ]
    for attempt in tries:
        found = attempt()
        if found:
            return found
    named = configured or sysctl_brand or brand
    seen = [f"model name {named!r}"]
    if blocks and blocks[0].get("vendor_id"):
        b = blocks[0]
        seen.append(f"{b['vendor_id']} family {b.get('cpu family')}, model {b.get('model')}, not a server part we know")
    if dmi_product:
        seen.append(f"DMI product {dmi_product!r}, not an instance type we know")
    return CpuIdentity(named, None, "unknown", "; ".join(seen) + "; nothing else identifies it")
