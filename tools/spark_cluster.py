"""A Spark standalone cluster on loopback, from the pyspark distribution: one master and N
workers started with ``spark-class org.apache.spark.deploy.master.Master`` / ``…worker.Worker``.

Used by the ``cluster`` tests and ``make bench-scale``. ``python -m tools.spark_cluster
[--workers 2]`` starts one in the foreground and prints its ``SPARK_MASTER`` until Ctrl-C.
Workers may run another Spark release (``worker_home``, e.g. :func:`other_spark_home`), as a
cluster whose image is not pyspark's version would.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from tools.stack import VERSIONS, Process, StackError, cache_dir, free_port, read_env_file


def spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent


def other_spark_home() -> Path:
    """The Spark home of ``OTHER_SPARK_VERSION`` (tools/versions.env): the ``bin`` and ``jars`` of its
    pyspark source distribution, fetched from PyPI by pip once, checked against the pinned sha256,
    unpacked into the cache."""
    pinned = read_env_file(VERSIONS)
    version, sha256 = pinned["OTHER_SPARK_VERSION"], pinned["OTHER_SPARK_SHA256"]
    home = cache_dir() / "spark" / version
    if (home / "bin" / "spark-class").exists():
        return home
    with tempfile.TemporaryDirectory() as folder:
        fetched = subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
                                  "--dest", folder, f"pyspark=={version}"], capture_output=True, text=True)  # fmt: skip
        if fetched.returncode != 0:
            raise StackError(f"could not fetch pyspark {version} from PyPI: {fetched.stderr.strip()[-500:]}")
        [archive] = Path(folder).glob("pyspark-*.tar.gz")
        with archive.open("rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
        if digest != sha256:
            raise StackError(f"{archive.name} has sha256 {digest}, not the {sha256} pinned in tools/versions.env")
        staging = home.with_name(f"{version}.partial")
        shutil.rmtree(staging, ignore_errors=True)
        prefix = f"pyspark-{version}/deps/"
        with tarfile.open(archive) as tar:
            members = [m for m in tar.getmembers() if m.name.startswith((prefix + "bin/", prefix + "jars/"))]
            for member in members:
                member.name = member.name.removeprefix(prefix)
            tar.extractall(staging, members=members, filter="data")
        staging.rename(home)
    return home


def master_state(ui_port: int) -> dict | None:
    """The master's own JSON status page (its web UI's ``/json/``), or None when it does not answer."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{ui_port}/json/", timeout=1.0) as response:
            return json.load(response)
    except (urllib.error.URLError, OSError, ValueError):
        return None


def alive_workers(ui_port: int) -> set[int]:
    """The RPC ports of the workers the master holds alive."""
    state = master_state(ui_port) or {}
    return {worker.get("port") for worker in state.get("workers", []) if worker.get("state") == "ALIVE"}


@dataclass
class SparkCluster:
    home: Path
    workers: int = 2
    cores: int = 1
    memory: str = "1g"
    worker_home: Path | None = None  # the Spark home the workers run from; pyspark's by default
    port: int = field(default_factory=free_port)
    ui_port: int = field(default_factory=free_port)
    master: Process | None = None
    worker_processes: list[Process] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"spark://127.0.0.1:{self.port}"

    def _env(self, name: str, home: Path) -> dict[str, str]:
        logs = self.home / "logs"
        return {"SPARK_HOME": str(home), "SPARK_LOCAL_IP": "127.0.0.1", "SPARK_LOG_DIR": str(logs),
                "SPARK_WORKER_DIR": str(self.home / name), "SPARK_DAEMON_MEMORY": "256m"}  # fmt: skip

    @staticmethod
    def _spark_class(home: Path, cls: str, *args: str) -> list[str]:
        return [str(home / "bin" / "spark-class"), cls, *args]

    def start(self, timeout: float = 90.0) -> "SparkCluster":
        self.home.mkdir(parents=True, exist_ok=True)
        argv = self._spark_class(spark_home(), "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(self.port),
                                 "--webui-port", str(self.ui_port))  # fmt: skip
        self.master = Process("spark-master", argv, self.port, lambda: master_state(self.ui_port) is not None,
                              self.home / "master.log", self._env("master", spark_home()))  # fmt: skip
        self.master.start(timeout)
        try:
            with ThreadPoolExecutor(max(1, self.workers)) as pool:  # the JVMs start side by side
                list(pool.map(lambda _: self.add_worker(timeout), range(self.workers)))
        except BaseException:
            self.stop()
            raise
        return self

    def add_worker(self, timeout: float = 90.0) -> Process:
        with self._lock:
            name, port = f"worker-{len(self.worker_processes)}", free_port()
        home = self.worker_home or spark_home()
        argv = self._spark_class(home, "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--port", str(port),
                                 "--webui-port", str(free_port()), "--cores", str(self.cores), "--memory", self.memory,
                                 "--work-dir", str(self.home / name), self.url)  # fmt: skip
        worker = Process(f"spark-{name}", argv, port, lambda: port in alive_workers(self.ui_port),
                         self.home / f"{name}.log", self._env(name, home))  # fmt: skip
        with self._lock:
            self.worker_processes.append(worker)
        return worker.start(timeout)

    def kill_worker(self, n: int) -> list[int]:
        """SIGKILL worker ``n`` and the executors it launched, as a machine that is lost; returns their pids."""
        worker = self.worker_processes[n]
        try:
            family = [psutil.Process(worker.pid), *psutil.Process(worker.pid).children(recursive=True)]
        except psutil.NoSuchProcess:
            return []
        for process in family:
            try:
                process.send_signal(signal.SIGKILL)
            except psutil.NoSuchProcess:
                pass
        psutil.wait_procs(family, timeout=10)
        return [p.pid for p in family]

    def stop(self) -> None:
        for process in [*self.worker_processes, self.master]:
            if process is None or process.popen is None:
                continue
            try:
                children = psutil.Process(process.pid).children(recursive=True)
            except psutil.NoSuchProcess:
                children = []
            process.stop(timeout=10)
            for child in children:  # an executor outliving its worker
                try:
                    child.kill()
                except psutil.NoSuchProcess:
                    pass

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.log.read_text(errors='replace')[-2000:]}" for p in [self.master, *self.worker_processes]
                         if p is not None and p.log.exists())  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.spark_cluster", description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--memory", default="1g", help="memory of each worker")
    args = parser.parse_args(argv)
    home = Path(tempfile.mkdtemp(prefix="musicrec-spark-"))
    cluster = SparkCluster(home, workers=args.workers, memory=args.memory)
    try:
        cluster.start()
        print(f"SPARK_MASTER={cluster.url}  (master UI http://127.0.0.1:{cluster.ui_port}; Ctrl-C stops it)", flush=True)
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
    except StackError as exc:
        print(exc)
        return 1
    finally:
        cluster.stop()
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
