"""Shared helpers for the benchmarks.

- `FakeServer`: the fake Bot API (`python -m tests.fakebot`) in its own process, so its CPU is
  never counted as the bot's, with a small client for its `/_control/` API.
- `populate`: due and not-due subscribers inserted in bulk (sqlite3 `executemany` in chunks of
  10,000, or COPY on PostgreSQL), with realistic zones, send times and rotation progress.
- PostgreSQL isolation: every benchmark works in its own schema (`tipbot_bench`) of the database
  it is given, dropped and recreated first, dropped again at the end.
- `run_worker`: a fresh Python process for one measurement; it prints one `RESULT {json}` line.
- `record`: one JSON line per benchmark run appended to `bench/results.jsonl`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import platform
import random
import resource
import select
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import DateTime, event, text
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from tipbot.delivery.rotation import SEED_SPACE, cycle_order
from tipbot.storage import db

ROOT = Path(__file__).resolve().parents[1]
RESULTS_FILE = ROOT / "bench" / "results.jsonl"
RESULTS_DIR = ROOT / "bench" / "results"
#: The fake server takes any token; the digits before the colon become the bot's user id.
TOKEN = "7000001:bench-token-not-a-secret"
DEFAULT_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
PG_SCHEMA = "tipbot_bench"
#: Zones the generated subscribers live in (the sweep converts each due time to a local date).
ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Sydney")
#: Chat ids of generated subscribers start here; benchmark "users" live far above.
CHAT_BASE = 10_000_000
SUBSCRIBER_COLUMNS = (
    "chat_id",
    "state",
    "send_minute",
    "tz",
    "next_due_at",
    "cycle",
    "cycle_sent",
    "seed",
    "created_at",
    "updated_at",
)


# --------------------------------------------------------------------------- processes


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for child processes: no TIPBOT_* or token from the caller's shell."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("TIPBOT_") and k != "TELEGRAM_BOT_TOKEN"
    }
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def run_queue_seconds(pid: int) -> float:
    """Seconds the threads of process `pid` spent runnable but waiting for a CPU (Linux
    schedstat): on a shared machine, how much of a benchmark's time the scheduler took away."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError, ValueError, IndexError):
            total += int((task / "schedstat").read_text().split()[1])
    return total / 1e9


