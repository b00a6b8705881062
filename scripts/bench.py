#!/usr/bin/env python3
"""Load Rampart and the DRF reference with wrk on loopback and print the comparison.

`make bench` runs the full benchmark and `make bench-quick` a short one (a few seconds per
endpoint, Rampart on the embedded default, the reference only when its virtual environment is
already installed). Everything the run needs is started here and stopped at the end:

- Rampart (release build) on the embedded default, SQLite and in-process stores;
- Rampart on PostgreSQL and Redis, both throwaway servers from the local binaries on free
  loopback ports, or on SQLite and Redis when the binary does not accept a PostgreSQL URL;
- the same two with `RAMPART_BENCH_STACK_OFF=1`, which leaves out the security middleware, to
  measure what it costs;
- the DRF reference from ../shared/anchors/drf, copied to a writable directory and started with
  its own start.sh (its PostgreSQL on 55432, Redis on 56379, gunicorn on 58000).

Rampart's request throttles and login limits are raised through configuration so that the run
measures the work and not the 429 path, as the reference's `ANCHOR_THROTTLE_MODE=bench` does.
Both hash passwords with argon2id at m=19456 KiB, t=2, p=1.

Only the Python 3.11 standard library is used. Every load is bounded in time and aimed at
127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime
import json
import os
import pathlib
import platform
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

REPO = pathlib.Path(__file__).resolve().parent.parent
REFERENCE_SOURCE = REPO.parent / "shared" / "anchors" / "drf"
# The copy keeps its virtual environment between runs. It is outside /root because the
# reference's start.sh runs PostgreSQL as the `postgres` user, which must write its log there.
REFERENCE_CACHE = pathlib.Path(
    os.environ.get("RAMPART_BENCH_CACHE", "/var/tmp/rampart-bench")
) / "drf-anchor"
# Ports of the reference's own servers; nothing started here may take them.
REFERENCE_PORTS = {55432, 56379, 58000}
REFERENCE_URL = "http://127.0.0.1:58000"
REFERENCE_MEMBER = ("member", "Anchor-member-pass-2024")

MEMBER = ("member", "Velvet-Harbor-42")
ADMIN = ("root", "Copper-Lantern-19")
SEED_POSTS = 100
CATEGORIES = ("general", "engineering", "security")

# argon2id parameters of both services: Rampart's defaults and the reference's `owasp` profile.
ARGON2 = {"memory_kib": 19456, "iterations": 2, "parallelism": 1}

# Limits far above anything a run can reach, so no request of the benchmark gets a 429.
RAISED_REQUEST_LIMIT = "1000000000"
RAISED_LOGIN_LIMIT = "1000000000"
# Hashing jobs allowed in flight: more than the wrk connections of any run, so that logins
# queue as they do in gunicorn's backlog instead of getting 503.
BENCH_HASH_QUEUE = "256"

START_TIMEOUT = 60.0
REFERENCE_START_TIMEOUT = 600.0
REFERENCE_QUICK_START_TIMEOUT = 120.0

# Rounds of stack-on and stack-off runs per endpoint and configuration in the full mode. The
# cost is a difference of two rates a few percent apart, so one pair of runs is too noisy on a
# shared machine.
STACK_ROUNDS = 3

ENDPOINTS = {
    "health": "GET /health/live",
    "posts": "GET /api/v1/posts?page=1&page_size=20 (anonymous)",
    "me": "GET /api/v1/users/me (Bearer)",
    "login": "POST /api/v1/auth/login (correct password)",
}
PATHS = {
    "health": "/health/live",
    "posts": "/api/v1/posts?page=1&page_size=20",
    "me": "/api/v1/users/me",
    "login": "/api/v1/auth/login",
}


class BenchError(Exception):
    """A benchmark step failed; the message names the step and how to fix it."""


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# --- settings -------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Settings:
    quick: bool
    duration: int
    warmup: int
    threads: int
    connections: int
    flood_connections: int
    binary: pathlib.Path | None
    reference: str
    backend: str
    output: pathlib.Path | None
    endpoints: tuple[str, ...] = tuple(ENDPOINTS)
    flood_runs: bool = True

    @property
    def mode(self) -> str:
        return "quick" if self.quick else "full"


def parse_args(argv: list[str]) -> Settings:
    parser = argparse.ArgumentParser(
        description="Load Rampart and the DRF reference with wrk on 127.0.0.1 and print a "
        "comparison table."
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="short run: 2 s per endpoint after 1 s of warm-up, Rampart on the embedded "
        "default only, the reference only if its virtual environment is already installed",
    )
    parser.add_argument("--duration", type=int, help="seconds measured per run (full: 10)")
    parser.add_argument("--warmup", type=int, help="seconds of warm-up per run (full: 3)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument(
        "--connections", type=int, default=32, help="wrk connections (default 32)"
    )
    parser.add_argument(
        "--flood-connections",
        type=int,
        default=8,
        help="connections of the login flood beside the reads (default 8)",
    )
    parser.add_argument(
        "--binary",
        type=pathlib.Path,
        help="rampart binary to run instead of building target/release/rampart",
    )
    parser.add_argument(
        "--reference",
        choices=("auto", "on", "off"),
        default="auto",
        help="run the DRF reference: auto (default) runs it when it starts, on fails without "
        "it, off skips it",
    )
    parser.add_argument(
        "--backend",
        choices=("auto", "postgres", "sqlite"),
        default="auto",
        help="database of the Redis configuration: auto (default) uses PostgreSQL when the "
        "binary accepts a PostgreSQL URL, else SQLite",
    )
    parser.add_argument(
        "--output", type=pathlib.Path, help="also write the report (Markdown) to this file"
    )
    parser.add_argument(
        "--endpoints",
        default=",".join(ENDPOINTS),
        help="comma-separated endpoints to load, of " + ", ".join(ENDPOINTS) + " (default: all); "
        "the login-flood runs need posts and login",
    )
    args = parser.parse_args(argv)
    endpoints = tuple(name.strip() for name in args.endpoints.split(",") if name.strip())
    unknown = [name for name in endpoints if name not in ENDPOINTS]
    if unknown or not endpoints:
        parser.error(f"--endpoints takes names of {', '.join(ENDPOINTS)}, got {args.endpoints!r}")

    duration = args.duration
    if duration is None:
        duration = 2 if args.quick else 10
    warmup = args.warmup
    if warmup is None:
        warmup = 1 if args.quick else 3
    if duration < 1 or warmup < 0 or args.threads < 1 or args.connections < args.threads:
        parser.error("duration must be 1 or more and connections at least the threads")
    return Settings(
        quick=args.quick,
        duration=duration,
        warmup=warmup,
        threads=args.threads,
        connections=args.connections,
        flood_connections=args.flood_connections,
        binary=args.binary,
        reference=args.reference,
        backend=args.backend,
        output=args.output,
        endpoints=endpoints,
        flood_runs="posts" in endpoints and "login" in endpoints,
    )


# --- programs --------------------------------------------------------------------------------


def find_pg_bin() -> pathlib.Path | None:
    """Returns the directory of initdb and pg_ctl of the highest installed PostgreSQL."""
    if "RAMPART_PG_BINDIR" in os.environ:
        return pathlib.Path(os.environ["RAMPART_PG_BINDIR"])
    found = []
    for entry in pathlib.Path("/usr/lib/postgresql").glob("*/bin"):
        if (entry / "initdb").is_file() and entry.parent.name.isdigit():
            found.append((int(entry.parent.name), entry))
    return max(found)[1] if found else None


def ensure_programs(settings: Settings) -> None:
    """Installs the missing programs with apt-get as root, or raises naming the command.

    The quick mode needs wrk alone; the full mode also redis-server and PostgreSQL.
    """
    missing = []
    if shutil.which("wrk") is None:
        missing.append("wrk")
    if not settings.quick and shutil.which("redis-server") is None:
        missing.append("redis-server")
    if not settings.quick and find_pg_bin() is None:
        missing.append("postgresql")
    if not missing:
        return
    command = f"apt-get update && apt-get install -y {' '.join(missing)}"
    if os.geteuid() != 0:
        raise BenchError(f"missing {', '.join(missing)}: install with `sudo {command}`")
    log(f"installing {', '.join(missing)} with apt-get")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
        check=True,
        env=env,
    )


def build_binary(settings: Settings) -> pathlib.Path:
    if settings.binary is not None:
        if not settings.binary.is_file():
            raise BenchError(f"--binary {settings.binary} does not exist")
        return settings.binary.resolve()
    log("building the release binary (cargo build --release -p rampart)")
    cargo = os.environ.get("CARGO", "cargo")
    result = subprocess.run([cargo, "build", "--release", "-p", "rampart"], cwd=REPO)
    if result.returncode != 0:
        raise BenchError("cargo build --release -p rampart failed")
    target_dir = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    return (REPO / target_dir / "release" / "rampart").resolve()


def free_port() -> int:
    """Returns a loopback port that was free a moment ago and is not one of the reference's."""
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port not in REFERENCE_PORTS:
            return port


