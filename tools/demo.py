"""`make demo`: the whole pipeline on a generated catalog, then what to try next.

Starts Redis, MinIO, the worker, the ingest worker and the API (reusing what already runs),
generates a demo catalog, uploads it to ``POST /v1/datasets`` and follows its ingest job (which
enqueues the first training job), waits until the API serves the model, and prints its clusters,
three example recommendations, ready-to-paste commands and, last, the dashboard's URL. Each step
prints one line with its progress and time; the output of the tools it runs (catalog generation)
goes to ``.local/logs/demo.log``, and its end is shown when a step fails.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from tools.stack import ROOT, LocalStack, StackError

TTY = sys.stdout.isatty()
BOLD, DIM, RED, RESET = ("\033[1m", "\033[2m", "\033[31m", "\033[0m") if TTY else ("",) * 4
CLEAR = "\r\033[K" if TTY else ""
TAIL_LINES = 40  # of a failed tool's output, shown with the log's path


class DemoError(RuntimeError):
    pass


class Step:
    """One line per step: its number and text, its progress while it runs (on a terminal) and its time."""

    def __init__(self, number: int, text: str) -> None:
        self.label = f"[{number}/5] {text}"
        self.started = time.monotonic()
        self.progress("")

    def progress(self, detail: str) -> None:
        if TTY:  # one line that fits the terminal, rewritten in place
            elapsed = time.monotonic() - self.started
            line = f"{self.label} … {elapsed:.0f}s{(' · ' + detail) if detail else ''}"[: shutil.get_terminal_size().columns - 1]
            print(f"{CLEAR}{BOLD}{line[: len(self.label)]}{RESET}{DIM}{line[len(self.label):]}{RESET}", end="", flush=True)

    def done(self, detail: str = "") -> None:
        print(f"{CLEAR}{BOLD}{self.label}{RESET}: done in {time.monotonic() - self.started:.1f}s"
              f"{(' — ' + detail) if detail else ''}", flush=True)  # fmt: skip

    def interrupt(self) -> None:
        """End the progress line before something else prints."""
        if TTY:
            print(CLEAR, end="", flush=True)


def run(argv: list[str], env: dict[str, str], what: str, log: Path, step: Step) -> str:
    """Run a tool with its output appended to ``log``; its latest line is the step's progress."""
    log.parent.mkdir(parents=True, exist_ok=True)
    lines: list[str] = []
    with log.open("a") as out:
        out.write(f"\n==> {what}: {' '.join(argv)}\n")
        process = subprocess.Popen(argv, env={**os.environ, **env}, cwd=ROOT, text=True, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT)  # fmt: skip
        assert process.stdout is not None
        for line in process.stdout:
            out.write(line)
            out.flush()
            lines.append(line.rstrip())
            if line.strip():
                step.progress(line.strip())
        code = process.wait()
    if code != 0:
        tail = "\n".join(f"    {line}" for line in lines[-TAIL_LINES:])
        raise DemoError(f"{what} failed (exit {code}); the end of {log}:\n{tail}")
    return "\n".join(lines)


def wait_for_model(api: httpx.Client, timeout: float, step: Step) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            response = api.get("/readyz")
            body = response.json()
            if response.status_code == 200:
                return body
            state = body.get("error", {}).get("message") or str(body)
        except httpx.HTTPError as exc:
            state = f"API not answering yet ({exc.__class__.__name__})"
        step.progress(state)
        time.sleep(1)
    raise DemoError(f"no model was served within {timeout:.0f}s; see .local/logs/worker.log and .local/logs/api.log")


def ingest_upload(api: httpx.Client, token: str, catalog: Path, timeout: float, step: Step) -> dict[str, Any]:
    """Upload ``catalog`` (streamed from disk) and wait for its ingest job; returns the job's result."""
    auth = {"Authorization": f"Bearer {token}"}
    with catalog.open("rb") as handle:
        response = api.post("/v1/datasets", files={"file": (catalog.name, handle, "text/csv")}, headers=auth, timeout=300)
    if response.status_code != 202:
        raise DemoError(f"POST /v1/datasets answered {response.status_code}: {response.text[:500]}")
    url, deadline = response.json()["url"], time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = api.get(url, headers=auth).json()
        step.progress(str(state["stage"]))
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
    log = stack.home / "logs" / "demo.log"
    current: Step | None = None
    try:
        current = Step(1, "starting Redis, MinIO, the worker, the ingest worker and the API")
        started = io.StringIO()
        try:
            with contextlib.redirect_stdout(started):
                stack.up(["redis", "minio", "worker", "ingest", "api"])
        except StackError:
            current.interrupt()
            print(started.getvalue(), end="", flush=True)
            raise
        current.done()
        print(started.getvalue(), end="", flush=True)  # one line per service, with its log

        api = httpx.Client(base_url=base, timeout=10)
        ready = api.get("/readyz")
        if ready.status_code == 200:
            print(f"{BOLD}[2/5] a model is already served ({ready.json().get('model_version')}): skipping ingest{RESET}")
            print(f"{BOLD}[3/5] skipped{RESET}")
        else:
            catalog = stack.home / "demo" / f"catalog-{args.rows}-{args.seed}.csv"
            current = Step(2, f"generating a demo catalog of {args.rows:,} tracks")
            if catalog.exists():
                current.done(f"reused {catalog}")
            else:
                catalog.parent.mkdir(parents=True, exist_ok=True)
                run([sys.executable, "-m", "democatalog.generate", "--rows", str(args.rows), "--seed",
                     str(args.seed), "--out", str(catalog)], env, "generating the catalog", log, current)  # fmt: skip
                current.done(str(catalog))
            current = Step(3, "uploading it to POST /v1/datasets; the ingest worker runs it with Spark (and enqueues training)")
            result = ingest_upload(api, token, catalog, args.timeout, current)
            current.done(f"dataset {result['dataset_id']}: {result['rows_kept']:,} of {result['rows_read']:,} rows kept, "
                         f"{result['rows_rejected']:,} rejected, {result['duplicates']:,} duplicates")  # fmt: skip

        current = Step(4, "waiting for the first model to be trained, published and served")
        ready_body = wait_for_model(api, args.timeout, current)
        current.done(f"serving {ready_body.get('model_version')}")

        current = None
        print(f"{BOLD}[5/5] what it serves{RESET}")
        show(api, base, token)
    except (DemoError, StackError) as exc:
        if current is not None:
            current.interrupt()
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
    print(f"\n{BOLD}Dashboard: {base}/ui/{RESET}  (models, segments, datasets, jobs, try it, health)")


if __name__ == "__main__":
    sys.exit(main())
