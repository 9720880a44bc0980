"""Benchmark of the API gateway: ``make bench-api`` (or ``python bench/api.py``).

A model over a generated 1,160,000-track catalog is published to a private MinIO and
pointed at through a private Redis; one API process (``python -m services.api``, one
uvicorn worker) serves it. ``wrk`` on loopback measures, in the same run:
  - GET /healthz with 32 connections,
  - POST /v1/recommendations (limit 5, varied queries) with 32 connections, and with one,
  - the same load while the pointer flips between two such models (zero non-2xx allowed),
  - GET /v1/recommendations with 3 seeds, 2 targets and 2 ranges ("tuned"), with filters that
    about 0.1% of the catalog passes ("restrictive"), and GET /v1/search,
  - the baseline, the *bare app* (``bench/bare_app.py``): FastAPI started the same way, whose
    route takes the same body with FastAPI's default validation and returns a constant
    five-track answer; the gateway's throughput is compared with it,
  - the same gateway with ``MUSICREC_NEIGHBOUR_INDEX=scipy`` (scipy's cKDTree instead of the
    compiled k-d tree), for the whole request: the compiled tree stays only while it makes
    the whole request at least 1.5x faster,
plus the API's memory and the time to load and verify a bundle of that size. Each
measurement is repeated (--repeat) and the medians are compared with the targets.
``--api-root`` serves the gateway from another checkout (to measure an older version the same way).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shared.bundle import load_bundle, write_bundle  # noqa: E402
from shared.pointer import ModelPointer, connect  # noqa: E402
from shared.schema import FEATURES  # noqa: E402
from shared.storage import ObjectStore  # noqa: E402
from tools import stack  # noqa: E402
from tools.synthetic_model import build_model, generate_tracks  # noqa: E402

TARGETS = {
    "recommendations / bare app req/s (32 conn)": (">=", 0.8),
    "recommendations p99 ms (32 conn)": ("<=", 25),
    "recommendations p50 ms (1 conn)": ("<=", 1),
    "tuned p50 ms (1 conn)": ("<=", 2),
    "tuned p99 ms (32 conn)": ("<=", 25),
    "tuned / bare app req/s (32 conn)": (">=", 0.5),
    "restrictive p99 ms (32 conn)": ("<=", 50),
    "search p99 ms (32 conn)": ("<=", 10),
    "API RSS MB (peak)": ("<=", 1536),
    "bundle load + verify s": ("<=", 5),
    "non-2xx during swaps": ("<=", 0),
    "non-2xx in all runs": ("<=", 0),
    "kdtree / scipy req/s, whole request (32 conn)": (">=", 1.5),
}


def wrk(url: str, connections: int, seconds: int, script: Path | None = None) -> dict[str, float]:
    threads = min(2, connections)
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    argv += ["-s", str(script)] if script else []
    out = subprocess.run([*argv, url], capture_output=True, text=True, check=True).stdout
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)),
        "p99": _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)),
        "requests": float(re.search(r"(\d+) requests in", out).group(1)),
        "non2xx": float(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0.0,
        "errors": float(sum(int(n) for n in m.groups())) if (m := re.search(
            r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)) else 0.0,
    }  # fmt: skip


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def query_script(path: Path, tracks, count: int = 4000, seed: int = 7) -> Path:
    """A wrk script cycling through ``count`` different queries near real catalog tracks."""
    rng = np.random.default_rng(seed)
    rows = rng.choice(tracks.num_rows, count, replace=False)
    bodies = []
    for row in rows.tolist():
        features = {}
        for name, spec in FEATURES.items():
            jitter = rng.normal(0, 0.03) * (spec.maximum - spec.minimum)
            features[name] = round(float(np.clip(tracks.column(name)[row].as_py() + jitter, spec.minimum, spec.maximum)), 4)
        bodies.append(json.dumps({"features": features, "limit": 5}))
    lua = "\n".join(f"  [[{b}]]," for b in bodies)
    path.write_text(
        f"local bodies = {{\n{lua}\n}}\nlocal i = math.random(#bodies)\n"
        'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
        "request = function()\n  i = i % #bodies + 1\n  return wrk.format(nil, nil, nil, bodies[i])\nend\n"
    )
    return path


def paths_script(path: Path, paths: list[str]) -> Path:
    """A wrk script cycling through GET requests of the given paths (with their queries)."""
    lua = "\n".join(f"  [[{p}]]," for p in paths)
    path.write_text(
        f"local paths = {{\n{lua}\n}}\nlocal i = math.random(#paths)\n"
        "request = function()\n  i = i % #paths + 1\n  return wrk.format(\"GET\", paths[i])\nend\n"
    )
    return path


def tuned_paths(tracks, count: int = 2000, seed: int = 8) -> list[str]:
    """``GET /v1/recommendations`` with 3 track seeds, 2 targets and 2 ranges (tempo within 20 BPM
    of the first seed's, popularity at least 30)."""
    rng = np.random.default_rng(seed)
    paths = []
    for _ in range(count):
        rows = rng.choice(tracks.num_rows, 3, replace=False).tolist()
        tempo = tracks.column("tempo")[rows[0]].as_py()
        query = {
            "seed_tracks": ",".join(tracks.column("track_id")[r].as_py() for r in rows),
            "target_energy": round(float(rng.uniform(0.2, 0.9)), 2), "target_danceability": round(float(rng.uniform(0.2, 0.9)), 2),
            "min_tempo": round(max(30.0, tempo - 20), 1), "max_tempo": round(min(250.0, tempo + 20), 1), "min_popularity": 30,
            "limit": 20,
        }  # fmt: skip
        paths.append("/v1/recommendations?" + urllib.parse.urlencode(query))
    return paths


def restrictive_paths(tracks, share: float = 0.001, count: int = 2000, seed: int = 9) -> list[str]:
    """Filters that about ``share`` of the catalog passes: a tempo window and an energy window."""
    rng = np.random.default_rng(seed)
    tempo, energy = tracks.column("tempo").to_numpy(), tracks.column("energy").to_numpy()
    paths = []
    for _ in range(count):
        row = int(rng.integers(0, tracks.num_rows))
        tempo_window = np.quantile(tempo, np.clip(np.mean(tempo < tempo[row]) + np.array([-0.02, 0.02]), 0, 1))
        energy_window = np.quantile(energy, np.clip(np.mean(energy < energy[row]) + np.array([-share / 0.08, share / 0.08]), 0, 1))
        query = {
            "seed_tracks": tracks.column("track_id")[row].as_py(), "min_tempo": round(float(tempo_window[0]), 3),
            "max_tempo": round(float(tempo_window[1]), 3), "min_energy": round(float(energy_window[0]), 5),
            "max_energy": round(float(energy_window[1]), 5), "limit": 20,
        }  # fmt: skip
        paths.append("/v1/recommendations?" + urllib.parse.urlencode(query))
    return paths


def search_paths(tracks, count: int = 2000, seed: int = 10) -> list[str]:
    """``GET /v1/search`` for track names (whole and their first word and a part) and artists."""
    rng = np.random.default_rng(seed)
    paths = []
    for row in rng.choice(tracks.num_rows, count, replace=False).tolist():
        name, artist = tracks.column("track_name")[row].as_py(), tracks.column("artist_name")[row].as_py()
        q = [name, name[: max(3, len(name) - 2)], artist][row % 3]
        paths.append("/v1/search?" + urllib.parse.urlencode({"q": q, "type": "track,artist", "limit": 10}))
    return paths


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measured(pid: int, run) -> dict[str, float]:
    """A wrk run plus the API's CPU time per answered request (robust to a busy machine)."""
    before = cpu_seconds(pid)
    result = run()
    result["cpu_us"] = (cpu_seconds(pid) - before) / max(result["requests"], 1) * 1e6
    return result


def rss_mb(pid: int) -> tuple[float, float]:
    """(current, peak) resident memory of a process, in MB."""
    status = Path(f"/proc/{pid}/status").read_text()
    current = int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024
    peak = int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024
    return current, peak


def publish(store: ObjectStore, version: str, rows: int, k: int, seed: int):
    tracks = generate_tracks(rows, seed, id_prefix=f"s{seed}-")
    model, catalog = build_model(version, tracks, k=k, seed=seed)
    write_bundle(store, model, catalog)
    return tracks


def serve(argv: list[str], env: dict[str, str], cwd: Path, log: Path, ready_url: str) -> subprocess.Popen:
    """Start a server process and wait until ``ready_url`` answers 2xx."""
    process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=open(log, "wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 180
    while not stack.http_ok(ready_url):
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"{' '.join(argv[1:])} did not become ready:\n{stack.tail(log)}")
        time.sleep(0.2)
    return process


def stop(process: subprocess.Popen | None) -> None:
    if process is not None and process.poll() is None:
        process.terminate()
        process.wait(30)


def settle(base: str, pointer: ModelPointer, timeout: float = 300, quiet: float = 6.0) -> None:
    """Wait until the API serves what the pointer names and has swapped no model for ``quiet``
    seconds (a load begun before the pointer's last move is over too)."""
    deadline, since, last = time.monotonic() + timeout, None, None
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"{base}/readyz", timeout=10) as response:
            served = json.loads(response.read()).get("model_version")
        with urllib.request.urlopen(f"{base}/metrics", timeout=10) as response:
            reloads = re.search(r"^musicrec_model_reloads_total (\S+)", response.read().decode(), re.M)
        state = (served, reloads.group(1) if reloads else None)
        if served != pointer.current() or state != last:
            since, last = time.monotonic(), state
        elif time.monotonic() - since >= quiet:
            return
        time.sleep(0.5)
    raise SystemExit(f"the API did not settle on {pointer.current()} within {timeout:.0f}s")


