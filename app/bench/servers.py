"""Gunicorn servers on loopback for the HTTP scenarios, and the load generator run beside them."""

from __future__ import annotations

import http.client
import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine

from ..config import PROJECT_ROOT
from .stats import Stats

log = logging.getLogger(__name__)

VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """A gunicorn master with workers sync workers serving target (module:variable) on loopback."""

    def __init__(
        self,
        target: str,
        database_url: str,
        workers: int,
        *,
        pythonpath: str | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.env = env or {}
        self.target = target
        self.workers = workers
        self.port = free_port()
        self.database_url = database_url
        self.pythonpath = pythonpath
        self.process: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Gunicorn:
        env = os.environ | {"DATABASE_URL": self.database_url, "HONGTU_SECRET_KEY": "bench"} | self.env
        command = [
            str(VENV_BIN / "gunicorn"),
            "--workers",
            str(self.workers),
            "--worker-class",
            "sync",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--log-level",
            "warning",
            "--chdir",
            str(PROJECT_ROOT),
        ]
        if self.pythonpath:
            command += ["--pythonpath", self.pythonpath]
        self.log_path = Path(tempfile.mkstemp(prefix="hongtu-gunicorn-", suffix=".log")[1])
        with self.log_path.open("w") as log_file:
            self.process = subprocess.Popen(
                [*command, self.target], env=env, stdout=subprocess.DEVNULL, stderr=log_file
            )
        self._wait_ready()
        return self

    def _wait_ready(self, timeout_s: float = 90.0) -> None:
        # The master listens before the workers have imported the app: wait for a real HTTP answer.
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(
                    f"gunicorn {self.target} exited with {self.process.returncode}: {self.log_tail()}"
                )
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            try:
                conn.request("GET", "/_bench/hello")
                conn.getresponse().read()
                return
            except OSError:
                time.sleep(0.3)
            finally:
                conn.close()
        raise RuntimeError(f"gunicorn {self.target} did not answer within {timeout_s} s: {self.log_tail()}")

    def log_tail(self, lines: int = 15) -> str:
        """Return the end of the server's error log."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def worker_pids(self) -> list[int]:
        return _children(self.process.pid) if self.process is not None else []

    def worker_peak_rss_mb(self) -> float:
        """Return the largest peak resident set (VmHWM, MiB) among the workers."""
        if self.process is None:
            return 0.0
        return max((peak_rss_mb(pid) or 0.0 for pid in _children(self.process.pid)), default=0.0)

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log_path.unlink(missing_ok=True)


def peak_rss_mb(pid: int) -> float | None:
    """Return the peak resident set (VmHWM, MiB) of process pid, or None when it cannot be read."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _status_kb(pid: int) -> dict[str, int]:
    """Return the kB figures of /proc/<pid>/status (empty when the process is gone)."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return {}
    fields = (line.partition(":") for line in lines)
    return {key: int(value.split()[0]) for key, _, value in fields if value.strip().endswith("kB")}


BACKEND_PIDS = text(
    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
)


class BackendMemory:
    """The peak memory of all PostgreSQL backends on one database while a block runs, sampled.

    Each sample adds the backends' private memory (RssAnon) to the largest shared part any of them
    maps (RssShmem + RssFile: shared buffers and libraries, which every backend maps), so memory the
    backends share is counted once. `peak_mb` is the largest sample, in MiB.
    """

    def __init__(self, engine: Engine, period_s: float = 0.05) -> None:
        self.engine = engine
        self.period_s = period_s
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="backend-memory", daemon=True)

    def __enter__(self) -> BackendMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        with self.engine.connect() as conn:
            while not self._stop.is_set():
                figures = [_status_kb(pid) for pid in conn.execute(BACKEND_PIDS).scalars()]
                figures = [f for f in figures if f]
                if figures:
                    private = sum(f.get("RssAnon", 0) for f in figures)
                    shared = max(f.get("RssShmem", 0) + f.get("RssFile", 0) for f in figures)
                    self.peak_mb = max(self.peak_mb, (private + shared) / 1024)
                conn.rollback()
                self._stop.wait(self.period_s)


_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: Sequence[int]) -> float:
    """Return the CPU time (user + system, seconds) the processes pids have used so far (gone ones: 0)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / _TICKS


def backend_pids(engine: Engine) -> list[int]:
    """Return the process ids of the PostgreSQL backends connected to engine's database (not this one)."""
    with engine.connect() as conn:
        return list(conn.execute(BACKEND_PIDS).scalars())


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def get(url: str, timeout_s: float = 30.0) -> bytes:
    """GET url on a new connection (gunicorn's sync workers close each one) and return the body."""
    with urllib.request.urlopen(url, timeout=timeout_s) as response:
        return response.read()


WRK_SCRIPT = """
local paths = {%s}
local i = 0
request = function()
  i = i + 1
  return wrk.format(nil, paths[(i %% #paths) + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRK {"requests": %%d, "duration_us": %%d, "errors": %%d, "non2xx": %%d, ' ..
    '"p50_us": %%d, "p95_us": %%d, "p99_us": %%d}\\n', summary.requests, summary.duration,
    e.connect + e.read + e.write + e.timeout, e.status, latency:percentile(50), latency:percentile(95),
    latency:percentile(99)))
end
"""


def load(base: str, paths: Sequence[str], clients: int, duration_s: float) -> tuple[Stats, dict]:
    """Drive base with clients concurrent connections for duration_s from a second process (wrk if
    installed, else app.bench.loadgen); return latency stats with throughput, and error counts."""
    wrk = shutil.which("wrk")
    if wrk:
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(WRK_SCRIPT % ", ".join(json.dumps(p) for p in paths))
        try:
            out = subprocess.run(
                [wrk, "-t2", f"-c{clients}", f"-d{max(int(duration_s), 1)}s", "-s", script.name, base],
                capture_output=True,
                text=True,
                check=True,
                timeout=duration_s + 60,
            ).stdout
        finally:
            os.unlink(script.name)
        raw = json.loads(next(line[4:] for line in out.splitlines() if line.startswith("WRK ")))
        wall = raw["duration_us"] / 1e6
        stats = Stats(
            raw["requests"],
            raw["p50_us"] / 1000,
            raw["p95_us"] / 1000,
            raw["p99_us"] / 1000,
            raw["requests"] / wall if wall else 0.0,
        )
        return stats, {"tool": "wrk 2 threads", "errors": raw["errors"], "non2xx": raw["non2xx"]}
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "app.bench.loadgen",
            base,
            "--clients",
            str(clients),
            "--duration",
            str(duration_s),
            *paths,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=duration_s + 60,
        cwd=PROJECT_ROOT,
    ).stdout
    raw = json.loads(out)
    stats = Stats(raw["requests"], raw["p50_ms"], raw["p95_ms"], raw["p99_ms"], raw["throughput"])
    return stats, {"tool": "python threads", "errors": raw["errors"], "non2xx": raw["non2xx"]}