def proc_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of another process (from /proc, Linux)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def cpu_seconds() -> float:
    """This process's CPU (user + system, all threads: aiosqlite works in a thread)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True)
class CpuSample:
    """CPU used so far: user and system time of the whole process, and of the main thread."""

    user: float
    system: float
    main_thread: float

    @classmethod
    def now(cls) -> CpuSample:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return cls(usage.ru_utime, usage.ru_stime, time.thread_time())

    def since(self, start: CpuSample) -> dict[str, float]:
        user, system = self.user - start.user, self.system - start.system
        main = self.main_thread - start.main_thread
        return {
            "cpu_s": user + system,
            "user_s": user,
            "sys_s": system,
            "main_thread_s": main,
            "other_threads_s": user + system - main,
        }


def max_rss_mb() -> float:
    """Peak resident set size of this process so far (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _read_line(stream: Any, deadline: float) -> str:
    """One line from a child's stdout pipe, or TimeoutError at `deadline` (time.monotonic)."""
    buf = b""
    fd = stream.fileno()
    while not buf.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no line from the child process in time")
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            chunk = os.read(fd, 1)
            if not chunk:
                raise RuntimeError(f"the child process closed its output after {buf!r}")
            buf += chunk
    return buf.decode()


def stop_process(proc: subprocess.Popen[Any], timeout: float = 10.0) -> int:
    """SIGTERM, then SIGKILL after `timeout` seconds; return the exit status."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return int(proc.returncode)


class FakeServer:
    """`python -m tests.fakebot` in its own process (rates of 0 lift that limit)."""

    def __init__(
        self,
        *,
        global_rate: float = 0,
        per_chat_rate: float = 0,
        record_text: bool = False,
        token: str = TOKEN,
        cpu: int | None = None,
        latency: float = 0.0,
    ) -> None:
        self.cpu = cpu
        self.args = [
            "--port",
            "0",
            "--token",
            token,
            "--global-rate",
            str(global_rate),
            "--per-chat-rate",
            str(per_chat_rate),
            "--latency",
            str(latency),
        ]
        if not record_text:
            self.args.append("--no-record-text")
        self.token = token
        self.proc: subprocess.Popen[bytes] | None = None
        self.api_url = ""
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in __exit__
        self._http: httpx.Client | None = None

    def __enter__(self) -> FakeServer:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.fakebot", *self.args],
            cwd=ROOT,
            env=clean_env(),
            stdout=subprocess.PIPE,
            stderr=self._log,
        )
        pin(self.proc.pid, self.cpu)
        assert self.proc.stdout is not None
        line = _read_line(self.proc.stdout, time.monotonic() + 30)
        base = line.split(" on ", 1)[1].strip()  # http://127.0.0.1:PORT/bot
        self.api_url = base.removesuffix("/bot")
        self._http = httpx.Client(base_url=f"{self.api_url}/_control", timeout=60)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._http is not None:
            self._http.close()
        if self.proc is not None:
            stop_process(self.proc)
        self._log.close()

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def cpu_seconds(self) -> float:
        return proc_cpu_seconds(self.pid)

    def control(self, name: str, method: str = "GET", **params: Any) -> Any:
        assert self._http is not None
        if method == "GET":
            response = self._http.get(f"/{name}", params=params)
        else:
            response = self._http.post(f"/{name}", json=params)
        body = response.json()
        if not body.get("ok"):
            raise RuntimeError(f"fake server /_control/{name}: {body}")
        return body["result"]

    def stats(self) -> dict[str, Any]:
        return dict(self.control("stats"))

    def stderr_tail(self, chars: int = 2000) -> str:
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-chars:]


def pin(pid: int, cpu: int | None) -> None:
    """Keep process `pid` on one CPU (None: leave it to the scheduler), so the bot and the fake
    server do not trade places on the two cores between runs."""
    if cpu is not None and cpu < (os.cpu_count() or 1):
        os.sched_setaffinity(pid, {cpu})


def run_worker(
    module: str,
    args: Sequence[str],
    *,
    timeout: float = 900,
    cpu: int | None = None,
) -> dict[str, Any]:
    """Run `python -m MODULE ARGS` in a fresh process; return the dict of its RESULT line.
    `cpu` pins the process to that CPU."""
    env = clean_env()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", module, *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=err,
        )
        pin(proc.pid, cpu)
        try:
            stdout, _ = proc.communicate(timeout=timeout)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        err.seek(0)
        stderr = err.read().decode(errors="replace")
    for line in reversed(stdout.decode().splitlines()):
        if line.startswith("RESULT "):
            result: dict[str, Any] = json.loads(line[len("RESULT ") :])
            return result
    raise RuntimeError(
        f"worker {module} {' '.join(args)} exited {proc.returncode} without a result:\n"
        + stderr[-4000:]
    )


def emit(result: dict[str, Any]) -> None:
    """A worker's answer to `run_worker`."""
    print("RESULT " + json.dumps(result), flush=True)


# --------------------------------------------------------------------------- databases


@dataclass(frozen=True)
class Database:
    """Where a benchmark keeps its data: a SQLite file, or a schema of a PostgreSQL database."""

    url: str
    schema: str | None = None  # PostgreSQL only

    @property
    def backend(self) -> str:
        return "postgresql" if self.url.startswith("postgresql") else "sqlite"

    @property
    def sqlite_path(self) -> str:
        return str(make_url(self.url).database)

    def args(self) -> list[str]:
        """Command-line form, for a worker process (see `from_args`)."""
        return ["--db-url", self.url, "--db-schema", self.schema or ""]

    @classmethod
    def from_args(cls, url: str, schema: str) -> Database:
        return cls(url, schema or None)


def sqlite_database(directory: str | Path) -> Database:
    return Database(f"sqlite+aiosqlite:///{Path(directory) / 'tipbot.sqlite3'}")


def postgres_database(url: str = DEFAULT_PG_URL, schema: str = PG_SCHEMA) -> Database:
    return Database(url, schema)


def use_schema(engine: AsyncEngine, schema: str) -> None:
    """Point every new connection of `engine` at `schema` (SQLAlchemy's documented recipe; the
    SET runs in autocommit so the pool's rollback-on-return does not undo it)."""

    @event.listens_for(engine.sync_engine, "connect", insert=True)
    def _search_path(dbapi_connection: Any, _record: Any) -> None:
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True
        cursor = dbapi_connection.cursor()
        cursor.execute(f"SET SESSION search_path TO {schema}")
        cursor.close()
        dbapi_connection.autocommit = autocommit


def open_engine(database: Database) -> AsyncEngine:
    """tipbot's own engine factory, pointed at the benchmark's schema on PostgreSQL."""
    engine = db.create_engine(database.url)
    if database.schema:
        use_schema(engine, database.schema)
    return engine


async def reset_database(database: Database) -> None:
    """An empty, migrated database: the SQLite file deleted, or the PG schema recreated."""
    if database.backend == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(database.sqlite_path + suffix)
    else:
        await drop_schema(database)
        admin = db.create_engine(database.url)
        async with admin.begin() as conn:
            await conn.execute(text(f"CREATE SCHEMA {database.schema}"))
        await admin.dispose()
    engine = open_engine(database)
    await db.migrate(engine)
    await engine.dispose()


async def drop_schema(database: Database) -> None:
    if database.backend != "postgresql" or not database.schema:
        return
    admin = db.create_engine(database.url)
    async with admin.begin() as conn:
        await conn.execute(text(f"DROP SCHEMA IF EXISTS {database.schema} CASCADE"))
    await admin.dispose()


def subscriber_rows(
    first_chat: int,
    count: int,
    *,
    due: bool,
    now: datetime,
    tip_ids: tuple[str, ...],
    seed: int = 1,
    spread: bool = True,
) -> Iterator[tuple[Any, ...]]:
    """Active subscribers as tuples in `SUBSCRIBER_COLUMNS` order.

    Due ones were due 1 to 30 minutes before `now` (`spread`), or all at `now`'s minute (not
    `spread`: everyone chose the same time); the others are due 1 to 23 hours after it.
    `next_due_at` is always the UTC moment of `send_minute` in the subscriber's zone, and each
    one is part-way through a rotation cycle (`cycle_sent` holds 0..N-1 tip ids), as in steady
    state, so planning does the same work as in production.
    """
    rng = random.Random(seed * 1_000_003 + first_chat)
    zones = [ZoneInfo(z) for z in ZONES]
    utc = ZoneInfo("UTC")
    ordered = sorted(tip_ids)
    base = now.replace(second=0, microsecond=0)
    created = base - timedelta(days=30)
    for chat in range(first_chat, first_chat + count):
        zone_index = rng.randrange(len(zones))
        if due:
            offset = -timedelta(minutes=rng.randint(1, 30)) if spread else timedelta(0)
        else:
            offset = timedelta(minutes=rng.randint(60, 23 * 60))
        moment = base + offset
        local = moment.replace(tzinfo=utc).astimezone(zones[zone_index])
        send_minute = local.hour * 60 + local.minute
        tip_seed = rng.randrange(SEED_SPACE)
        done = rng.randrange(len(ordered))
        sent = " ".join(sorted(cycle_order(tuple(ordered), tip_seed, 0)[:done]))
        yield (
            chat,
            "active",
            send_minute,
            ZONES[zone_index],
            moment,
            0,
            sent,
            tip_seed,
            created,
            created,
        )


def _plan(first_chat: int, total: int, due: int) -> list[tuple[int, int, bool]]:
    """(first chat, count, due) runs: the due subscribers spread evenly through the ids."""
    if due <= 0:
        return [(first_chat, total, False)]
    runs: list[tuple[int, int, bool]] = []
    stride = total // due
    chat = first_chat
    for _ in range(due):
        runs.append((chat, 1, True))
        if stride > 1:
            runs.append((chat + 1, stride - 1, False))
        chat += stride
    if chat < first_chat + total:
        runs.append((chat, first_chat + total - chat, False))
    return runs


def _rows(
    first_chat: int,
    total: int,
    due: int,
    now: datetime,
    tip_ids: tuple[str, ...],
    spread: bool = True,
) -> Iterator[tuple[Any, ...]]:
    for first, count, is_due in _plan(first_chat, total, due):
        yield from subscriber_rows(
            first, count, due=is_due, now=now, tip_ids=tip_ids, spread=spread
        )


def _chunks(rows: Iterator[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    chunk: list[tuple[Any, ...]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _fsync(path: str) -> None:
    with open(path, "rb+") as f:
        os.fsync(f.fileno())


async def populate(
    database: Database,
    total: int,
    due: int,
    now: datetime,
    tip_ids: tuple[str, ...],
    *,
    first_chat: int = CHAT_BASE,
    spread: bool = True,
) -> float:
    """Insert `total` active subscribers, `due` of them due at `now`; return seconds taken.

    The schema must exist (`reset_database`). SQLite: the sqlite3 module's executemany in chunks
    of 10,000 (stored in SQLAlchemy's own datetime format); PostgreSQL: COPY through asyncpg.
    """
    started = time.perf_counter()
    rows = _rows(first_chat, total, due, now, tip_ids, spread)
    if database.backend == "sqlite":
        dialect = sqlite_dialect.dialect()
        as_text = DateTime().dialect_impl(dialect).bind_processor(dialect)
        assert as_text is not None
        conn = sqlite3.connect(database.sqlite_path)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=OFF")
            columns = ", ".join(SUBSCRIBER_COLUMNS)
            marks = ", ".join("?" for _ in SUBSCRIBER_COLUMNS)
            sql = f"INSERT INTO subscribers ({columns}) VALUES ({marks})"
            for chunk in _chunks(rows, 10_000):
                conn.executemany(
                    sql,
                    [
                        (*r[:4], as_text(r[4]), r[5], r[6], r[7], as_text(r[8]), as_text(r[9]))
                        for r in chunk
                    ],
                )
                conn.commit()
            conn.execute("ANALYZE")
            conn.commit()
            # Written with synchronous=OFF, the whole file is still dirty in the OS's cache: the
            # bot's first checkpoint would fsync all of it, a cost that grows with the table and
            # that no running bot pays (bench/README.md, "Planning at 1 M"). Flush it here.
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
        _fsync(database.sqlite_path)
    else:
        engine = open_engine(database)
        try:
            async with engine.connect() as conn:
                raw = await conn.get_raw_connection()
                apg: Any = raw.driver_connection
                for chunk in _chunks(rows, 100_000):
                    await apg.copy_records_to_table(
                        "subscribers",
                        records=chunk,
                        columns=list(SUBSCRIBER_COLUMNS),
                        schema_name=database.schema,
                    )
                await apg.execute("ANALYZE subscribers")
        finally:
            await engine.dispose()
    return time.perf_counter() - started


# --------------------------------------------------------------------------- results


def machine() -> dict[str, Any]:
    with open("/proc/meminfo") as f:
        mem_kib = int(f.readline().split()[1])
    return {
        "cores": os.cpu_count(),
        "mem_gib": round(mem_kib / 1024 / 1024, 1),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }


def postgres_version(url: str = DEFAULT_PG_URL) -> str:
    async def ask() -> str:
        engine = db.create_engine(url)
        try:
            async with engine.connect() as conn:
                return str(await conn.scalar(text("SHOW server_version")))
        finally:
            await engine.dispose()

    try:
        return asyncio.run(ask())
    except Exception as exc:  # PostgreSQL is optional for most benchmarks
        return f"unavailable ({type(exc).__name__})"


def record(name: str, params: dict[str, Any], results: Any) -> None:
    """Append one line to bench/results.jsonl."""
    line = {
        "benchmark": name,
        "at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": machine(),
        "command": " ".join([Path(sys.executable).name, "-m", f"bench.{name}", *sys.argv[1:]]),
        "params": params,
        "results": results,
    }
    with RESULTS_FILE.open("a") as f:
        f.write(json.dumps(line) + "\n")
    print(f"\n(appended to {RESULTS_FILE.relative_to(ROOT)})")


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table (readable in a terminal, pasteable into RESULTS.md)."""

    def cell(value: Any) -> str:
        if isinstance(value, float):
            return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"
        return str(value)

    cells = [[cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    lines = [
        "| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |",
        "| " + " | ".join("-" * w for w in widths) + " |",
    ]
    for row in cells:
        lines.append("| " + " | ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) + " |")
    return "\n".join(lines)


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (pct in 0..100)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), math.ceil(pct / 100 * len(ordered))))
    return ordered[rank - 1]


def busiest_second(times: list[float]) -> int:
    """The most messages accepted within any 1-second window."""
    window: deque[float] = deque()
    best = 0
    for t in times:
        window.append(t)
        while window[0] <= t - 1.0:
            window.popleft()
        best = max(best, len(window))
    return best


def target(ok: bool) -> str:
    return "met" if ok else "MISSED"