def flip_pointer(pointer: ModelPointer, versions: list[str], every: float, stop: threading.Event, flips: list) -> None:
    while not stop.wait(every):
        target = versions[len(flips) % 2 == 0]
        pointer.move(target, actor="bench", reason="swap under load")
        flips.append(target)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=1_160_000)
    parser.add_argument("--k", type=int, default=8, help="clusters of the generated model")
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--swap-every", type=float, default=5.0)
    parser.add_argument("--api-root", type=Path, default=ROOT, help="checkout to run `python -m services.api` from")
    parser.add_argument("--no-index-ab", action="store_true", help="skip the scipy-index gateway (older versions lack it)")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is not installed: apt-get install wrk (make bench-api does it)", file=sys.stderr)
        return 2

    home = Path(tempfile.mkdtemp(prefix="musicrec-bench-"))
    servers: list[stack.Process] = []
    processes: list[subprocess.Popen] = []
    try:
        redis_port, minio_port, console = stack.free_port(), stack.free_port(), stack.free_port()
        servers.append(stack.redis_process(home / "redis", redis_port, home / "redis.log").start())
        servers.append(stack.minio_process(home / "minio", minio_port, console, "bench", "bench-secret-123", home / "minio.log").start())
        store = ObjectStore(f"http://127.0.0.1:{minio_port}", "bench", "bench-secret-123", "musicrec")
        store.ensure_bucket()
        redis_url = f"redis://127.0.0.1:{redis_port}/0"
        pointer = ModelPointer(connect(redis_url))

        print(f"generating two models over {args.tracks:,} tracks (k={args.k}) ...", flush=True)
        versions = ["20260101T000000000000Z-bench1", "20260101T000000000000Z-bench2"]
        tracks = publish(store, versions[0], args.tracks, args.k, seed=1)
        publish(store, versions[1], args.tracks, args.k, seed=2)
        bundle_mb = store.size(f"models/{versions[0]}/catalog.parquet") / 1e6
        loads = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            load_bundle(store, versions[0])
            loads.append(time.perf_counter() - started)

        pointer.move(versions[0], actor="bench", reason="benchmark")
        script = query_script(home / "recommend.lua", tracks)
        tuned = paths_script(home / "tuned.lua", tuned_paths(tracks))
        restrictive = paths_script(home / "restrictive.lua", restrictive_paths(tracks))
        searches = paths_script(home / "search.lua", search_paths(tracks))
        del tracks
        env = {**os.environ, "MUSICREC_REDIS_URL": redis_url, "MUSICREC_S3_ENDPOINT": store.endpoint,
               "MUSICREC_S3_ACCESS_KEY": "bench", "MUSICREC_S3_SECRET_KEY": "bench-secret-123",
               "MUSICREC_S3_BUCKET": "musicrec", "MUSICREC_ENV": "development", "MUSICREC_LOG_FORMAT": "json",
               "MUSICREC_STARTUP_WAIT_SECONDS": "120"}  # fmt: skip

        def gateway(name: str, **variables: str) -> tuple[subprocess.Popen, str]:
            port = stack.free_port()
            process = serve([sys.executable, "-m", "services.api", "--port", str(port)], {**env, **variables},
                            args.api_root, home / f"{name}.log", f"http://127.0.0.1:{port}/readyz")  # fmt: skip
            processes.append(process)
            return process, f"http://127.0.0.1:{port}"

        api, base = gateway("api")
        bare_port = stack.free_port()
        bare = serve([sys.executable, str(ROOT / "bench" / "bare_app.py"), "--port", str(bare_port)], env, ROOT,
                     home / "bare.log", f"http://127.0.0.1:{bare_port}/openapi.json")  # fmt: skip
        processes.append(bare)
        bare_url = f"http://127.0.0.1:{bare_port}/v1/recommendations"
        scipy, scipy_base = (None, None) if args.no_index_ab else gateway("api-scipy", MUSICREC_NEIGHBOUR_INDEX="scipy")
        for url in (f"{base}/v1/recommendations", bare_url, *([f"{scipy_base}/v1/recommendations"] if scipy else [])):
            wrk(url, args.connections, 3, script)  # warm-up

        runs: list[dict[str, float]] = []
        for run in range(1, args.repeat + 1):
            health = measured(api.pid, lambda: wrk(f"{base}/healthz", args.connections, args.seconds))
            busy = measured(api.pid, lambda: wrk(f"{base}/v1/recommendations", args.connections, args.seconds, script))
            baseline = measured(bare.pid, lambda: wrk(bare_url, args.connections, args.seconds, script))
            single = wrk(f"{base}/v1/recommendations", 1, max(5, args.seconds // 2), script)
            bare_single = wrk(bare_url, 1, max(5, args.seconds // 2), script)
            stop_flips, flips = threading.Event(), []
            flipper = threading.Thread(target=flip_pointer, args=(pointer, versions, args.swap_every, stop_flips, flips))
            flipper.start()
            swapping = wrk(f"{base}/v1/recommendations", args.connections, args.seconds, script)
            stop_flips.set()
            flipper.join()
            if pointer.current() != versions[0]:  # the tuned, restrictive and search paths are the first model's
                pointer.move(versions[0], actor="bench", reason="back to the measured model")
            for gateway_url in (base, *([scipy_base] if scipy else [])):
                settle(gateway_url, pointer)  # what follows measures settled gateways (both follow the pointer)
            busy_tuned = measured(api.pid, lambda: wrk(f"{base}/", args.connections, args.seconds, tuned))
            single_tuned = wrk(f"{base}/", 1, max(5, args.seconds // 2), tuned)
            narrow = wrk(f"{base}/", args.connections, max(5, args.seconds // 2), restrictive)
            found = wrk(f"{base}/", args.connections, max(5, args.seconds // 2), searches)
            current, peak = rss_mb(api.pid)
            figures = {
                "healthz req/s (32 conn)": health["rps"],
                "healthz p99 ms (32 conn)": health["p99"],
                "bare app req/s (32 conn, baseline)": baseline["rps"],
                "bare app p99 ms (32 conn)": baseline["p99"],
                "bare app p50 ms (1 conn)": bare_single["p50"],
                "bare app CPU us per request": baseline["cpu_us"],
                "recommendations req/s (32 conn)": busy["rps"],
                "recommendations / bare app req/s (32 conn)": busy["rps"] / baseline["rps"],
                "recommendations p50 ms (32 conn)": busy["p50"],
                "recommendations p99 ms (32 conn)": busy["p99"],
                "recommendations API CPU us per request": busy["cpu_us"],
                "recommendations p50 ms (1 conn)": single["p50"],
                "recommendations p99 ms (1 conn)": single["p99"],
                "tuned req/s (32 conn)": busy_tuned["rps"],
                "tuned / bare app req/s (32 conn)": busy_tuned["rps"] / baseline["rps"],
                "tuned p99 ms (32 conn)": busy_tuned["p99"],
                "tuned p50 ms (1 conn)": single_tuned["p50"],
                "restrictive req/s (32 conn)": narrow["rps"],
                "restrictive p99 ms (32 conn)": narrow["p99"],
                "search req/s (32 conn)": found["rps"],
                "search p99 ms (32 conn)": found["p99"],
                "search p50 ms (32 conn)": found["p50"],
                "req/s during swaps (32 conn)": swapping["rps"],
                "p99 ms during swaps": swapping["p99"],
                "swaps during the run": float(len(flips)),
                "non-2xx during swaps": swapping["non2xx"] + swapping["errors"],
                "API RSS MB (now)": current,
                "API RSS MB (peak)": peak,
            }
            others = [health, busy, baseline, single, bare_single, swapping, busy_tuned, single_tuned, narrow, found]
            if scipy is not None:
                with_scipy = measured(scipy.pid, lambda: wrk(f"{scipy_base}/v1/recommendations", args.connections, args.seconds, script))
                scipy_single = wrk(f"{scipy_base}/v1/recommendations", 1, max(5, args.seconds // 2), script)
                others += [with_scipy, scipy_single]
                figures |= {
                    "scipy index: recommendations req/s (32 conn)": with_scipy["rps"],
                    "scipy index: API CPU us per request": with_scipy["cpu_us"],
                    "scipy index: p50 ms (1 conn)": scipy_single["p50"],
                    "kdtree / scipy req/s, whole request (32 conn)": busy["rps"] / with_scipy["rps"],
                    "scipy / kdtree p50 (1 conn)": scipy_single["p50"] / single["p50"],
                }
            figures["non-2xx in all runs"] = sum(r["non2xx"] + r["errors"] for r in others)
            runs.append(figures)
            print(f"run {run}: " + ", ".join(f"{k} {v:.2f}" for k, v in figures.items()), flush=True)

        with urllib.request.urlopen(f"{base}/metrics", timeout=10) as response:
            metrics = response.read().decode()
        api_load = float(re.search(r"^musicrec_model_load_seconds (\S+)", metrics, re.M).group(1))
        medians = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
        medians["bundle load + verify s"] = statistics.median(loads)
        medians["load + verify + index in the API s (last swap)"] = api_load
        print(f"\nAPI gateway benchmark: {args.tracks:,} tracks, k={args.k}, catalog.parquet {bundle_mb:.1f} MB, "
              f"one uvicorn worker, wrk {args.connections} connections x {args.seconds}s, medians of {args.repeat} runs, "
              f"gateway from {args.api_root}, {os.cpu_count()} cores")  # fmt: skip
        missed = 0
        for key, value in medians.items():
            verdict = ""
            if key in TARGETS:
                op, limit = TARGETS[key]
                ok = value >= limit if op == ">=" else value <= limit
                missed += not ok
                verdict = f"target {op} {limit:g}: {'ok' if ok else 'MISSED'}"
            print(f"  {key:<48} {value:>10.2f}   {verdict}")
        print(f"  {'targets missed' if missed else 'all targets met'}" + (f": {missed}" if missed else ""))
        return 0
    finally:
        for process in processes:
            stop(process)
        for server in reversed(servers):
            server.stop()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
