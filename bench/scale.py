"""Does a delivery sweep cost what is due, or what is stored? Sweep time and peak memory with
10,000 to 1,000,000 subscribers in the database, 1,000 of them due.

Per back end and size, two fresh processes: one inserts the subscribers (sqlite3 executemany in
chunks of 10,000, or COPY on PostgreSQL; its memory is not the bot's), then one validates the tip
bank and starts tipbot as `tipbot run` does (every rule but the reading grade; delivery role,
max_rate=1000) against a fake Bot API with the limits lifted and measures:
planning (`plan_due` calls) and claiming (`claim` calls) inside one full `Deliverer.sweep()`, the
sweep's wall time, a second sweep with nothing due (what every 15 s tick costs), /metrics'
`refresh_gauges` (the first call reads the database, as a scrape does at most every 30 s; the
second, right after, is served from the cache), and the process's peak RSS (ru_maxrss) before and
after. With `--broadcast`, also an announcement to every subscriber (`create_broadcast`) and one
`claim` of 1,000 of its rows while all the others are pending.

    python -m bench.scale [--sizes 10000,100000,1000000] [--due 1000] [--db sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import (
    DEFAULT_PG_URL,
    PG_SCHEMA,
    TOKEN,
    Database,
    FakeServer,
    cpu_seconds,
    current_rss_mb,
    drop_schema,
    emit,
    max_rss_mb,
    populate,
    postgres_database,
    postgres_version,
    record,
    reset_database,
    run_worker,
    sqlite_database,
    table,
    target,
    use_schema,
)

TARGET_RSS_MB = 150.0


# --------------------------------------------------------------------------- workers


async def populate_worker(args: argparse.Namespace) -> dict[str, Any]:
    from tipbot.content.loader import load_bank
    from tipbot.storage import db

    database = Database.from_args(args.db_url, args.db_schema)
    tip_ids = tuple(t.id for t in load_bank().bank.tips)
    await reset_database(database)
    seconds = await populate(database, args.total, args.due, db.utcnow(), tip_ids)
    if database.backend == "sqlite":
        size_mb = _file_mb(database.sqlite_path)
    else:
        from sqlalchemy import text

        engine = db.create_engine(database.url)
        async with engine.connect() as conn:
            size = await conn.scalar(
                text("SELECT pg_total_relation_size(:t)"), {"t": f"{database.schema}.subscribers"}
            )
        await engine.dispose()
        size_mb = int(size or 0) / (1024 * 1024)
    return {"populate_s": seconds, "db_mb": size_mb}


def _file_mb(path: str) -> float:
    """A SQLite database's size on disk, its write-ahead log included."""
    files = [path, path + "-wal"]
    return sum(os.path.getsize(f) for f in files if os.path.exists(f)) / (1024 * 1024)