def wait_http(url: str, timeout: float, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise BenchError(f"{process.args[0]} exited with {process.returncode}: {last}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
                last = f"status {response.status}"
        except (urllib.error.URLError, OSError) as error:
            last = str(error)
        time.sleep(0.1)
    raise BenchError(f"{url} did not return 200 within {timeout:.0f} s: {last}")


def stop_process(process: subprocess.Popen, grace: float = 15.0) -> None:
    """Sends SIGTERM to a process this script started and waits, then SIGKILL."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# --- HTTP client -----------------------------------------------------------------------------


def call(
    base: str, method: str, path: str, body: dict | None = None, token: str | None = None
) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read()
            return response.status, json.loads(text) if text else {}
    except urllib.error.HTTPError as error:
        text = error.read()
        try:
            return error.code, json.loads(text) if text else {}
        except json.JSONDecodeError:
            return error.code, {"raw": text.decode(errors="replace")}


def expect(status: int, body: dict, expected: int, step: str) -> dict:
    if status != expected:
        raise BenchError(f"{step}: expected status {expected}, got {status}: {body}")
    return body


def login(base: str, username: str, password: str) -> str:
    status, body = call(
        base, "POST", "/api/v1/auth/login", {"username": username, "password": password}
    )
    return expect(status, body, 200, f"login as {username}")["access_token"]


# --- memory sampling -------------------------------------------------------------------------


def process_tree(root: int) -> list[int]:
    """Returns `root` and its descendants, from the parent ids in /proc."""
    children: dict[int, list[int]] = {}
    for entry in pathlib.Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name in brackets may hold spaces; the parent id follows the last ')'.
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 1:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    tree, pending = [], [root]
    while pending:
        pid = pending.pop()
        tree.append(pid)
        pending.extend(children.get(pid, []))
    return tree


def rss_kib(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
                    break
        except OSError:
            continue
    return total


class RssSampler:
    """Samples the summed VmRSS of a process tree every 0.2 s and keeps the peak."""

    INTERVAL = 0.2

    def __init__(self, root_pid: int):
        self.root_pid = root_pid
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_kib = max(self.peak_kib, rss_kib(process_tree(self.root_pid)))
            self._stop.wait(self.INTERVAL)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


# --- wrk -------------------------------------------------------------------------------------

REPORT_LUA = """
done = function(summary, latency, requests)
  local out = io.open("%(out)s", "w")
  out:write(string.format(
    '{"requests":%%d,"duration_us":%%d,"connect":%%d,"read":%%d,"write":%%d,' ..
    '"status":%%d,"timeout":%%d,"p50_us":%%d,"p99_us":%%d,"max_us":%%d}',
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
  out:close()
end
"""

LOGIN_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '%(body)s'
"""


@dataclasses.dataclass
class WrkResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int
    peak_rss_kib: int = 0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def combine(results: list[WrkResult]) -> WrkResult:
    """Adds up runs of one server and endpoint: requests and seconds summed, so the rate is
    over all of them, and the median run's latencies."""
    by_p99 = sorted(results, key=lambda result: result.p99_ms)
    middle = by_p99[len(by_p99) // 2]
    return WrkResult(
        requests=sum(result.requests for result in results),
        seconds=sum(result.seconds for result in results),
        p50_ms=middle.p50_ms,
        p99_ms=middle.p99_ms,
        non_2xx=sum(result.non_2xx for result in results),
        socket_errors=sum(result.socket_errors for result in results),
        peak_rss_kib=max(result.peak_rss_kib for result in results),
    )


@dataclasses.dataclass
class Target:
    """One server and what wrk needs to load it."""

    name: str
    base: str
    token: str
    login_body: str
    pid: int
    drain: bool = False
    peak_rss_kib: int = 0


class Wrk:
    def __init__(self, settings: Settings, work: pathlib.Path):
        self.settings = settings
        self.work = work
        self.count = 0

    def script(self, target: Target, endpoint: str, out: pathlib.Path) -> pathlib.Path:
        self.count += 1
        path = self.work / f"wrk-{self.count}.lua"
        text = ""
        if endpoint == "login":
            text += LOGIN_LUA % {"body": target.login_body}
        text += REPORT_LUA % {"out": out}
        path.write_text(text)
        return path

    def command(
        self, target: Target, endpoint: str, seconds: int, connections: int, out: pathlib.Path
    ) -> list[str]:
        threads = min(self.settings.threads, connections)
        command = [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "30s",
            "-s",
            str(self.script(target, endpoint, out)),
        ]
        if endpoint == "me":
            command += ["-H", f"Authorization: Bearer {target.token}"]
        return command + [target.base + PATHS[endpoint]]

    def run(self, target: Target, endpoint: str, connections: int | None = None) -> WrkResult:
        """Warms up, then measures one endpoint while sampling the server's memory."""
        connections = connections or self.settings.connections
        if self.settings.warmup:
            self._wrk(target, endpoint, self.settings.warmup, connections)
        with RssSampler(target.pid) as sampler:
            result = self._wrk(target, endpoint, self.settings.duration, connections)
        result.peak_rss_kib = sampler.peak_kib
        target.peak_rss_kib = max(target.peak_rss_kib, sampler.peak_kib)
        return result

    def start(
        self, target: Target, endpoint: str, seconds: int, connections: int
    ) -> tuple[subprocess.Popen, pathlib.Path]:
        out = self.work / f"result-{self.count + 1}.json"
        command = self.command(target, endpoint, seconds, connections, out)
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        return process, out

    def finish(self, target: Target, process: subprocess.Popen, out: pathlib.Path) -> WrkResult:
        limit = self.settings.duration + self.settings.warmup + 60
        try:
            _, stderr = process.communicate(timeout=limit)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            raise BenchError(f"wrk on {target.name} did not finish within {limit} s")
        if process.returncode != 0 or not out.is_file():
            raise BenchError(f"wrk on {target.name} failed: {stderr.decode(errors='replace')}")
        if target.drain:
            # A gunicorn sync worker finishes every connection it accepted even after wrk
            # closed it; wait until a request passes the queue before measuring on.
            wait_http(target.base + "/health/live", 300)
        data = json.loads(out.read_text())
        return WrkResult(
            requests=data["requests"],
            seconds=data["duration_us"] / 1e6,
            p50_ms=data["p50_us"] / 1000,
            p99_ms=data["p99_us"] / 1000,
            non_2xx=data["status"],
            socket_errors=data["connect"] + data["read"] + data["write"] + data["timeout"],
        )

    def _wrk(self, target: Target, endpoint: str, seconds: int, connections: int) -> WrkResult:
        process, out = self.start(target, endpoint, seconds, connections)
        return self.finish(target, process, out)


# --- servers ---------------------------------------------------------------------------------


class Redis:
    """A throwaway redis-server on a free loopback port with a random password."""

    def __init__(self, work: pathlib.Path):
        self.port = free_port()
        self.password = secrets.token_hex(16)
        self.dir = work / "redis"
        self.dir.mkdir()
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--requirepass", self.password,
                "--save", "",
                "--appendonly", "no",
                "--dir", str(self.dir),
            ],
            stdout=open(self.dir / "redis.log", "w"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(
                ("127.0.0.1", self.port), timeout=0.2
            ):
                return
            time.sleep(0.05)
        raise BenchError(f"redis-server did not listen on 127.0.0.1:{self.port}")

    def url(self) -> str:
        return f"redis://:{self.password}@127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        stop_process(self.process)


class Postgres:
    """A throwaway PostgreSQL cluster on a free loopback port, password login over TCP.

    As root the server binaries run as the `postgres` user, which they require.
    """

    def __init__(self, work: pathlib.Path, bin_dir: pathlib.Path):
        self.bin = bin_dir
        self.port = free_port()
        self.password = secrets.token_hex(16)
        self.root = pathlib.Path(tempfile.mkdtemp(prefix="rampart-bench-pg-"))
        self.data = self.root / "data"
        self.started = False
        pwfile = self.root / "pwfile"
        pwfile.write_text(self.password)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
            shutil.chown(pwfile, "postgres", "postgres")
        self._run(
            self._as_server(
                "initdb", "-D", str(self.data), "-U", "postgres", "-A", "scram-sha-256",
                "-E", "UTF8", "--locale=C.UTF-8", f"--pwfile={pwfile}",
            ),
            "initdb",
        )
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(
                "\n# rampart bench\nlisten_addresses = '127.0.0.1'\n"
                f"port = {self.port}\nunix_socket_directories = '{self.root}'\n"
                "max_connections = 100\n"
            )
        self._run(
            self._as_server(
                "pg_ctl", "-D", str(self.data), "-l", str(self.root / "postgres.log"),
                "-w", "-t", "60", "start",
            ),
            "pg_ctl start",
        )
        self.started = True

    def _as_server(self, program: str, *args: str) -> list[str]:
        command = [str(self.bin / program), *args]
        if os.geteuid() == 0:
            return ["runuser", "-u", "postgres", "--", *command]
        return command

    @staticmethod
    def _run(command: list[str], step: str, stdin: str | None = None) -> None:
        result = subprocess.run(command, input=stdin, capture_output=True, text=True)
        if result.returncode != 0:
            raise BenchError(f"{step} failed: {result.stdout}{result.stderr}")

    def url(self, user: str, password: str, database: str) -> str:
        return f"postgresql://{user}:{password}@127.0.0.1:{self.port}/{database}?sslmode=disable"

    def create_database(self, name: str) -> tuple[str, str]:
        """Creates a database and its roles with docs/postgres-roles.sql; returns the owner
        and runtime URLs."""
        owner_password, app_password = secrets.token_hex(16), secrets.token_hex(16)
        psql = shutil.which("psql") or str(self.bin / "psql")
        self._run(
            [
                psql, "-X", "-q",
                "-v", f"database={name}",
                "-v", f"owner_role={name}_owner", "-v", f"owner_password={owner_password}",
                "-v", f"app_role={name}_app", "-v", f"app_password={app_password}",
                "-f", str(REPO / "docs" / "postgres-roles.sql"),
                "-d", self.url("postgres", self.password, "postgres"),
            ],
            "docs/postgres-roles.sql",
        )
        return (
            self.url(f"{name}_owner", owner_password, name),
            self.url(f"{name}_app", app_password, name),
        )

    def stop(self) -> None:
        if self.started:
            subprocess.run(
                self._as_server("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop"),
                capture_output=True,
            )
            self.started = False
        shutil.rmtree(self.root, ignore_errors=True)


class Rampart:
    """One `rampart serve` with its own data and log directories."""

    def __init__(
        self,
        binary: pathlib.Path,
        work: pathlib.Path,
        label: str,
        extra_env: dict[str, str],
        stack_off: bool = False,
    ):
        self.binary = binary
        self.label = label
        self.dir = work / label.replace(" ", "-").replace(",", "").replace("+", "")
        self.dir.mkdir()
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "RAMPART_ENV": "development",
            "RAMPART_LISTEN": f"127.0.0.1:{self.port}",
            "RAMPART_DATA_DIR": str(self.dir / "data"),
            "RAMPART_LOG_DIR": str(self.dir / "logs"),
            "RUST_LOG": "info",
            "RAMPART_LIMITS_IP_PER_MINUTE": RAISED_REQUEST_LIMIT,
            "RAMPART_LIMITS_ANONYMOUS_PER_HOUR": RAISED_REQUEST_LIMIT,
            "RAMPART_LIMITS_AUTHENTICATED_PER_HOUR": RAISED_REQUEST_LIMIT,
            "RAMPART_LIMITS_LOGIN_FAILURES_PER_PAIR": RAISED_LOGIN_LIMIT,
            "RAMPART_LIMITS_LOGIN_FAILURES_PER_USERNAME": RAISED_LOGIN_LIMIT,
            "RAMPART_LIMITS_LOGIN_FAILURES_PER_IP": RAISED_LOGIN_LIMIT,
            "RAMPART_PASSWORD_HASH_QUEUE": BENCH_HASH_QUEUE,
            "RAMPART_PASSWORD_ARGON2_MEMORY_KIB": str(ARGON2["memory_kib"]),
            "RAMPART_PASSWORD_ARGON2_ITERATIONS": str(ARGON2["iterations"]),
            "RAMPART_PASSWORD_ARGON2_PARALLELISM": str(ARGON2["parallelism"]),
            **extra_env,
        }
        if stack_off:
            self.env["RAMPART_BENCH_STACK_OFF"] = "1"
        self.process: subprocess.Popen | None = None

    def run(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(self.binary), *args],
            env=self.env,
            cwd=self.dir,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def start(self) -> None:
        stdout = open(self.dir / "stdout.log", "w")
        self.process = subprocess.Popen(
            [str(self.binary), "serve"],
            env=self.env,
            cwd=self.dir,
            stdout=stdout,
            stderr=open(self.dir / "stderr.log", "w"),
        )
        try:
            wait_http(self.base + "/health/ready", START_TIMEOUT, self.process)
        except BenchError as error:
            stderr = (self.dir / "stderr.log").read_text()[-2000:]
            raise BenchError(f"rampart ({self.label}) did not start: {error}\n{stderr}")

    def seed(self) -> str:
        """Creates the admin, the member, three categories and the posts; returns the member's
        access token."""
        created = self.run(
            "create-admin", "--username", ADMIN[0], "--email", "root@example.com",
            stdin=ADMIN[1],
        )
        if created.returncode != 0:
            raise BenchError(f"rampart create-admin failed: {created.stderr}")
        admin_token = login(self.base, *ADMIN)
        status, body = call(
            self.base, "POST", "/api/v1/auth/register",
            {"username": MEMBER[0], "email": "member@example.com", "password": MEMBER[1]},
        )
        expect(status, body, 201, "register the member")
        member_token = login(self.base, *MEMBER)
        categories = []
        for name in CATEGORIES:
            status, body = call(
                self.base, "POST", "/api/v1/categories", {"name": name}, admin_token
            )
            categories.append(expect(status, body, 201, f"create category {name}")["id"])
        for i in range(SEED_POSTS):
            # As the reference's seed: every fourth post by the admin, the rest by the member.
            token = member_token if i % 4 else admin_token
            post = {
                "title": f"Seed post {i + 1}",
                "body": f"<p>Seed post number <strong>{i + 1}</strong>. Lorem ipsum dolor sit "
                "amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore "
                f'et dolore magna aliqua.</p><p><a href="https://example.com/{i + 1}">link</a></p>',
                "category_id": categories[i % len(categories)],
            }
            status, body = call(self.base, "POST", "/api/v1/posts", post, token)
            expect(status, body, 201, f"create post {i + 1}")
        return member_token

    def target(self, token: str) -> Target:
        assert self.process is not None
        body = json.dumps({"username": MEMBER[0], "password": MEMBER[1]})
        return Target(self.label, self.base, token, body, self.process.pid)

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)


class Reference:
    """The DRF reference, copied to a writable directory and run by its own scripts."""

    def __init__(self) -> None:
        self.dir = REFERENCE_CACHE
        self.started = False

    def has_venv(self) -> bool:
        return (self.dir / ".venv" / "bin" / "python").is_file()

    def prepare(self) -> None:
        """Copies the sources over the cached copy, keeping its virtual environment while
        requirements.txt is unchanged."""
        if not REFERENCE_SOURCE.is_dir():
            raise BenchError(f"the reference is missing at {REFERENCE_SOURCE}")
        # A copy left running by an interrupted run is stopped through its own PID files.
        if (self.dir / "stop.sh").is_file():
            subprocess.run(["./stop.sh"], cwd=self.dir, capture_output=True, timeout=120)
        cached_requirements = self.dir / "requirements.txt"
        same = cached_requirements.is_file() and cached_requirements.read_bytes() == (
            REFERENCE_SOURCE / "requirements.txt"
        ).read_bytes()
        if self.dir.exists():
            for entry in self.dir.iterdir():
                if entry.name == ".venv" and same:
                    continue
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()
        self.dir.mkdir(parents=True, exist_ok=True)
        self.dir.chmod(0o755)
        self.dir.parent.chmod(0o755)
        for entry in REFERENCE_SOURCE.iterdir():
            if entry.name in (".venv", "var", "logs", "media"):
                continue
            destination = self.dir / entry.name
            if entry.is_dir():
                shutil.copytree(entry, destination)
            else:
                shutil.copy2(entry, destination)
        for path in [self.dir, *self.dir.rglob("*")]:
            if ".venv" in path.parts:
                continue
            path.chmod(path.stat().st_mode | 0o200)

    def start(self, timeout: float) -> None:
        env = dict(
            os.environ,
            ANCHOR_THROTTLE_MODE="bench",
            ANCHOR_ARGON2_PROFILE="owasp",
        )
        self.started = True
        log(f"starting the reference in {self.dir} (first run installs its venv from PyPI)")
        try:
            result = subprocess.run(
                ["./start.sh"], cwd=self.dir, env=env, capture_output=True, text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            raise BenchError(f"the reference's start.sh did not finish within {timeout:.0f} s")
        if result.returncode != 0:
            raise BenchError(f"the reference's start.sh failed: {result.stderr[-2000:]}")

    def master_pid(self) -> int:
        return int((self.dir / "var" / "run" / "gunicorn.pid").read_text().split()[0])

    def workers(self) -> int:
        return len(process_tree(self.master_pid())) - 1

    def target(self) -> Target:
        token = login(REFERENCE_URL, *REFERENCE_MEMBER)
        body = json.dumps({"username": REFERENCE_MEMBER[0], "password": REFERENCE_MEMBER[1]})
        return Target(
            "DRF reference", REFERENCE_URL, token, body, self.master_pid(), drain=True
        )

    def versions(self) -> str:
        python = self.dir / ".venv" / "bin" / "python"
        script = (
            "import django, rest_framework, platform; "
            "print(f'Python {platform.python_version()}, Django {django.get_version()}, "
            "DRF {rest_framework.VERSION}')"
        )
        result = subprocess.run([str(python), "-c", script], capture_output=True, text=True)
        return result.stdout.strip()

    def stop(self) -> None:
        if self.started:
            subprocess.run(["./stop.sh"], cwd=self.dir, capture_output=True, timeout=120)
            self.started = False


# --- the run ---------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    model = next(
        (line.split(":", 1)[1].strip() for line in lscpu.splitlines() if line.startswith("Model name")),
        platform.processor() or "unknown",
    )
    mem_kib = 0
    for line in pathlib.Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kib = int(line.split()[1])
    head = subprocess.run(
        ["git", "-C", str(REPO), "describe", "--always", "--dirty"], capture_output=True, text=True
    ).stdout.strip()
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    return {
        "cores": str(os.cpu_count()),
        "cpu": model,
        "memory": f"{mem_kib / 1024 / 1024:.1f} GiB",
        "kernel": platform.release(),
        "load": " ".join(pathlib.Path("/proc/loadavg").read_text().split()[:3]),
        "commit": head or "unknown",
        "wrk": (wrk_version.stdout + wrk_version.stderr).split("Copyright")[0].strip(),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def supports_postgres(binary: pathlib.Path, work: pathlib.Path) -> bool:
    """Returns whether the binary's configuration accepts a PostgreSQL URL.

    A binary that does not names `database.url` in its error; one that does fails to connect to
    port 1 of 127.0.0.1 instead.
    """
    result = subprocess.run(
        [str(binary), "migrate"],
        cwd=work,
        env={
            "PATH": os.environ.get("PATH", ""),
            "RAMPART_DATABASE_URL": "postgresql://probe:probe@127.0.0.1:1/probe?sslmode=disable",
            "RAMPART_DATABASE_ALLOW_INSECURE": "true",
            "RAMPART_DATABASE_ACQUIRE_TIMEOUT_MS": "100",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    return "database.url" not in result.stderr


@dataclasses.dataclass
class Report:
    settings: Settings
    machine: dict[str, str]
    notes: list[str]
    main: dict[str, dict[str, WrkResult]]
    stack: dict[str, dict[str, dict[str, WrkResult]]]
    flood: dict[str, dict[str, WrkResult]]
    peaks: dict[str, int]
    reference_name: str | None
    full_name: str | None


def fmt_rps(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def fmt_ms(value: float) -> str:
    return f"{value:.2f} ms" if value < 100 else f"{value:,.0f} ms"


def fmt_mib(kib: int) -> str:
    return f"{kib / 1024:.1f} MiB"


def render(report: Report) -> str:
    s, m = report.settings, report.machine
    lines = [
        f"# Rampart benchmark ({s.mode} mode)",
        "",
        f"- date: {m['date']}; commit {m['commit']}",
        f"- machine: {m['cores']} cores, {m['cpu']}, {m['memory']} RAM, kernel {m['kernel']}",
        f"- load average before the run: {m['load']}",
        f"- load: {m['wrk']}, {s.threads} threads, {s.connections} connections, "
        f"{s.warmup} s warm-up then {s.duration} s per run, on 127.0.0.1, servers and wrk "
        "on the same cores",
        "- memory: peak VmRSS of the server's process tree, sampled every 0.2 s (Rampart: "
        "one process; the reference: gunicorn master and workers); the databases and Redis "
        "are not counted for either",
    ]
    lines += [f"- {note}" for note in report.notes]
    lines += ["", "## Throughput and latency", ""]
    lines += [
        "| endpoint | server | req/s | p50 | p99 | non-2xx | socket errors | peak RSS | "
        "req/s vs reference |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for endpoint, results in report.main.items():
        reference = results.get(report.reference_name or "")
        first = True
        for name, result in results.items():
            ratio = "-"
            if reference is not None and name != report.reference_name and reference.rps:
                ratio = f"{result.rps / reference.rps:.1f}x"
            if result.requests:
                rate = fmt_rps(result.rps)
                p50, p99 = fmt_ms(result.p50_ms), fmt_ms(result.p99_ms)
            else:
                rate, p50, p99, ratio = "no completed requests", "-", "-", "-"
            lines.append(
                f"| {ENDPOINTS[endpoint] if first else ''} | {name} | {rate} | {p50} | {p99} | "
                f"{result.non_2xx} | {result.socket_errors} | {fmt_mib(result.peak_rss_kib)} | "
                f"{ratio} |"
            )
            first = False
    lines += ["", "Peak resident memory over the whole run:", ""]
    lines += [f"- {name}: {fmt_mib(kib)}" for name, kib in report.peaks.items()]

    lines += ["", "## Cost of the security middleware", ""]
    rounds = 1 if s.quick else STACK_ROUNDS
    if rounds > 1:
        lines += [
            f"Each figure adds up {rounds} runs, taken in turns with the other column's "
            "(on, off, then off, on, ...).",
            "",
        ]
    lines += [
        "| endpoint | configuration | stack on req/s | stack off req/s | cost |",
        "|---|---|---:|---:|---:|",
    ]
    for endpoint, configs in report.stack.items():
        for config, pair in configs.items():
            on, off = pair["on"].rps, pair["off"].rps
            cost = f"{(1 - on / off) * 100:.1f}%" if off else "-"
            lines.append(
                f"| {ENDPOINTS[endpoint]} | {config} | {fmt_rps(on)} | {fmt_rps(off)} | {cost} |"
            )

    lines += ["", "## Reads during a login flood", ""]
    lines += [
        f"GET /api/v1/posts with {s.connections} connections, alone and while a second wrk "
        f"sends correct-password logins on {s.flood_connections} connections.",
        "",
        "| server | idle req/s | idle p99 | flood req/s | flood p99 | p99 ratio | logins/s "
        "during the flood |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, runs in report.flood.items():
        idle, busy, logins = runs["idle"], runs["flood"], runs["logins"]
        ratio = f"{busy.p99_ms / idle.p99_ms:.2f}x" if idle.p99_ms else "-"
        lines.append(
            f"| {name} | {fmt_rps(idle.rps)} | {fmt_ms(idle.p99_ms)} | {fmt_rps(busy.rps)} | "
            f"{fmt_ms(busy.p99_ms)} | {ratio} | {fmt_rps(logins.rps)} |"
        )

    lines += ["", "## Targets", ""]
    lines += targets(report)
    lines += [
        "",
        "Absolute figures drift on a shared machine; ratios measured within one run hold "
        "better, since all servers saw the same conditions.",
    ]
    return "\n".join(lines) + "\n"


def targets(report: Report) -> list[str]:
    lines = []
    if report.settings.quick:
        lines.append("(quick mode: too short to judge the targets; run `make bench`)")

    def verdict(ok: bool) -> str:
        if report.settings.quick:
            return "not judged in quick mode"
        return "met" if ok else "MISSED"

    # Every Rampart configuration is judged, the embedded default as well as PostgreSQL + Redis.
    me = report.main.get("me", {})
    reference = me.get(report.reference_name or "")
    if reference is not None and reference.rps:
        for name, result in me.items():
            if name == report.reference_name:
                continue
            ratio = result.rps / reference.rps
            lines.append(
                f"- authenticated read {ratio:.1f}x the reference's req/s ({name}), "
                f"target 20x: {verdict(ratio >= 20)}"
            )
    else:
        lines.append("- authenticated read vs the reference: not measured (no reference)")
    for endpoint, configs in report.stack.items():
        for config, pair in configs.items():
            if pair["off"].rps:
                cost = 1 - pair["on"].rps / pair["off"].rps
                lines.append(
                    f"- security stack cost on {ENDPOINTS[endpoint]} ({config}) {cost * 100:.1f}%, "
                    f"target at most 25%: {verdict(cost <= 0.25)}"
                )
    for name, runs in report.flood.items():
        if name == report.reference_name or not runs["idle"].p99_ms:
            continue
        ratio = runs["flood"].p99_ms / runs["idle"].p99_ms
        lines.append(
            f"- read p99 during the login flood {ratio:.2f}x idle ({name}), target at most 2x: "
            f"{verdict(ratio <= 2)}"
        )
    for name, kib in report.peaks.items():
        if name == report.reference_name or "stack off" in name:
            continue
        lines.append(
            f"- peak RSS {fmt_mib(kib)} ({name}), target at most 64 MiB: "
            f"{verdict(kib <= 64 * 1024)}"
        )
    return lines


def run(settings: Settings) -> str:
    ensure_programs(settings)
    binary = build_binary(settings)
    notes: list[str] = []
    if settings.binary is not None:
        notes.append(f"binary: {settings.binary} (not built by this run)")
        if "debug" in binary.parts:
            notes.append("DEBUG BUILD: Rampart's figures say nothing about a release build")
    info = machine()

    stack = contextlib.ExitStack()
    work = pathlib.Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="rampart-bench-")))
    servers: list = []
    stack.callback(lambda: [server.stop() for server in reversed(servers)])
    with stack:
        # Rampart on the embedded default, with and without the middleware.
        embedded_name = "Rampart, SQLite + in-process"
        configs: dict[str, tuple[Rampart, Rampart]] = {}
        embedded = Rampart(binary, work, embedded_name, {})
        embedded_off = Rampart(binary, work, embedded_name + " stack-off", {}, stack_off=True)
        configs[embedded_name] = (embedded, embedded_off)

        full_name = None
        if not settings.quick:
            redis = Redis(work)
            servers.append(redis)
            use_postgres = settings.backend == "postgres" or (
                settings.backend == "auto" and supports_postgres(binary, work)
            )
            pg_bin = find_pg_bin()
            if use_postgres and pg_bin is not None:
                postgres = Postgres(work, pg_bin)
                servers.append(postgres)
                full_name = "Rampart, PostgreSQL + Redis"
                environments = []
                for database in ("bench_on", "bench_off"):
                    owner_url, app_url = postgres.create_database(database)
                    environments.append(
                        {
                            "RAMPART_DATABASE_URL": app_url,
                            "RAMPART_DATABASE_MIGRATION_URL": owner_url,
                            "RAMPART_DATABASE_ALLOW_INSECURE": "true",
                        }
                    )
                version = subprocess.run(
                    [str(pg_bin / "postgres"), "--version"], capture_output=True, text=True
                ).stdout.split()
                notes.append(
                    f"PostgreSQL {version[2] if len(version) > 2 else '?'} and Redis over plain "
                    "TCP on loopback, as the reference connects to its own"
                )
            else:
                full_name = "Rampart, SQLite + Redis"
                environments = [{}, {}]
                notes.append(
                    "this rampart binary does not accept a PostgreSQL URL, so the Redis "
                    "configuration runs on SQLite"
                )
            pair = []
            for suffix, environment in zip(("on", "off"), environments):
                environment = {
                    **environment,
                    "RAMPART_REDIS_URL": redis.url(),
                    "RAMPART_REDIS_PREFIX": f"bench-{suffix}:",
                }
                label = full_name if suffix == "on" else f"{full_name} stack-off"
                pair.append(Rampart(binary, work, label, environment, stack_off=suffix == "off"))
            configs[full_name] = (pair[0], pair[1])

        targets_on: dict[str, Target] = {}
        targets_off: dict[str, Target] = {}
        for name, (on, off) in configs.items():
            for server, into in ((on, targets_on), (off, targets_off)):
                if "RAMPART_DATABASE_MIGRATION_URL" in server.env:
                    migrated = server.run("migrate")
                    if migrated.returncode != 0:
                        raise BenchError(f"rampart migrate failed: {migrated.stderr}")
                servers.append(server)
                server.start()
                log(f"seeding {server.label}")
                into[name] = server.target(server.seed())

        reference_name = None
        reference = Reference()
        if settings.reference != "off":
            try:
                if settings.quick and not reference.has_venv():
                    raise BenchError(
                        "its virtual environment is not installed yet and the quick mode does "
                        "not install it; `make bench` does"
                    )
                reference.prepare()
                servers.append(reference)
                reference.start(
                    REFERENCE_QUICK_START_TIMEOUT if settings.quick else REFERENCE_START_TIMEOUT
                )
                reference_target = reference.target()
                reference_name = reference_target.name
                notes.append(
                    f"reference: DRF anchor ({reference.versions()}), gunicorn with "
                    f"{reference.workers()} sync workers, ANCHOR_THROTTLE_MODE=bench, "
                    "ANCHOR_ARGON2_PROFILE=owasp (argon2id m=19456 KiB, t=2, p=1), its own "
                    "PostgreSQL and Redis, 100 seeded posts, `Connection: close` on every "
                    "response"
                )
            except BenchError as error:
                if settings.reference == "on":
                    raise
                reference.stop()
                notes.append(f"REFERENCE NOT RUN, Rampart alone: {error}")
                log(f"reference unavailable: {error}")
        notes.append(
            "Rampart: argon2id m=19456 KiB, t=2, p=1 (its default); request throttles and login "
            f"limits raised to {RAISED_REQUEST_LIMIT} through RAMPART_LIMITS_*, hashing queue "
            f"{BENCH_HASH_QUEUE} (RAMPART_PASSWORD_HASH_QUEUE), access log on (RUST_LOG=info, "
            "stdout to a file), 100 seeded posts"
        )
        notes.append(
            "stack off: RAMPART_BENCH_STACK_OFF=1 leaves out the security headers, CORS, "
            "blocking, throttles, CSRF check, request timeout, body limit and request "
            "validation; the request context, access log, problem details and bearer "
            "authentication stay"
        )

        order = list(targets_on.values())
        if reference_name is not None:
            order.append(reference_target)
        wrk = Wrk(settings, work)
        main: dict[str, dict[str, WrkResult]] = {}
        for endpoint in settings.endpoints:
            main[endpoint] = {}
            # Alternate the servers endpoint by endpoint, so drift hits them all.
            for target in order:
                log(f"{ENDPOINTS[endpoint]} on {target.name}")
                main[endpoint][target.name] = wrk.run(target, endpoint)

        stack_results: dict[str, dict[str, dict[str, WrkResult]]] = {}
        rounds = 1 if settings.quick else STACK_ROUNDS
        for endpoint in ("health", "me"):
            if endpoint not in settings.endpoints:
                continue
            stack_results[endpoint] = {}
            for name in configs:
                log(f"{ENDPOINTS[endpoint]} on {name}, stack on and off, {rounds} rounds")
                runs: dict[str, list[WrkResult]] = {"on": [], "off": []}
                # Alternate which runs first, so that drift within the pair cancels out.
                for round_index in range(rounds):
                    sequence = ("on", "off") if round_index % 2 == 0 else ("off", "on")
                    for mode in sequence:
                        target = targets_on[name] if mode == "on" else targets_off[name]
                        runs[mode].append(wrk.run(target, endpoint))
                stack_results[endpoint][name] = {
                    mode: combine(results) for mode, results in runs.items()
                }

        flood: dict[str, dict[str, WrkResult]] = {}
        for target in order if settings.flood_runs else []:
            log(f"reads alone, then during a login flood, on {target.name}")
            idle = wrk.run(target, "posts")
            # The flood runs from one second before the reads' warm-up until after they end.
            seconds = settings.warmup + settings.duration + 3
            flooder, flood_out = wrk.start(target, "login", seconds, settings.flood_connections)
            time.sleep(1)
            busy = wrk.run(target, "posts")
            logins = wrk.finish(target, flooder, flood_out)
            flood[target.name] = {"idle": idle, "flood": busy, "logins": logins}

        peaks = {target.name: target.peak_rss_kib for target in order}
        # The stack-off servers keep no throttle logs, so the difference to their stack-on
        # twins shows what the in-process rate-limit logs of the raised limits cost.
        for name, target in targets_off.items():
            peaks[f"{name}, stack off (health and me runs only)"] = target.peak_rss_kib
        report = Report(
            settings=settings,
            machine=info,
            notes=notes,
            main=main,
            stack=stack_results,
            flood=flood,
            peaks=peaks,
            reference_name=reference_name,
            full_name=full_name or embedded_name,
        )
        return render(report)


def main(argv: list[str]) -> int:
    settings = parse_args(argv)
    try:
        text = run(settings)
    except BenchError as error:
        log(f"failed: {error}")
        return 1
    print(text, end="")
    if settings.output is not None:
        settings.output.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
