"""CPU seconds per 1,000 delivered tips: tipbot's sweep against bare PTB send loops.

tipbot runs one `Deliverer.sweep()` of N due subscribers (plan, claim, send, record) at
`max_rate` with the concurrency it derives from it. The reference is a bare python-telegram-bot
loop that awaits `ExtBot.send_message` one message at a time (the "sequential" loop, PTB at its
cheapest), sending the same rendered tips (`render.tip` + `keyboards.daily_tip()`) with no
bookkeeping. Optionally also: tipbot with deliveries through PTB (`TIPBOT_DELIVERY_HTTP=ptb`, the
path before the lean client) and the bare loop with 64 sends in flight. The fake Bot API runs in
its own process with Telegram's limits lifted and `--latency` added to every answer (a round
trip to Telegram). Each measurement runs in a fresh process (populating the database and
starting the bot are not measured); the CPU counted is the bot process's own (all threads), from
just before the sweep (or the loop) to just after it.

    python -m bench.delivery_cost [--sizes 1000,10000] [--repeats 3] [--postgres] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import (
    CHAT_BASE,
    DEFAULT_PG_URL,
    RESULTS_DIR,
    TOKEN,
    CpuSample,
    Database,
    FakeServer,
    drop_schema,
    emit,
    median,
    populate,
    postgres_database,
    record,
    reset_database,
    run_worker,
    sqlite_database,
    table,
    target,
    use_schema,
)
from tipbot.bot.app import delivery_concurrency

#: tipbot's CPU per delivered tip against the sequential bare loop's (issue 14).
TARGET_RATIO = 0.60
MAX_RATE = 1000.0
#: Seconds the fake server waits before each answer: a round trip to Telegram.
LATENCY = 0.1
#: Messages the sequential loop sends per run (at LATENCY it sends about 1/LATENCY a second).
SEQ_N = 200
WARMUP = 50
#: The sides a run can measure, in the order the table shows them.
SIDES = ("tipbot", "seq", "tipbot-ptb", "bare")
#: Chat ids of the warm-up messages (the measured ones start at CHAT_BASE).
WARMUP_BASE = 1_000_000
#: Where the two processes run when pinned (--no-pin: wherever the scheduler puts them).
BOT_CPU, SERVER_CPU = 0, 1


def concurrency_for(max_rate: float, lean: bool = True) -> int:
    """The delivery concurrency (and pool size) tipbot derives from max_rate."""
    return delivery_concurrency(max_rate, lean=lean)


# --------------------------------------------------------------------------- workers


async def tipbot_side(args: argparse.Namespace) -> dict[str, Any]:
    from tipbot.config import DeliveryHttp, Role, Settings
    from tipbot.content.loader import load_bank
    from tipbot.observe import setup_logging
    from tipbot.runner import Runner
    from tipbot.storage import db

    database = Database.from_args(args.db_url, args.db_schema)
    bank = load_bank().bank
    tip_ids = tuple(t.id for t in bank.tips)
    await reset_database(database)
    if args.warmup:
        await populate(
            database, args.warmup, args.warmup, db.utcnow(), tip_ids, first_chat=WARMUP_BASE
        )
    settings = Settings(
        token=TOKEN,
        api_url=args.api,
        database_url=database.url,
        max_rate=args.max_rate,
        roles=frozenset({Role.DELIVERY}),
        delivery_http=DeliveryHttp.PTB if args.worker == "tipbot-ptb" else DeliveryHttp.LEAN,
    )
    setup_logging("INFO", "text", [TOKEN])  # as `tipbot run` does
    if args.concurrency:
        _force_pool_size(args.concurrency)
    runner = Runner(settings, bank, schedule_sweeps=False)
    if database.schema:
        use_schema(runner.engine, database.schema)
    await runner.start()
    deliverer = runner.services.deliverer
    assert deliverer is not None
    lean = runner.services.delivery_client is not None
    if lean != (args.worker == "tipbot"):
        raise RuntimeError(f"{args.worker}: the lean client is {'on' if lean else 'off'}")
    if args.concurrency:
        deliverer._concurrency = args.concurrency
        if runner.services.delivery_client is not None:
            runner.services.delivery_client._max = args.concurrency
    elif deliverer._concurrency != concurrency_for(args.max_rate, lean):
        raise RuntimeError(
            f"tipbot now uses concurrency {deliverer._concurrency}; update concurrency_for()"
        )
    if args.warmup:  # a first, unmeasured sweep: compiled SQL, open connections, as later on
        warm = await deliverer.sweep()
        assert warm is not None and warm.sent == args.warmup, warm
    populate_s = await populate(database, args.n, args.n, db.utcnow(), tip_ids)
    profiler = _profiler(args)
    gc.collect()
    cpu0, wall0 = CpuSample.now(), time.perf_counter()
    if profiler:
        profiler.start()
    report = await deliverer.sweep()
    if profiler:
        profiler.stop()
    wall, cpu = time.perf_counter() - wall0, CpuSample.now().since(cpu0)
    concurrency = deliverer._concurrency
    await runner.stop()
    assert report is not None
    return {
        "profile_s_per_1000": _save_profile(profiler, args) if profiler else {},
        "side": args.worker,
        "sent": report.sent,
        "failed": report.failed,
        **cpu,
        "wall_s": wall,
        "concurrency": concurrency,
        "populate_s": populate_s,
    }


def _force_pool_size(size: int) -> None:
    """Experiment only (--concurrency): the delivery bot's HTTPXRequest pool gets `size`
    connections (the sweep's semaphore is set to the same after start-up)."""
    import tipbot.bot.app as app_module

    real = app_module.HTTPXRequest

    def sized(*args: Any, **kwargs: Any) -> Any:
        kwargs["connection_pool_size"] = size
        return real(*args, **kwargs)

    app_module.HTTPXRequest = sized  # type: ignore[assignment,misc]


async def bare_side(args: argparse.Namespace) -> dict[str, Any]:
    from telegram.ext import ExtBot
    from telegram.request import HTTPXRequest

    from tipbot.bot import keyboards
    from tipbot.bot.app import DEFAULTS
    from tipbot.content import render
    from tipbot.content.loader import load_bank

    bank = load_bank().bank
    tips = bank.tips
    if args.worker == "seq":
        concurrency = 1  # PTB at its cheapest: one send awaited at a time
    else:
        concurrency = args.concurrency or concurrency_for(args.max_rate, lean=False)
    request = HTTPXRequest(connection_pool_size=concurrency, pool_timeout=30.0, read_timeout=15.0)
    bot: ExtBot[None] = ExtBot(
        TOKEN,
        base_url=f"{args.api}/bot",
        base_file_url=f"{args.api}/file/bot",
        request=request,
        defaults=DEFAULTS,
    )
    await bot.initialize()
    slots = asyncio.Semaphore(concurrency)
    tasks: set[asyncio.Task[None]] = set()
    sent = 0

    async def one(i: int) -> None:
        nonlocal sent
        try:
            tip = tips[i % len(tips)]
            await bot.send_message(
                chat_id=CHAT_BASE + i,
                text=render.tip(bank, tip),
                reply_markup=keyboards.daily_tip(),
            )
            sent += 1
        finally:
            slots.release()

    if args.warmup:
        await asyncio.gather(
            *(
                bot.send_message(
                    chat_id=WARMUP_BASE + i,
                    text=render.tip(bank, tips[i % len(tips)]),
                    reply_markup=keyboards.daily_tip(),
                )
                for i in range(args.warmup)
            )
        )
    profiler = _profiler(args)
    gc.collect()
    cpu0, wall0 = CpuSample.now(), time.perf_counter()
    if profiler:
        profiler.start()
    for i in range(args.n):
        await slots.acquire()
        task = asyncio.create_task(one(i))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    await asyncio.gather(*tasks)
    if profiler:
        profiler.stop()
    wall, cpu = time.perf_counter() - wall0, CpuSample.now().since(cpu0)
    await bot.shutdown()
    return {
        "profile_s_per_1000": _save_profile(profiler, args) if profiler else {},
        "side": args.worker,
        "sent": sent,
        "failed": args.n - sent,
        **cpu,
        "wall_s": wall,
        "concurrency": concurrency,
    }


def _profiler(args: argparse.Namespace) -> Any:
    if not args.profile_to:
        return None
    from pyinstrument import Profiler

    return Profiler(interval=0.0005, async_mode="disabled")


def _save_profile(profiler: Any, args: argparse.Namespace) -> dict[str, float]:
    """Write the HTML and text reports; return the self time per library per 1,000 messages."""
    base = Path(args.profile_to)
    base.parent.mkdir(parents=True, exist_ok=True)
    if args.profile_html:
        base.with_suffix(".html").write_text(profiler.output_html())
    shares = by_library(profiler.last_session.root_frame())
    total = sum(shares.values()) or 1.0
    lines = [
        "Self time by library (main thread only: aiosqlite's thread is not sampled; C functions",
        "count for the library that called them):",
    ]
    for name, seconds in sorted(shares.items(), key=lambda kv: -kv[1]):
        lines.append(f"  {name:36} {seconds:8.3f} s  {100 * seconds / total:5.1f} %")
    base.with_suffix(".txt").write_text(
        "\n".join(lines) + "\n\n" + profiler.output_text(unicode=True, color=False, show_all=False)
    )
    return {name: seconds / args.n * 1000 for name, seconds in shares.items()}


#: Path fragments with a label of their own; any other frame is named by its package.
SPECIAL = (
    ("/httpcore/_async/connection_pool.py", "httpcore pool bookkeeping"),
    ("<frozen importlib", "import machinery (failed imports)"),
    ("/selectors.py", "idle (waiting in select)"),
    ("/tipbot/", "tipbot"),
)


def library_of(path: str) -> str:
    for fragment, label in SPECIAL:
        if fragment in path:
            return label
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    if "/lib/python3" in path:
        rest = path.split("/lib/python3", 1)[1].split("/", 1)[-1]
        return "stdlib " + rest.split("/", 1)[0].removesuffix(".py")
    return path.rsplit("/", 1)[-1] or "other"


def by_library(root: Any) -> dict[str, float]:
    """Self time per library over a pyinstrument frame tree (pyinstrument puts a frame's own
    time in synthetic `[self]` children, which count for the frame that holds them)."""
    shares: dict[str, float] = {}
    stack: list[tuple[Any, str]] = [(root, "other")] if root is not None else []
    while stack:
        frame, parent_label = stack.pop()
        path = frame.file_path or ""
        if frame.function == "[await]":
            label = "idle (waiting in select)"
        elif not path or (path.startswith("<") and "importlib" not in path):
            label = parent_label  # [self], C functions, frozen modules: count for the caller
        else:
            label = library_of(path)
        children = list(frame.children)
        own = frame.time - sum(c.time for c in children)
        if own > 0:
            shares[label] = shares.get(label, 0.0) + own
        stack.extend((child, label) for child in children)
    return shares


def compare_profiles(
    tipbot: dict[str, float], bare: dict[str, float], other: str = "sequential PTB s"
) -> str:
    """A table of sampled self time per library, per 1,000 messages, tipbot beside bare."""
    names = sorted(set(tipbot) | set(bare), key=lambda k: -(tipbot.get(k, 0) - bare.get(k, 0)))
    rows = [
        [
            name,
            tipbot.get(name, 0.0),
            bare.get(name, 0.0),
            tipbot.get(name, 0.0) - bare.get(name, 0.0),
        ]
        for name in names
        if max(tipbot.get(name, 0.0), bare.get(name, 0.0)) >= 0.005
    ]
    rows.append(
        [
            "total sampled",
            sum(tipbot.values()),
            sum(bare.values()),
            sum(tipbot.values()) - sum(bare.values()),
        ]
    )
    return (
        "Sampled self time per 1,000 messages under pyinstrument (main thread; profiling "
        "inflates every number, compare the two columns)\n\n"
        + table(["library", "tipbot s", other, "difference s"], rows)
    )


def worker_main(args: argparse.Namespace) -> None:
    side = tipbot_side if args.worker.startswith("tipbot") else bare_side
    emit(asyncio.run(side(args)))


# --------------------------------------------------------------------------- driver


def measure(
    side: str,
    n: int,
    database: Database,
    max_rate: float,
    profile_to: str = "",
    concurrency: int = 0,
    pinned: bool = True,
    warmup: int = WARMUP,
    profile_html: bool = False,
    latency: float = LATENCY,
) -> Any:
    """One fresh fake server and one fresh worker process for one measurement."""
    server_cpu = SERVER_CPU if pinned else None
    with FakeServer(
        global_rate=0, per_chat_rate=0, record_text=False, cpu=server_cpu, latency=latency
    ) as fake:
        server_cpu0 = fake.cpu_seconds()
        result = run_worker(
            "bench.delivery_cost",
            [
                "--worker",
                side,
                "--api",
                fake.api_url,
                "--n",
                str(n),
                "--max-rate",
                str(max_rate),
                *database.args(),
                "--profile-to",
                profile_to,
                "--concurrency",
                str(concurrency),
                "--warmup",
                str(warmup),
                *(["--profile-html"] if profile_html else []),
            ],
            cpu=BOT_CPU if pinned else None,
        )
        result["server_cpu_s"] = fake.cpu_seconds() - server_cpu0
        stats = fake.stats()
    result["server_messages"] = stats["messages"]
    result["statuses"] = stats["statuses"]
    if result["sent"] != n or stats["messages"] < n + warmup:
        raise RuntimeError(f"{side}: {result['sent']} of {n} sent; server saw {stats}")
    result["cpu_per_1000"] = result["cpu_s"] / n * 1000
    result["msgs_per_s"] = n / result["wall_s"]
    return result


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "cpu_per_1000": median([r["cpu_per_1000"] for r in runs]),
        "msgs_per_s": median([r["msgs_per_s"] for r in runs]),
        "server_cpu_per_1000": median([r["server_cpu_s"] / r["sent"] * 1000 for r in runs]),
        "runs": runs,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.delivery_cost", description=__doc__)
    parser.add_argument("--sizes", default="1000,10000", help="due subscribers per run")
    parser.add_argument("--repeats", type=int, default=3, help="runs per side; median reported")
    parser.add_argument("--max-rate", type=float, default=MAX_RATE, help="TIPBOT_MAX_RATE")
    parser.add_argument("--postgres", action="store_true", help="also on PostgreSQL")
    parser.add_argument("--postgres-only", action="store_true", help="only on PostgreSQL")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument(
        "--profile",
        action="store_true",
        help="after measuring, profile one run of each side per size with pyinstrument "
        "(bench/results/delivery_cost-<db>-<n>[-bare].txt and -compare.md)",
    )
    parser.add_argument(
        "--profile-html",
        action="store_true",
        help="with --profile, also write pyinstrument's HTML reports (tens of MB each)",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=0,
        help="experiment: use this many concurrent sends and pooled connections on both sides "
        "instead of what tipbot derives from max_rate",
    )
    parser.add_argument(
        "--no-pin",
        action="store_true",
        help="do not pin the bot process to CPU 0 and the fake server to CPU 1",
    )
    parser.add_argument(
        "--warmup",
        type=int,
        default=WARMUP,
        help="messages each side sends before measuring (0: measure a cold process)",
    )
    parser.add_argument(
        "--latency",
        type=float,
        default=LATENCY,
        help="seconds the fake server waits before each answer (a round trip to Telegram)",
    )
    parser.add_argument(
        "--seq-n",
        type=int,
        default=SEQ_N,
        help="messages per run of the sequential loop (at most the size; it sends one per "
        "round trip)",
    )
    parser.add_argument(
        "--with-ptb",
        action="store_true",
        help="also measure tipbot delivering through PTB (TIPBOT_DELIVERY_HTTP=ptb)",
    )
    parser.add_argument(
        "--with-concurrent-bare",
        action="store_true",
        help="also measure the bare PTB loop with 64 sends in flight",
    )
    parser.add_argument("--worker", choices=SIDES, help=argparse.SUPPRESS)
    parser.add_argument("--api", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--db-url", default="", help=argparse.SUPPRESS)
    parser.add_argument("--db-schema", default="", help=argparse.SUPPRESS)
    parser.add_argument("--profile-to", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker_main(args)
        return 0

    import tempfile

    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    backends: list[str] = [] if args.postgres_only else ["sqlite"]
    if args.postgres or args.postgres_only:
        backends.append("postgresql")
    sides = ["tipbot", "seq"]
    if args.with_ptb:
        sides.append("tipbot-ptb")
    if args.with_concurrent_bare:
        sides.append("bare")
    rows: list[list[Any]] = []
    results: list[dict[str, Any]] = []
    ok_all = True
    with tempfile.TemporaryDirectory(prefix="tipbot-bench-") as tmp:
        for backend in backends:
            database = (
                sqlite_database(tmp) if backend == "sqlite" else postgres_database(args.pg_url)
            )
            for n in sizes:
                runs: dict[str, list[dict[str, Any]]] = {side: [] for side in sides}
                for rep in range(args.repeats):
                    # Rotate which side goes first, so drift in the machine hits all of them.
                    order = sides[rep % len(sides) :] + sides[: rep % len(sides)]
                    for side in order:
                        run = measure(
                            side,
                            min(n, args.seq_n) if side == "seq" else n,
                            database,
                            args.max_rate,
                            concurrency=args.concurrency,
                            pinned=not args.no_pin,
                            warmup=args.warmup,
                            latency=args.latency,
                        )
                        runs[side].append(run)
                        print(
                            f"  {backend:10} n={n:6} {side:10} run {rep + 1}: "
                            f"{run['cpu_per_1000']:.3f} CPU s/1000, "
                            f"{run['msgs_per_s']:.0f} msg/s",
                            file=sys.stderr,
                        )
                summary = {side: summarize(side_runs) for side, side_runs in runs.items()}
                tip, seq = summary["tipbot"], summary["seq"]
                ratio = tip["cpu_per_1000"] / seq["cpu_per_1000"]
                ok = ratio <= TARGET_RATIO
                ok_all &= ok
                profile = ""
                if args.profile:
                    profile = str(RESULTS_DIR / f"delivery_cost-{backend}-{n}")
                    shares = {}
                    for side in sides:
                        run = measure(
                            side,
                            min(n, args.seq_n) if side == "seq" else n,
                            database,
                            args.max_rate,
                            profile_to=profile + ("" if side == "tipbot" else f"-{side}"),
                            concurrency=args.concurrency,
                            pinned=not args.no_pin,
                            warmup=args.warmup,
                            profile_html=args.profile_html,
                            latency=args.latency,
                        )
                        shares[side] = run["profile_s_per_1000"]
                    comparison = compare_profiles(shares["tipbot"], shares["seq"])
                    if "tipbot-ptb" in shares:
                        comparison += "\n\ntipbot (lean client) against tipbot through PTB:\n\n"
                        comparison += compare_profiles(
                            shares["tipbot"], shares["tipbot-ptb"], other="tipbot via PTB s"
                        )
                    Path(profile + "-compare.md").write_text(comparison + "\n")
                    print(f"  profiles: {profile}[-SIDE].txt, -compare.md", file=sys.stderr)
                results.append(
                    {
                        "backend": backend,
                        "n": n,
                        "seq_n": min(n, args.seq_n),
                        **summary,
                        "ratio": ratio,
                        "target_met": ok,
                        "profile": profile,
                    }
                )
                row: list[Any] = [
                    backend,
                    n,
                    tip["cpu_per_1000"],
                    seq["cpu_per_1000"],
                    f"{ratio:.2f}x",
                ]
                for side in ("tipbot-ptb", "bare"):
                    if side in summary:
                        row.append(summary[side]["cpu_per_1000"])
                row += [f"{tip['msgs_per_s']:.0f}", f"{seq['msgs_per_s']:.0f}", target(ok)]
                rows.append(row)
            if backend == "postgresql":
                asyncio.run(drop_schema(database))
    concurrency = args.concurrency or concurrency_for(args.max_rate)
    print(
        f"\nCPU seconds per 1,000 delivered tips (bot process only; median of {args.repeats}; "
        f"max_rate={args.max_rate:g}, tipbot concurrency {concurrency}, "
        f"{args.latency * 1000:g} ms added to every answer; the sequential loop sends "
        f"min(due, {args.seq_n}) messages per run)"
    )
    headers = ["db", "due", "tipbot CPU s/1000", "sequential PTB CPU s/1000", "ratio"]
    if args.with_ptb:
        headers.append("tipbot via PTB CPU s/1000")
    if args.with_concurrent_bare:
        headers.append(f"PTB x{concurrency_for(args.max_rate, lean=False)} CPU s/1000")
    headers += ["tipbot msg/s", "sequential msg/s", f"<= {TARGET_RATIO:.2f}x"]
    print(table(headers, rows))
    record(
        "delivery_cost",
        {
            "sizes": sizes,
            "repeats": args.repeats,
            "max_rate": args.max_rate,
            "dbs": backends,
            "concurrency": concurrency,
            "latency": args.latency,
            "seq_n": args.seq_n,
            "sides": sides,
            "pinned": not args.no_pin,
            "warmup": args.warmup,
        },
        results,
    )
    if not ok_all:
        print(f"target missed: tipbot uses more than {TARGET_RATIO:.2f}x the sequential loop's CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())