class Timed:
    """Wraps an async function of tipbot.storage.deliveries to add up its calls' wall time."""

    def __init__(self, module: Any, name: str) -> None:
        self.calls = 0
        self.seconds = 0.0
        self.first = 0.0
        #: The process's CPU (all threads: SQLite works in aiosqlite's) during the calls. Other
        #: sessions on the machine, and fsyncs waiting for their writes, inflate the wall time.
        self.cpu_seconds = 0.0
        original = getattr(module, name)

        async def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            cpu_started = cpu_seconds()
            try:
                return await original(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - started
                self.cpu_seconds += cpu_seconds() - cpu_started
                if self.calls == 0:
                    self.first = elapsed
                self.calls += 1
                self.seconds += elapsed

        setattr(module, name, timed)


def _bigger_sqlite_cache(megabytes: int) -> None:
    """Experiment only (--sqlite-cache-mb): tipbot's SQLite connect hook also sets
    `PRAGMA cache_size` (SQLite's default page cache is 2 MB per connection)."""
    from tipbot.storage import db

    original = db._sqlite_pragmas

    def pragmas(dbapi_connection: Any, record: Any) -> None:
        original(dbapi_connection, record)
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA cache_size=-{megabytes * 1024}")
        cursor.close()

    db._sqlite_pragmas = pragmas


async def _broadcast_claims(engine: Any) -> dict[str, Any]:
    """An announcement to every subscriber (tipbot's own create_broadcast: one pending row each),
    then three claims of 1,000 rows with all of them pending, as a broadcast sweep does."""
    from datetime import timedelta

    from tipbot.storage import db
    from tipbot.storage import deliveries as store

    started = time.perf_counter()
    _, recipients = await store.create_broadcast(
        engine, "Bench announcement", 1, db.utcnow(), timedelta(hours=24)
    )
    create_s = time.perf_counter() - started
    claims = []
    for _ in range(3):
        started = time.perf_counter()
        jobs = await store.claim(engine, db.utcnow(), "bench", 1000, timedelta(seconds=60))
        claims.append(time.perf_counter() - started)
        assert len(jobs) == 1000, len(jobs)
    return {
        "broadcast_recipients": recipients,
        "broadcast_create_s": create_s,
        "broadcast_claim_s": sorted(claims)[1],
        "rss_after_broadcast_mb": max_rss_mb(),
    }


async def sweep_worker(args: argparse.Namespace) -> dict[str, Any]:
    rss_start = max_rss_mb()
    from tipbot.config import Role, Settings
    from tipbot.content.loader import load_bank
    from tipbot.runner import Runner
    from tipbot.storage import deliveries as store
    from tipbot.web import refresh_gauges

    database = Database.from_args(args.db_url, args.db_schema)
    if args.sqlite_cache_mb:
        _bigger_sqlite_cache(args.sqlite_cache_mb)
    plan = Timed(store, "plan_due")
    claim = Timed(store, "claim")
    settings = Settings(
        token=TOKEN,
        api_url=args.api,
        database_url=database.url,
        max_rate=1000.0,
        roles=frozenset({Role.DELIVERY}),
    )
    translations = None
    if args.skip_validation:
        bank = load_bank().bank
    elif args.full_validation:
        from tipbot.content.validate import Rules, validate_dir

        checked_bank, problems = validate_dir(None, Rules(readability=True))
        assert checked_bank is not None and not problems, problems
        bank = checked_bank
    else:  # as `tipbot run` does before it starts: the checked bank from the (warm) cache
        from tipbot.content.cache import load_checked

        checked, problems = load_checked(None, Path(args.cache_dir))
        assert checked is not None and not problems, problems
        bank, translations = checked.bank, checked.translations
    runner = Runner(settings, bank, schedule_sweeps=False, translations=translations)
    if database.schema:
        use_schema(runner.engine, database.schema)
    await runner.start()
    deliverer = runner.services.deliverer
    assert deliverer is not None
    rss_ready = max_rss_mb()

    profiler = None
    if args.profile_to:
        from pyinstrument import Profiler

        profiler = Profiler(async_mode="enabled")
        profiler.start()
    started = time.perf_counter()
    report = await deliverer.sweep()
    sweep_s = time.perf_counter() - started
    if profiler is not None:
        profiler.stop()
        with open(args.profile_to, "w") as out:  # noqa: ASYNC230 - after the measurement
            out.write(profiler.output_text(unicode=True))
    assert report is not None
    rss_swept = max_rss_mb()
    plan_s, plan_calls, claim_s, claim_calls = plan.seconds, plan.calls, claim.seconds, claim.calls
    first_claim_s = claim.first

    started = time.perf_counter()
    idle = await deliverer.sweep()
    idle_s = time.perf_counter() - started
    assert idle is not None and idle.sent == 0, idle

    started = time.perf_counter()
    await refresh_gauges(runner.services)  # the first scrape reads the database
    gauges_s = time.perf_counter() - started
    started = time.perf_counter()
    await refresh_gauges(runner.services)  # later ones within GAUGE_SECONDS use the cache
    gauges_cached_s = time.perf_counter() - started

    broadcast: dict[str, Any] = {}
    if args.broadcast:
        broadcast = await _broadcast_claims(runner.engine)

    await runner.stop()
    return {
        **broadcast,
        "sent": report.sent,
        "planned": report.planned,
        "sweep_s": sweep_s,
        "plan_s": plan_s,
        "plan_cpu_s": plan.cpu_seconds,
        "plan_calls": plan_calls,
        "claim_s": claim_s,
        "claim_calls": claim_calls,
        "first_claim_s": first_claim_s,
        "plan_claim_s": plan_s + claim_s,
        "idle_sweep_s": idle_s,
        "metrics_scrape_s": gauges_s,
        "metrics_cached_s": gauges_cached_s,
        "rss_start_mb": rss_start,
        "rss_ready_mb": rss_ready,
        "rss_after_sweep_mb": rss_swept,
        "rss_peak_mb": max_rss_mb(),
        "rss_now_mb": current_rss_mb(),
    }


# --------------------------------------------------------------------------- driver

#: Planning at the largest size may cost at most this much more than at the smallest.
TARGET_PLAN_RATIO = 1.3
RESULTS_DIR = Path(__file__).parent / "results"


def warm_bank_cache(tmp: str) -> str:
    """Check the bank once into a cache directory, so every sweep process loads it as a
    restarted `tipbot run` does (from TIPBOT_CACHE_DIR)."""
    from tipbot.content.cache import load_checked

    cache_dir = str(Path(tmp) / "bank-cache")
    checked, problems = load_checked(None, Path(cache_dir))
    assert checked is not None and not problems, problems
    return cache_dir


#: plan_due's statements, as SQLAlchemy renders them for SQLite (parameters as `?`).
PLAN_STATEMENTS = {
    "select due": "SELECT subscribers.chat_id FROM subscribers LEFT OUTER JOIN profiles ON "
    "profiles.chat_id = subscribers.chat_id WHERE subscribers.next_due_at <= ? "
    "ORDER BY subscribers.next_due_at LIMIT ?",
    "insert delivery": "INSERT INTO deliveries (chat_id, local_date, tip_id, status, attempts, "
    "due_at, expire_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (chat_id, local_date) DO NOTHING",
    "update subscriber": "UPDATE subscribers SET next_due_at=?, cycle=?, cycle_sent=?, "
    "last_planned=? WHERE subscribers.chat_id = ?",
}


def sqlite_query_plans(path: str) -> dict[str, list[str]]:
    """EXPLAIN QUERY PLAN of planning's statements on the populated file."""
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        plans = {}
        for name, sql in PLAN_STATEMENTS.items():
            params = (None,) * sql.count("?")
            plans[name] = [
                str(row[-1]) for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            ]
        return plans
    finally:
        conn.close()


def print_flatness(results: list[dict[str, Any]], due: int) -> None:
    """Planning cost at the largest size against the smallest, per back end (the target)."""
    lines = []
    for backend in sorted({r["backend"] for r in results}):
        runs = sorted((r for r in results if r["backend"] == backend), key=lambda r: r["total"])
        if len(runs) < 2:
            continue
        small, large = runs[0], runs[-1]
        ratio = large["plan_s"] / small["plan_s"]
        cpu_ratio = large["plan_cpu_s"] / small["plan_cpu_s"]
        large["plan_ratio"], large["plan_cpu_ratio"] = ratio, cpu_ratio
        lines.append(
            [
                backend,
                f"{small['total']:,}",
                f"{small['plan_s'] * 1000:.0f} ({small['plan_cpu_s'] * 1000:.0f})",
                f"{large['total']:,}",
                f"{large['plan_s'] * 1000:.0f} ({large['plan_cpu_s'] * 1000:.0f})",
                f"{ratio:.2f}x ({cpu_ratio:.2f}x)",
                target(ratio <= TARGET_PLAN_RATIO),
            ]
        )
    if lines:
        print(
            f"\nPlanning {due:,} due subscribers: largest size against smallest, wall ms "
            "(CPU ms of the process, all threads)"
        )
        print(
            table(
                ["db", "small", "plan ms", "large", "plan ms", "ratio", f"<= {TARGET_PLAN_RATIO}x"],
                lines,
            )
        )


def run_size(
    database: Database,
    total: int,
    due: int,
    cache_mb: int = 0,
    broadcast: bool = False,
    skip_validation: bool = False,
    full_validation: bool = False,
    cache_dir: str = "",
    profile_to: str = "",
) -> dict[str, Any]:
    filled = run_worker(
        "bench.scale",
        ["--worker", "populate", "--total", str(total), "--due", str(due), *database.args()],
        timeout=3600,
    )
    if database.backend == "sqlite":
        filled["query_plans"] = sqlite_query_plans(database.sqlite_path)
    with FakeServer(global_rate=0, per_chat_rate=0, record_text=False) as fake:
        swept = run_worker(
            "bench.scale",
            [
                "--worker",
                "sweep",
                "--api",
                fake.api_url,
                *database.args(),
                "--sqlite-cache-mb",
                str(cache_mb),
                *(["--broadcast"] if broadcast else []),
                *(["--skip-validation"] if skip_validation else []),
                *(["--full-validation"] if full_validation else []),
                "--cache-dir",
                cache_dir,
                *(["--profile-to", profile_to] if profile_to else []),
            ],
        )
        sent = fake.stats()["messages"]
    if swept["sent"] != due or sent != due:
        raise RuntimeError(f"{swept['sent']} sent by the sweep, {sent} seen by the server")
    return {"total": total, "due": due, **filled, **swept}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__)
    parser.add_argument("--sizes", default="10000,100000,1000000", help="subscribers in the db")
    parser.add_argument("--due", type=int, default=1000, help="how many of them are due")
    parser.add_argument("--db", default="sqlite,postgresql", help="back ends to measure")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--pg-schema", default=PG_SCHEMA)
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL schema after")
    parser.add_argument(
        "--sqlite-cache-mb",
        type=int,
        default=0,
        help="experiment: give tipbot's SQLite connections a page cache of this many MB",
    )
    validation = parser.add_mutually_exclusive_group()
    validation.add_argument(
        "--skip-validation",
        action="store_true",
        help="load the tip bank without validating it (tipbot run validates every rule but the "
        "reading grade): shows the memory that this validation costs",
    )
    validation.add_argument(
        "--full-validation",
        action="store_true",
        help="also check reading grades, as `tipbot validate` does (textstat's pronouncing "
        "dictionary; tipbot run skips it): shows the memory that check would cost",
    )
    parser.add_argument(
        "--broadcast",
        action="store_true",
        help="also time create_broadcast to every subscriber and a claim of 1,000 of its rows",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="profile each sweep with pyinstrument: bench/results/scale-<db>-<size>.txt",
    )
    parser.add_argument("--worker", choices=["populate", "sweep"], help=argparse.SUPPRESS)
    parser.add_argument("--cache-dir", default="", help=argparse.SUPPRESS)
    parser.add_argument("--profile-to", default="", help=argparse.SUPPRESS)
    parser.add_argument("--total", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--api", help=argparse.SUPPRESS)
    parser.add_argument("--db-url", default="", help=argparse.SUPPRESS)
    parser.add_argument("--db-schema", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker == "populate":
        emit(asyncio.run(populate_worker(args)))
        return 0
    if args.worker == "sweep":
        emit(asyncio.run(sweep_worker(args)))
        return 0

    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    backends = [b.strip() for b in args.db.split(",") if b.strip()]
    results: list[dict[str, Any]] = []
    rows: list[list[Any]] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="tipbot-bench-scale-") as tmp:
        cache_dir = warm_bank_cache(tmp)
        for backend in backends:
            database = (
                sqlite_database(tmp)
                if backend == "sqlite"
                else postgres_database(args.pg_url, args.pg_schema)
            )
            try:
                for total in sizes:
                    r = run_size(
                        database,
                        total,
                        args.due,
                        args.sqlite_cache_mb,
                        args.broadcast,
                        args.skip_validation,
                        args.full_validation,
                        cache_dir,
                        str(RESULTS_DIR / f"scale-{backend}-{total}.txt") if args.profile else "",
                    )
                    r["backend"] = backend
                    r["rss_ok"] = r["rss_peak_mb"] < TARGET_RSS_MB
                    results.append(r)
                    print(
                        f"  {backend:10} {total:>9,}: insert {r['populate_s']:.1f} s, "
                        f"sweep {r['sweep_s']:.2f} s, plan+claim {r['plan_claim_s']:.3f} s, "
                        f"peak {r['rss_peak_mb']:.0f} MB",
                        file=sys.stderr,
                    )
                    rows.append(
                        [
                            backend,
                            f"{total:,}",
                            f"{r['populate_s']:.1f}",
                            f"{r['db_mb']:.0f}",
                            f"{r['plan_s'] * 1000:.0f}",
                            f"{r['first_claim_s'] * 1000:.0f}",
                            f"{r['sweep_s']:.2f}",
                            f"{r['idle_sweep_s'] * 1000:.1f}",
                            f"{r['metrics_scrape_s'] * 1000:.0f}",
                            f"{r['metrics_cached_s'] * 1000:.2f}",
                            f"{r['rss_ready_mb']:.0f}",
                            f"{r['rss_peak_mb']:.0f}",
                            target(r["rss_ok"]),
                        ]
                    )
            finally:
                if backend == "postgresql" and not args.keep:
                    asyncio.run(drop_schema(database))
    elapsed = time.perf_counter() - started
    if args.broadcast:
        print("\nA broadcast to every subscriber (create_broadcast), then claim(1,000) of its rows")
        print(
            table(
                ["db", "subscribers", "create_broadcast s", "one claim ms", "peak RSS MB"],
                [
                    [
                        r["backend"],
                        f"{r['total']:,}",
                        f"{r['broadcast_create_s']:.2f}",
                        f"{r['broadcast_claim_s'] * 1000:.0f}",
                        f"{r['rss_after_broadcast_mb']:.0f}",
                    ]
                    for r in results
                ],
            )
        )
    print(
        f"\nOne sweep with {args.due:,} due subscribers (tipbot, delivery role, max_rate=1000).\n"
        "plan: all plan_due calls; claim: the first claim (1,000 rows, before any send);\n"
        "idle sweep: a second sweep with nothing due; /metrics db: refresh_gauges() reading the\n"
        "database (at most every 30 s); /metrics cached: the next scrape, from the cache"
    )
    print(
        table(
            [
                "db",
                "subscribers",
                "insert s",
                "table MB",
                "plan ms",
                "claim ms",
                "sweep s",
                "idle sweep ms",
                "/metrics db ms",
                "/metrics cached ms",
                "RSS ready MB",
                "peak RSS MB",
                f"< {TARGET_RSS_MB:.0f} MB",
            ],
            rows,
        )
    )
    print_flatness(results, args.due)
    for r in results:
        if r.get("query_plans"):
            print(f"\nSQLite query plans ({r['total']:,} subscribers):")
            for statement, plan in r["query_plans"].items():
                print(f"  {statement}: {' / '.join(plan)}")
            break
    print(f"total time {elapsed:.0f} s, load average {os.getloadavg()[0]:.1f}")
    versions = {"postgresql": postgres_version(args.pg_url)} if "postgresql" in backends else {}
    record(
        "scale",
        {
            "sizes": sizes,
            "due": args.due,
            "dbs": backends,
            "sqlite_cache_mb": args.sqlite_cache_mb,
            "broadcast": args.broadcast,
            "validated_bank": not args.skip_validation,
            "validation": "none"
            if args.skip_validation
            else "full (with reading grades)"
            if args.full_validation
            else "as tipbot run (no reading grades)",
            **versions,
            "elapsed_s": elapsed,
        },
        results,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
