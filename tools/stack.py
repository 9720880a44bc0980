"""The local stack: Redis, MinIO (and the worker and API) as background processes.

``python -m tools.stack up|down|status|env``. Data, logs, process ids and generated
secrets live under one ignored folder (``.local/`` by default). ``down`` stops only what
``up`` started, by the process ids it recorded. The same functions start the throw-away
servers of the test suite on free loopback ports.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
VERSIONS = ROOT / "tools" / "versions.env"


class StackError(RuntimeError):
    """A service could not be started or stopped; the message says which and why."""


def read_env_file(path: Path) -> dict[str, str]:
    values = {}
    if path.exists():
        for line in path.read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, value = line.split("=", 1)
                values[key.strip()] = value.strip()
    return values


def cache_dir() -> Path:
    return Path(os.environ.get("MUSICREC_CACHE", Path.home() / ".cache" / "musicrec"))


def minio_binary() -> Path:
    explicit = os.environ.get("MUSICREC_MINIO_BIN")
    if explicit:
        return Path(explicit)
    version = read_env_file(VERSIONS)["MINIO_VERSION"]
    return cache_dir() / "minio" / version / "minio"


def redis_binary() -> str:
    found = shutil.which("redis-server")
    if not found:
        raise StackError("redis-server not found: run `make setup` (or apt-get install redis-server)")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child is not alive
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1.0) as response:
            return 200 <= response.status < 300
    except (urllib.error.URLError, OSError):
        return False


def redis_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@dataclass
class Process:
    """One background server: how to start it and how to tell that it is healthy."""

    name: str
    argv: list[str]
    port: int
    healthy: Callable[[], bool]
    log: Path
    env: dict[str, str] = field(default_factory=dict)
    popen: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> "Process":
        if port_in_use(self.port):
            raise StackError(
                f"{self.name}: port {self.port} on 127.0.0.1 is already in use by another process; "
                f"stop it or choose another port"
            )
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as out:
            self.popen = subprocess.Popen(
                self.argv,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, **self.env},
                start_new_session=True,
            )
        self.wait_healthy(timeout)
        return self

    def wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen is not None and self.popen.poll() is not None:
                raise StackError(f"{self.name} exited with code {self.popen.returncode}; its log says:\n{tail(self.log)}")
            if self.healthy():
                return
            time.sleep(0.1)
        self.stop()
        raise StackError(f"{self.name} did not become healthy on port {self.port} within {timeout:.0f}s:\n{tail(self.log)}")

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def stop(self, timeout: float = 15.0) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        stop_pid(self.popen.pid, timeout)
        try:
            self.popen.wait(timeout=1)
        except subprocess.TimeoutExpired:
            pass


def stop_pid(pid: int, timeout: float = 15.0) -> bool:
    """SIGTERM, wait, then SIGKILL. Returns True if the process was running."""
    if not pid_alive(pid):
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)
    return True


def redis_process(data_dir: Path, port: int, log: Path) -> Process:
    data_dir.mkdir(parents=True, exist_ok=True)
    argv = [
        redis_binary(), "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data_dir),
        "--appendonly", "yes", "--appendfsync", "everysec", "--save", "", "--daemonize", "no",
        "--protected-mode", "yes", "--logfile", "",
    ]  # fmt: skip
    return Process("redis", argv, port, lambda: redis_ping(port), log)


def minio_process(data_dir: Path, port: int, console_port: int, user: str, password: str, log: Path) -> Process:
    binary = minio_binary()
    if not binary.exists():
        raise StackError(f"MinIO binary not found at {binary}: run `make setup` to build it")
    data_dir.mkdir(parents=True, exist_ok=True)
    argv = [str(binary), "server", str(data_dir), "--address", f"127.0.0.1:{port}",
            "--console-address", f"127.0.0.1:{console_port}", "--quiet"]  # fmt: skip
    env = {"MINIO_ROOT_USER": user, "MINIO_ROOT_PASSWORD": password, "MINIO_BROWSER": "off"}
    # "cluster" health: ready to serve requests (right after start "live" answers while S3 calls still get 503)
    return Process("minio", argv, port, lambda: http_ok(f"http://127.0.0.1:{port}/minio/health/cluster"), log, env)


# --- the local stack (make up / make down) ------------------------------------------------------


class LocalStack:
    """The developer stack under one folder: config in ``stack.env``, pids in ``run/``."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.config_path = home / "stack.env"

    def config(self) -> dict[str, str]:
        """Ports and secrets; generated on first use and kept (never committed)."""
        values = read_env_file(self.config_path)
        defaults = {
            "MUSICREC_REDIS_PORT": "6379",
            "MUSICREC_MINIO_PORT": "9000",
            "MUSICREC_MINIO_CONSOLE_PORT": "9001",
            "MUSICREC_API_PORT": "8000",
            "MUSICREC_S3_ACCESS_KEY": "musicrec",
            "MUSICREC_S3_SECRET_KEY": secrets.token_urlsafe(24),
            "MUSICREC_OPERATOR_TOKEN": secrets.token_urlsafe(32),
            "MUSICREC_S3_BUCKET": "musicrec",
        }
        missing = {k: v for k, v in defaults.items() if k not in values}
        if missing:
            values.update(missing)
            self.home.mkdir(parents=True, exist_ok=True)
            self.config_path.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
            self.config_path.chmod(0o600)
        return values

    def client_env(self) -> dict[str, str]:
        """The MUSICREC_* variables that every service and CLI needs to reach this stack."""
        c = self.config()
        return {
            "MUSICREC_REDIS_URL": f"redis://127.0.0.1:{c['MUSICREC_REDIS_PORT']}/0",
            "MUSICREC_S3_ENDPOINT": f"http://127.0.0.1:{c['MUSICREC_MINIO_PORT']}",
            "MUSICREC_S3_ACCESS_KEY": c["MUSICREC_S3_ACCESS_KEY"],
            "MUSICREC_S3_SECRET_KEY": c["MUSICREC_S3_SECRET_KEY"],
            "MUSICREC_S3_BUCKET": c["MUSICREC_S3_BUCKET"],
            "MUSICREC_OPERATOR_TOKEN": c["MUSICREC_OPERATOR_TOKEN"],
            "MUSICREC_API_PORT": c["MUSICREC_API_PORT"],
        }

    def processes(self) -> dict[str, Callable[[], Process]]:
        c = self.config()
        logs = self.home / "logs"
        python = sys.executable
        app_env = self.client_env()
        return {
            "redis": lambda: redis_process(self.home / "redis", int(c["MUSICREC_REDIS_PORT"]), logs / "redis.log"),
            "minio": lambda: minio_process(
                self.home / "minio", int(c["MUSICREC_MINIO_PORT"]), int(c["MUSICREC_MINIO_CONSOLE_PORT"]),
                c["MUSICREC_S3_ACCESS_KEY"], c["MUSICREC_S3_SECRET_KEY"], logs / "minio.log",
            ),  # fmt: skip
            "worker": lambda: Process(
                "worker", [python, "-m", "services.worker"], 0,
                lambda: True, logs / "worker.log", app_env,
            ),  # fmt: skip
            "ingest": lambda: Process(
                "ingest", [python, "-m", "services.ingest", "serve"], 0,
                lambda: True, logs / "ingest.log", app_env,
            ),  # fmt: skip
            "api": lambda: Process(
                "api", [python, "-m", "services.api"], int(c["MUSICREC_API_PORT"]),
                lambda: http_ok(f"http://127.0.0.1:{c['MUSICREC_API_PORT']}/healthz"), logs / "api.log", app_env,
            ),  # fmt: skip
        }

    def pidfile(self, name: str) -> Path:
        return self.home / "run" / f"{name}.pid"

    def running_pid(self, name: str) -> int | None:
        path = self.pidfile(name)
        if path.exists():
            pid = int(path.read_text().strip() or 0)
            if pid and pid_alive(pid):
                return pid
            path.unlink()
        return None

    def up(self, names: list[str]) -> None:
        factories = self.processes()
        for name in names:
            pid = self.running_pid(name)
            if pid:
                print(f"  {name:7s} already running (pid {pid})")
                continue
            process = factories[name]()
            if process.port and port_in_use(process.port):
                raise StackError(
                    f"{name}: port {process.port} is already in use by a process this stack did not start; "
                    f"stop it or set another port in {self.config_path}"
                )
            process.env = {**process.env, "PYTHONUNBUFFERED": "1"}
            started = time.monotonic()
            process.start(timeout=120)
            self.pidfile(name).parent.mkdir(parents=True, exist_ok=True)
            self.pidfile(name).write_text(str(process.pid))
            where = f"127.0.0.1:{process.port}" if process.port else "background"
            print(f"  {name:7s} started (pid {process.pid}, {where}, {time.monotonic() - started:.1f}s, log {process.log})")
            if name == "minio":
                self.ensure_bucket()

    def ensure_bucket(self) -> None:
        from shared.storage import ObjectStore

        env = self.client_env()
        ObjectStore(env["MUSICREC_S3_ENDPOINT"], env["MUSICREC_S3_ACCESS_KEY"], env["MUSICREC_S3_SECRET_KEY"],
                    env["MUSICREC_S3_BUCKET"]).ensure_bucket()  # fmt: skip

    def down(self, names: list[str]) -> None:
        for name in reversed(names):
            pid = self.running_pid(name)
            if pid is None:
                print(f"  {name:7s} not running")
                continue
            stop_pid(pid)
            self.pidfile(name).unlink(missing_ok=True)
            print(f"  {name:7s} stopped (pid {pid})")

    def status(self, names: list[str]) -> int:
        down = 0
        for name in names:
            pid = self.running_pid(name)
            print(f"  {name:7s} {'running (pid %d)' % pid if pid else 'stopped'}")
            down += pid is None
        return down


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.stack", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["up", "down", "status", "env"])
    parser.add_argument("services", nargs="*", help="default: redis minio")
    parser.add_argument("--home", default=os.environ.get("MUSICREC_HOME", str(ROOT / ".local")))
    args = parser.parse_args(argv)
    stack = LocalStack(Path(args.home))
    names = args.services or ["redis", "minio"]
    unknown = set(names) - set(stack.processes())
    if unknown:
        parser.error(f"unknown service(s) {sorted(unknown)}; choose from {sorted(stack.processes())}")
    try:
        if args.command == "env":
            print("".join(f"export {k}={v}\n" for k, v in stack.client_env().items()), end="")
        elif args.command == "up":
            stack.up(names)
        elif args.command == "down":
            stack.down(names)
        else:
            return 1 if stack.status(names) else 0
    except StackError as exc:
        print(f"stack: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
