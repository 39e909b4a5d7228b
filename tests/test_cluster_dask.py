"""A cell's Dask work, on workers that are processes of their own in two zones, charged to the
cell: each worker by what its own meter measured, priced by its own zone."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("distributed")
from jupyter_client.manager import start_new_kernel  # noqa: E402

from dask_cluster import BURN, cpu_seconds, dask_cluster, environment  # noqa: E402

pytestmark = pytest.mark.slow

ZONES = {"fr": "FR", "pl": "PL"}
CPU_S = 2.0


def run(kc, code, timeout=120):
    out = []

    def hook(msg):
        if msg["msg_type"] == "stream":
            out.append(msg["content"]["text"])
        elif msg["msg_type"] == "error":
            out.append("\n".join(msg["content"]["traceback"]))

    reply = kc.execute_interactive(code, timeout=timeout, output_hook=hook)
    assert reply["content"]["status"] == "ok", "".join(out)
    return "".join(out)


def meter_totals(scheduler_file) -> dict[str, float]:
    """Each worker's own meter, read directly on the worker: cumulative joules now."""
    from distributed import Client

    def total(dask_worker):
        snapshot = dask_worker.plugins["jupyter-carbon"].node.meter.snapshot(fresh=True)
        return sum(r.energy_j for r in snapshot.readings.values())

    with Client(scheduler_file=str(scheduler_file), timeout=10) as client:
        by_address = client.run(total)
        names = {a: w["name"] for a, w in client.scheduler_info(n_workers=-1)["workers"].items()}
    return {names[a]: j for a, j in by_address.items()}


def test_each_worker_is_charged_what_it_measured_priced_by_its_zone(tmp_path):
    env = environment(tmp_path)
    with dask_cluster(tmp_path, ZONES, env) as (scheduler_file, pids):
        km, kc = start_new_kernel(kernel_name="python3", env={**env, "JUPYTER_CARBON_REGION": "DE"})
        try:
            run(kc, "%load_ext jupyter_carbon")
            run(kc, f"from distributed import Client\nclient = Client(scheduler_file={str(scheduler_file)!r})")
            run(kc, BURN + "\nworkers = {w['name']: a for a, w in client.scheduler_info(n_workers=-1)['workers'].items()}")
            before, cpu_before = meter_totals(scheduler_file), {n: cpu_seconds(p) for n, p in pids.items()}
            run(kc, f"futures = [client.submit(burn, {CPU_S}, workers=[workers[n]], pure=False) for n in ('fr', 'pl')]\n"
                    "client.gather(futures)")  # fmt: skip
            after, cpu_after = meter_totals(scheduler_file), {n: cpu_seconds(p) for n, p in pids.items()}
            out = run(kc, "import json\nfrom jupyter_carbon.kernel.extension import extension_of\n"
                          "print(json.dumps(extension_of(get_ipython()).session.records[-1].to_dict()))")  # fmt: skip
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)
    record = json.loads(out.strip().splitlines()[-1])
    cluster = record["cluster"]
    assert cluster is not None and cluster["complete"], cluster
    workers = {w["pid"]: w for w in cluster["workers"]}
    for name, pid in pids.items():
        assert cpu_after[name] - cpu_before[name] >= CPU_S * 0.95  # the work ran on that worker
        charged, measured = workers[pid], after[name] - before[name]
        assert charged["status"] == "answered" and charged["zone"] == ZONES[name]
        assert charged["energy_j"] == pytest.approx(measured, rel=0.15), (name, charged, measured)
        g = charged["energy_j"] * charged["pue"] / 3.6e6 * charged["g_per_kwh"]
        assert charged["emissions_g"] == pytest.approx(g)
    fr, pl = workers[pids["fr"]], workers[pids["pl"]]
    assert pl["g_per_kwh"] > 5 * fr["g_per_kwh"]  # priced by each worker's own grid
    assert cluster["zones"] == ["FR", "PL"] and cluster["nodes"] == 2
    assert cluster["energy_j"] == pytest.approx(fr["energy_j"] + pl["energy_j"])
    assert cluster["emissions_g"] == pytest.approx(fr["emissions_g"] + pl["emissions_g"])
    assert record["intensity"]["zone"] == "DE"
    assert record["energy_j"] < 0.25 * cluster["energy_j"]  # the kernel only waited
