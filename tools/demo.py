"""`make demo`: the whole pipeline on a generated catalog, then what to try next.

Starts Redis, MinIO, the worker, the ingest worker and the API (reusing what already runs),
generates a demo catalog, uploads it to ``POST /v1/datasets`` and follows its ingest job
(which enqueues the first training job), waits until the API serves the model, and prints its clusters, three example recommendations and ready-to-paste
commands. Fails with one clear message at the first step that fails.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from tools.stack import ROOT, LocalStack, StackError

BOLD, DIM, RED, RESET = ("\033[1m", "\033[2m", "\033[31m", "\033[0m") if sys.stdout.isatty() else ("",) * 4


class DemoError(RuntimeError):
    pass


def step(number: int, text: str) -> float:
    print(f"{BOLD}[{number}/5] {text}{RESET}", flush=True)
    return time.monotonic()


def done(started: float, detail: str = "") -> None:
    print(f"      done in {time.monotonic() - started:.1f}s{(' — ' + detail) if detail else ''}", flush=True)


def run(argv: list[str], env: dict[str, str], what: str) -> str:
    result = subprocess.run(argv, env={**os.environ, **env}, cwd=ROOT, text=True, capture_output=True)
    if result.returncode != 0:
        raise DemoError(f"{what} failed (exit {result.returncode}):\n{(result.stderr or result.stdout).strip()[-2000:]}")
    return result.stdout


def wait_for_model(api: httpx.Client, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        try:
            response = api.get("/readyz")
            body = response.json()
            if response.status_code == 200:
                return body
            state = body.get("error", {}).get("message") or str(body)
        except httpx.HTTPError as exc:
            state = f"API not answering yet ({exc.__class__.__name__})"
        if state != last:
            print(f"      {DIM}{state}{RESET}", flush=True)
            last = state
        time.sleep(2)
    raise DemoError(f"no model was served within {timeout:.0f}s; see .local/logs/worker.log and .local/logs/api.log")


def ingest_upload(api: httpx.Client, token: str, catalog: Path, timeout: float) -> dict[str, Any]:
    """Upload ``catalog`` (streamed from disk) and wait for its ingest job; returns the job's result."""
    auth = {"Authorization": f"Bearer {token}"}
    with catalog.open("rb") as handle:
        response = api.post("/v1/datasets", files={"file": (catalog.name, handle, "text/csv")}, headers=auth, timeout=300)
    if response.status_code != 202:
        raise DemoError(f"POST /v1/datasets answered {response.status_code}: {response.text[:500]}")
    url, deadline, stage = response.json()["url"], time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        state = api.get(url, headers=auth).json()
        if state["stage"] != stage:
            stage = state["stage"]
            print(f"      {DIM}{stage}{RESET}", flush=True)
        if state["status"] == "finished":
            return state["result"]
        if state["status"] == "failed":
            raise DemoError(f"the ingest job failed: {state['error']} (see .local/logs/ingest.log)")
        time.sleep(1)
    raise DemoError(f"the ingest job did not finish within {timeout:.0f}s; see .local/logs/ingest.log")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=int(os.environ.get("MUSICREC_DEMO_ROWS", "50000")))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args(argv)
    stack = LocalStack(Path(os.environ.get("MUSICREC_HOME", ROOT / ".local")))
    env = stack.client_env()
    base = f"http://127.0.0.1:{env['MUSICREC_API_PORT']}"
    token = env["MUSICREC_OPERATOR_TOKEN"]
    try:
        started = step(1, "starting Redis, MinIO, the worker, the ingest worker and the API")
        stack.up(["redis", "minio", "worker", "ingest", "api"])
        done(started)

        api = httpx.Client(base_url=base, timeout=10)
        ready = api.get("/readyz")
        if ready.status_code == 200:
            print(f"{BOLD}[2/5] a model is already served ({ready.json().get('model_version')}): skipping ingest{RESET}")
            print(f"{BOLD}[3/5] skipped{RESET}")
        else:
            catalog = stack.home / "demo" / f"catalog-{args.rows}-{args.seed}.csv"
            started = step(2, f"generating a demo catalog of {args.rows:,} tracks")
            if catalog.exists():
                done(started, f"reused {catalog}")
            else:
                catalog.parent.mkdir(parents=True, exist_ok=True)
                run([sys.executable, "-m", "democatalog.generate", "--rows", str(args.rows), "--seed",
                     str(args.seed), "--out", str(catalog)], env, "generating the catalog")  # fmt: skip
                done(started, str(catalog))
            started = step(3, "uploading it to POST /v1/datasets; the ingest worker runs it with Spark (and enqueues training)")
            result = ingest_upload(api, token, catalog, args.timeout)
            print(f"      dataset {result['dataset_id']}: read {result['rows_read']:,}, kept {result['rows_kept']:,}, "
                  f"rejected {result['rows_rejected']:,}, duplicates {result['duplicates']:,}")  # fmt: skip
            done(started)

        started = step(4, "waiting for the first model to be trained, published and served")
        ready_body = wait_for_model(api, args.timeout)
        done(started, f"serving {ready_body.get('model_version')}")

        step(5, "what it serves")
        show(api, base, token)
    except (DemoError, StackError) as exc:
        print(f"{RED}demo: {exc}{RESET}", file=sys.stderr)
        return 1
    return 0


