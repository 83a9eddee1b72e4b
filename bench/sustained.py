"""Can one tipbot process send 1,000 messages a second for a minute, and still answer users?

`python -m tipbot run` runs as its own process (TIPBOT_MAX_RATE=1000, a sweep every second) with
`--tips` subscribers (60,000: a minute at 1,000/s) in its SQLite database, against a fake Bot API
with Telegram's limits lifted (a paid broadcast may send 1,000/s). By default they all chose the
same minute, the first whole one at least `--due-in` seconds (30) after the start, as at 08:00
with the bot running: tipbot plans them in the minute before (delivery/sweep.py, PLAN_AHEAD).
`--due-in 0` makes them all due already when the bot starts (after downtime): it then plans them
while it sends, and the first ten seconds or so go slower. While the tips go
out, `--users` users each send /foods about every `--every` seconds through the fake server's
control API, timed as in `bench.replies_during_broadcast` (from just before the push to the moment
the server accepted the reply). Beside it, from the same run, the bare python-telegram-bot loop of
`bench.delivery_cost` (64 sends in flight, the pool size PTB does best with, no bookkeeping and
no users) sends `--bare-n` messages to a fresh fake server: the rate PTB itself reaches in one
process on this machine.

The bot runs on CPU 0 and each fake server on CPU 1 (`--no-pin` leaves them to the scheduler).
The tip rate is (tips - 1) / (last - first tip seen by the server's counters, polled every
50 ms: the chats that have a message, less the users' and the probe's); the slowest second comes
from the same samples. The message rate counts every message the server accepted over the same
span, the answers too, their chart photos included (until 2026-12-01 it left the photos out,
about 10 a second, and read 987-988). The target is judged on it: Telegram counts every
message against a bot's limit, and TIPBOT_MAX_RATE budgets answers and tips together, so the
tips alone cannot pass 1,000 less the answers' 20 a second.

Each /foods answer is two messages (the chart and the list), and a chat may receive about one
message a second (tipbot's budget keeps to that even when the fake server does not check it):
a user asking every 2 s would use a whole chat's allowance, and the figure would time the
bot's Telegram pacing rather than its responsiveness. So 40 users ask every ~4 s (10 commands,
20 messages a second in all, half a chat's allowance each).

    python -m bench.sustained [--tips 60000] [--rate 1000] [--users 40] [--every 4]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from typing import Any

import httpx

from bench.common import (
    RESULTS_DIR,
    ROOT,
    TOKEN,
    FakeServer,
    clean_env,
    percentile,
    pin,
    populate,
    proc_cpu_seconds,
    record,
    reset_database,
    run_queue_seconds,
    sqlite_database,
    stop_process,
    table,
    target,
)
from bench.delivery_cost import BOT_CPU, SERVER_CPU
from bench.delivery_cost import measure as measure_bare
from bench.replies_during_broadcast import PROBE_CHAT, USER_BASE, Broadcast, user, watch

TARGET_RATE = 1000.0
TARGET_P99_S = 0.2


def per_second(samples: list[tuple[float, int]]) -> list[float]:
    """Tips sent in each whole second of the delivery, from (time, tips sent) samples taken
    every 50 ms (each second's count interpolated at its edges)."""
    sending = [(t, n) for t, n in samples if n > 0]
    if len(sending) < 2:
        return []

    def at(moment: float) -> float:
        for (t0, n0), (t1, n1) in itertools.pairwise(sending):
            if t0 <= moment <= t1:
                return n0 + (n1 - n0) * (moment - t0) / ((t1 - t0) or 1)
        return float(sending[-1][1])

    start, end = sending[0][0], sending[-1][0]
    return [at(start + s + 1) - at(start + s) for s in range(int(end - start))]


async def drive(
    args: argparse.Namespace, fake: FakeServer, bot: subprocess.Popen[bytes]
) -> dict[str, Any]:
    broadcast = Broadcast(args.tips)
    latencies: list[float] = []
    outside: list[float] = []
    early: list[float] = []  # answers to commands sent while the tips were being planned
    rng = random.Random(7)
    limits = httpx.Limits(max_connections=args.users + 8)
    async with httpx.AsyncClient(
        base_url=f"{fake.api_url}/_control", timeout=60, limits=limits
    ) as http:
        # The probe asks /foods: a process uploads the chart once, on its first /foods (later
        # ones send Telegram's file_id), and that one-off upload is not what is measured here.
        await http.post("/push_message", json={"chat_id": PROBE_CHAT, "text": "/foods"})
        probe = await http.get(
            "/wait_messages", params={"chat_id": PROBE_CHAT, "count": 1, "timeout": 60}
        )
        if not probe.json().get("ok") or bot.poll() is not None:
            raise RuntimeError(f"the bot did not answer within 60 s: {probe.text[:300]}")
        cpu0, server_cpu0, wall0 = proc_cpu_seconds(bot.pid), fake.cpu_seconds(), time.time()
        waits0 = run_queue_seconds(bot.pid), run_queue_seconds(fake.pid)
        users = [
            asyncio.create_task(
                user(http, USER_BASE + i, args.every, broadcast, latencies, outside, rng, early)
            )
            for i in range(args.users)
        ]
        await watch(http, broadcast, args.users, seconds=args.tips / 100 + 120 + args.due_in)
        wall = time.time() - wall0
        cpu, server_cpu = proc_cpu_seconds(bot.pid) - cpu0, fake.cpu_seconds() - server_cpu0
        bot_wait = run_queue_seconds(bot.pid) - waits0[0]
        server_wait = run_queue_seconds(fake.pid) - waits0[1]
        await asyncio.gather(*users)
        stats = (await http.get("/stats")).json()["result"]
    assert broadcast.started_at is not None and broadcast.finished_at is not None
    span = broadcast.finished_at - broadcast.started_at
    seconds = per_second(broadcast.samples)
    return {
        "delivery_s": span,
        "delivery_rate": (args.tips - 1) / span,
        # Everything the bot sent meanwhile, the users' answers too: Telegram's limit (and
        # TIPBOT_MAX_RATE, which the answers share with the tips) counts every message.
        "messages_rate": (broadcast.messages_at_end - broadcast.messages_at_start) / span,
        "first_tip_after_due_s": broadcast.started_at - args.due_at,
        "planning_commands": len(early),
        "planning_p99_s": percentile(early, 99) if early else None,
        "slowest_second": min(seconds, default=0.0),
        "per_second": [round(s) for s in seconds],
        "commands_during": len(latencies),
        "p50_s": percentile(latencies, 50),
        "p90_s": percentile(latencies, 90),
        "p99_s": percentile(latencies, 99),
        "max_s": max(latencies, default=float("nan")),
        "after_delivery_p50_s": percentile(outside, 50) if outside else None,
        "http_429": int(stats["statuses"].get("429", 0)),
        "statuses": stats["statuses"],
        "bot_cpu_busy": cpu / wall,
        "bot_cpu_per_1000": cpu / args.tips * 1000,
        "server_cpu_busy": server_cpu / wall,
        # Runnable but not running (the machine's other work): summed over threads, per second.
        "bot_run_queue_wait": bot_wait / wall,
        "server_run_queue_wait": server_wait / wall,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sustained", description=__doc__)
    parser.add_argument("--tips", type=int, default=60_000, help="due subscribers")
    parser.add_argument("--rate", type=float, default=TARGET_RATE, help="TIPBOT_MAX_RATE")
    parser.add_argument("--users", type=int, default=40, help="users sending /foods")
    parser.add_argument("--every", type=float, default=4.0, help="seconds between commands")
    parser.add_argument(
        "--latency", type=float, default=0.0, help="seconds the fake server waits per answer"
    )
    parser.add_argument(
        "--bare-n", type=int, default=10_000, help="messages the bare PTB loop sends (0: skip)"
    )
    parser.add_argument(
        "--due-in",
        type=float,
        default=30.0,
        help="seconds from the start of the run to the tips' moment (0: all due already, as "
        "after downtime; the bot then plans them while it sends)",
    )
    parser.add_argument("--no-pin", action="store_true", help="do not pin the processes")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="run the bot under pyinstrument; its report goes to bench/results/sustained-bot.txt",
    )
    args = parser.parse_args(argv)

    from tipbot.content.loader import load_bank
    from tipbot.storage import db

    pinned = not args.no_pin
    with tempfile.TemporaryDirectory(prefix="tipbot-bench-sustained-") as tmp:
        database = sqlite_database(tmp)
        tip_ids = tuple(t.id for t in load_bank().bank.tips)
        asyncio.run(reset_database(database))
        due_at, spread = db.utcnow(), True
        if args.due_in:
            # Everyone chose the same minute (as at 08:00): the first whole minute at least
            # `--due-in` seconds away, with the bot running meanwhile.
            soon = due_at + timedelta(seconds=args.due_in + 59)
            due_at, spread = soon.replace(second=0, microsecond=0), False
        args.due_at = time.time() + (due_at - db.utcnow()).total_seconds()
        asyncio.run(populate(database, args.tips, args.tips, due_at, tip_ids, spread=spread))
        with (
            FakeServer(
                global_rate=0,
                per_chat_rate=0,
                record_text=True,
                cpu=SERVER_CPU if pinned else None,
                latency=args.latency,
            ) as fake,
            open(f"{tmp}/bot.log", "wb") as log,
        ):
            env = clean_env(
                TELEGRAM_BOT_TOKEN=TOKEN,
                TIPBOT_API_URL=fake.api_url,
                TIPBOT_DATABASE_URL=database.url,
                TIPBOT_MAX_RATE=str(args.rate),
                TIPBOT_SWEEP_SECONDS="1",
            )
            command = [sys.executable, "-m", "tipbot", "run"]
            if args.profile:
                RESULTS_DIR.mkdir(parents=True, exist_ok=True)
                command[1:1] = [
                    "-m",
                    "pyinstrument",
                    "-i",
                    "0.001",
                    "-o",
                    str(RESULTS_DIR / "sustained-bot.txt"),
                ]
            bot = subprocess.Popen(command, cwd=ROOT, env=env, stderr=log)
            pin(bot.pid, BOT_CPU if pinned else None)
            try:
                result = asyncio.run(drive(args, fake, bot))
            finally:
                code = stop_process(bot)
            if code != 0:
                with open(f"{tmp}/bot.log") as f:
                    print(f.read()[-3000:], file=sys.stderr)
        bare: dict[str, Any] = {}
        if args.bare_n:
            bare = measure_bare(
                "bare", args.bare_n, database, args.rate, pinned=pinned, latency=args.latency
            )

    rate_ok = result["messages_rate"] >= TARGET_RATE * 0.98
    p99_ok = result["p99_s"] < TARGET_P99_S
    result.update(bot_exit_code=code, rate_target_met=rate_ok, p99_target_met=p99_ok)
    if bare:
        result["bare"] = {k: bare[k] for k in ("msgs_per_s", "cpu_per_1000", "concurrency")}
    print(
        f"\n{args.tips:,} tips at TIPBOT_MAX_RATE={args.rate:g} (fake server limits lifted, "
        f"{args.latency * 1000:g} ms per answer) while {args.users} users send /foods every "
        f"~{args.every:g} s"
    )
    rows = [
        [
            "tipbot (plan, claim, send, record; replies)",
            f"{result['delivery_rate']:.0f}",
            f"{result['messages_rate']:.0f}",
            f"{result['slowest_second']:.0f}",
            f"{result['delivery_s']:.1f}",
            f"{result['bot_cpu_per_1000']:.3f}",
            f"{100 * result['bot_cpu_busy']:.0f} %",
            result["commands_during"],
            f"{result['p50_s'] * 1000:.0f}",
            f"{result['p99_s'] * 1000:.0f}",
            f"{result['max_s'] * 1000:.0f}",
        ]
    ]
    if bare:
        rows.append(
            [
                f"bare PTB loop, {bare['concurrency']} in flight, no bookkeeping",
                f"{bare['msgs_per_s']:.0f}",
                f"{bare['msgs_per_s']:.0f}",
                "",
                f"{bare['wall_s']:.1f}",
                f"{bare['cpu_per_1000']:.3f}",
                "",
                "",
                "",
                "",
                "",
            ]
        )
    rows.append(
        [
            "target",
            "",
            f">= {TARGET_RATE * 0.98:.0f}: {target(rate_ok)}",
            "",
            "",
            "",
            "",
            "",
            "",
            f"< {TARGET_P99_S * 1000:.0f}: {target(p99_ok)}",
            "",
        ]
    )
    print(
        table(
            [
                "sender",
                "tips/s",
                "msg/s (tips + answers)",
                "slowest second",
                "seconds",
                "CPU s/1000",
                "bot CPU",
                "commands",
                "reply p50 ms",
                "reply p99 ms",
                "max ms",
            ],
            rows,
        )
    )
    print(
        f"waiting for a CPU (runnable, not running; other processes' load): bot "
        f"{100 * result['bot_run_queue_wait']:.0f} % of the time, fake server "
        f"{100 * result['server_run_queue_wait']:.0f} %"
    )
    if args.due_in:
        planning = result["planning_p99_s"]
        print(
            f"the first tip reached the server {result['first_tip_after_due_s']:+.2f} s from its "
            f"moment; {result['planning_commands']} commands answered before it (planning "
            f"ahead), p99 " + (f"{planning * 1000:.0f} ms" if planning is not None else "-")
        )
    print(
        f"fake server CPU busy {100 * result['server_cpu_busy']:.0f} %; "
        f"429s: {result['http_429']}; bot exit status {code}"
    )
    record("sustained", vars(args), result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
