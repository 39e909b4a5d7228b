"""A cell's Dask work, on workers that are processes of their own in two zones, charged to the
cell: each worker by what its own meter measured, priced by its own zone."""

from __future__ import annotations

import json
import re

import pytest

pytest.importorskip("distributed")
from jupyter_client.manager import start_new_kernel  # noqa: E402

from dask_cluster import cpu_seconds, dask_cluster, environment  # noqa: E402
from kernels import BURN, run  # noqa: E402

pytestmark = pytest.mark.slow

ZONES = {"fr": "FR", "pl": "PL"}
CPU_S = 2.0


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
            workers_text = run(kc, "%carbon cluster")
            line = run(kc, "%%carbon\nclient.gather([client.submit(burn, 0.2, workers=[w], pure=False) for w in workers.values()])")
            summary = run(kc, "%carbon summary")
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
        assert charged["status"] == "pushed" and charged["zone"] == ZONES[name]  # idle at the end: no round trip
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
    # The views: the workers with their zones, the cell line and the summary with the cluster part.
    assert "2 workers:" in workers_text and "FR" in workers_text and "PL" in workers_text, workers_text
    assert "cluster " in line and "on 2 workers in 2 zones" in line, line
    assert re.search(r"Cluster: [\d.]+ m?Wh on 2 workers", summary) and "(FR, PL)" in summary, summary


def test_a_local_clusters_workers_are_charged_once(tmp_path):
    """LocalCluster's worker processes are children of the kernel: they leave the kernel's
    process tree and are charged through their own reports, each process once."""
    env = environment(tmp_path)
    km, kc = start_new_kernel(kernel_name="python3", env={**env, "JUPYTER_CARBON_REGION": "FR"})
    try:
        run(kc, "%load_ext jupyter_carbon")
        run(kc, "from distributed import Client, LocalCluster\n"
                "cluster = LocalCluster(n_workers=2, threads_per_worker=1, host='127.0.0.1', dashboard_address=None)\n"
                "client = Client(cluster)")  # fmt: skip
        run(kc, BURN + "\nworkers = list(client.scheduler_info(n_workers=-1)['workers'])")
        run(kc, f"client.gather([client.submit(burn, {CPU_S}, workers=[w], pure=False) for w in workers])")
        out = run(kc, "import json, os\nfrom jupyter_carbon.kernel.extension import extension_of\next = extension_of(get_ipython())\n"
                      "print(json.dumps({'records': [r.to_dict() for r in ext.session.records],\n"
                      "  'tree': sorted(ext.meter.tree.pids()), 'excluded': sorted(ext.meter.tree.excluded()),\n"
                      "  'workers': sorted(client.run(os.getpid).values()),\n"
                      "  'w_per_cpu_s': [d.figures.get('w_per_logical_cpu') for d in ext.meter.describe() if d.component == 'cpu']}))")  # fmt: skip
        run(kc, "client.close(); cluster.close()")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    state = json.loads(out.strip().splitlines()[-1])
    created, defined, burned = state["records"][:3]
    assert defined["cluster"] is None  # a cell that sends the workers nothing has no cluster part
    workers = set(state["workers"])
    assert len(workers) == 2 and workers <= set(state["excluded"]) and not workers & set(state["tree"])
    # The cell that started the cluster: the kernel's tree counted the workers' start-up.
    assert {w["status"] for w in created["cluster"]["workers"]} == {"in-kernel"} and created["cluster"]["energy_j"] == 0
    charged = [w for w in burned["cluster"]["workers"] if w["status"] in ("answered", "pushed")]
    assert {w["pid"] for w in charged} == workers
    # The workers' CPU seconds at this machine's watts per CPU-second (the same model as the
    # kernel's): not the cluster's whole energy per CPU-second, whose memory part grows with
    # the cell's wall time on a loaded machine once the CPU figure is a part's real one.
    [per_cpu_second] = state["w_per_cpu_s"]
    assert burned["cluster"]["by_component"]["cpu"] >= 2 * CPU_S * 0.9 * per_cpu_second
    # The kernel only waited: had it counted its worker children too, its CPU would match theirs
    # (its own background, about 1 CPU-second over a 20 s cell on a loaded machine, stays well below).
    assert burned["by_component"]["cpu"] < 0.5 * burned["cluster"]["by_component"]["cpu"]


def test_a_worker_killed_while_busy_stalls_no_later_cell(tmp_path):
    """Issue 23: a worker killed mid-task pushed no idle reading, so the kernel kept it as
    busy and every later Dask cell asked it, waited the time-out and was marked incomplete."""
    import os
    import signal

    from dask_cluster import _wait_for, _worker_count

    env = environment(tmp_path)
    with dask_cluster(tmp_path, {"a": "FR", "b": "FR"}, env) as (scheduler_file, pids):
        km, kc = start_new_kernel(kernel_name="python3", env={**env, "JUPYTER_CARBON_REGION": "FR"})
        try:
            run(kc, "%load_ext jupyter_carbon")
            run(kc, f"from distributed import Client\nclient = Client(scheduler_file={str(scheduler_file)!r})")
            run(kc, BURN + "\nworkers = {w['name']: a for a, w in client.scheduler_info(n_workers=-1)['workers'].items()}")
            run(kc, "client.gather([client.submit(burn, 0.1, workers=[w], pure=False) for w in workers.values()])")
            # Worker a busy for long; the cell waits until a has pushed a reading saying so.
            run(kc, "from jupyter_carbon.cluster.dask import backend\nimport time\n"
                    "long = client.submit(burn, 600, workers=[workers['a']], allow_other_workers=False, pure=False)\n"
                    "deadline = time.monotonic() + 30\n"
                    "while not backend().activity().get(workers['a'], (False,))[0] and time.monotonic() < deadline:\n"
                    "    time.sleep(0.1)\n"
                    "assert backend().activity()[workers['a']][0]")  # fmt: skip
            os.kill(pids["a"], signal.SIGKILL)
            address = json.loads(scheduler_file.read_text())["address"]
            _wait_for(lambda: _worker_count(address) == 1, 60, "the scheduler removing the killed worker")
            run(kc, "client.cancel(long); del long")
            for _ in range(2):
                run(kc, "client.submit(burn, 0.1, workers=[workers['b']], pure=False).result()")
            out = run(kc, "import json\nfrom jupyter_carbon.kernel.extension import extension_of\n"
                          "print(json.dumps([r.cluster for r in extension_of(get_ipython()).session.records[-2:]]))")  # fmt: skip
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)
    for part in json.loads(out.strip().splitlines()[-1]):
        assert part is not None and part["complete"] and not part.get("note"), part
        assert {w["pid"] for w in part["workers"]} == {pids["b"]}, part