def show_segments(clusters: list[dict[str, Any]]) -> None:
    """Each segment: size, label, top genres with their shares, and its most central track."""
    print(f"\n{BOLD}Segments{RESET}")
    for cluster in clusters:
        share = f"{cluster['share']:.0%}" if cluster.get("share") is not None else ""
        print(f"  {cluster['id']:>2}  {cluster['size']:>7,} tracks {share:>4}  {BOLD}{cluster['label']}{RESET}")
        genres = cluster.get("top_genres")
        if genres:
            print("      top genres: " + ", ".join(f"{g['genre']} {g['share']:.0%}" for g in genres))
        elif "top_genres" in cluster.get("unavailable", {}):
            print(f"      {DIM}no genres: {cluster['unavailable']['top_genres']}{RESET}")
        if cluster.get("examples"):
            central = cluster["examples"][0]
            print(f"      {DIM}most central: {central['track_name']} — {central['artist_name']}{RESET}")


def show(api: httpx.Client, base: str, token: str) -> None:
    model = api.get("/v1/models/current").json()
    print(f"\n{BOLD}Model {model['version']}{RESET}  k={model['k']}  features={', '.join(model['features'])}")
    metrics = model.get("metrics", {})
    if metrics.get("silhouette") is not None:
        print(f"  held-out silhouette {metrics['silhouette']:.3f}")
    reason = (metrics.get("k_selection") or {}).get("reason")
    if reason:
        print(f"  {DIM}{reason}{RESET}")
    show_segments(api.get("/v1/clusters").json()["clusters"])

    catalog_track = None
    examples = [
        ("a calm instrumental piece", {"danceability": 0.3, "energy": 0.15, "loudness": -24.0, "speechiness": 0.04,
          "acousticness": 0.9, "instrumentalness": 0.9, "liveness": 0.1, "valence": 0.2, "tempo": 80.0}),
        ("an upbeat dance track", {"danceability": 0.85, "energy": 0.85, "loudness": -5.0, "speechiness": 0.06,
          "acousticness": 0.05, "instrumentalness": 0.3, "liveness": 0.15, "valence": 0.7, "tempo": 126.0}),
    ]  # fmt: skip
    for title, features in examples:
        body = {"features": {f: features[f] for f in model["features"]}, "limit": 3}
        answer = api.post("/v1/recommendations", json=body).json()
        print(f"\n{BOLD}Tracks like {title}{RESET} → cluster {answer['cluster']['id']} ({answer['cluster']['label']})")
        for track in answer["tracks"]:
            catalog_track = catalog_track or track["track_id"]
            print(f"  {track['track_name']!s:40.40} {track['artist_name']!s:24.24} {track['genre']!s:12.12} d={track['distance']:.3f}")
    if catalog_track:
        answer = api.get(f"/v1/tracks/{catalog_track}/recommendations", params={"limit": 3}).json()
        print(f"\n{BOLD}More like catalog track {catalog_track}{RESET}")
        for track in answer["tracks"]:
            print(f"  {track['track_name']!s:40.40} {track['artist_name']!s:24.24} {track['genre']!s:12.12} d={track['distance']:.3f}")

    print(f"\n{BOLD}Try it{RESET}")
    print(f"  curl -s {base}/v1/tracks/{catalog_track}/recommendations?limit=5")
    print(f"  curl -s -X POST {base}/v1/training-jobs -H 'Authorization: Bearer {token}' "
          "-H 'Content-Type: application/json' -d '{\"k\": 8}'")  # fmt: skip
    print(f"  API docs: {base}/docs    operator token: .local/stack.env    stop everything: make down")


if __name__ == "__main__":
    sys.exit(main())
