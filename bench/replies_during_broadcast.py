"""Do users still get quick answers while a big delivery runs?

`python -m tipbot run` runs as its own process (long polling, a sweep every second) with
`--tips` subscribers already due in its SQLite database. While they are delivered at
TIPBOT_MAX_RATE=200 against a fake Bot API that allows 250 messages/s (1/s per chat), `--users`
users each send /foods about every `--every` seconds through the fake server's control API. The
latency of one command is from just before the push (this process's clock) to the moment the fake
server accepted the bot's reply (the server's clock; same machine). Only commands sent while
the delivery was running are counted.

/foods answers with two messages (the chart and the list) and a chat may receive about one a
second, so each user asks about every 4 s: asking every 2 s (the defaults until 2026-12-01, from
before the chart) used a chat's whole allowance, and the figure timed Telegram's pacing.

Why not max_rate=25: 10,000 tips at 25/s take almost 7 minutes. At 200/s they take about 50 s,
and the bot does eight times the delivery work per second, which is the harder case for replies.

    python -m bench.replies_during_broadcast [--tips 10000] [--users 40] [--every 4] [--rate 200]
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
from typing import Any

import httpx

from bench.common import (
    RESULTS_DIR,
    ROOT,
    TOKEN,
    FakeServer,
    busiest_second,
    clean_env,
    median,
    percentile,
    populate,
    proc_cpu_seconds,
    record,
    reset_database,
    sqlite_database,
    stop_process,
    table,
    target,
)

TARGET_P99_S = 1.0
SERVER_LIMIT = 250.0
#: The users' chat ids: far from the subscribers' (which start at CHAT_BASE = 10,000,000).
USER_BASE = 900_000_000
PROBE_CHAT = USER_BASE - 1


def gc_pauses(bot_log: str) -> dict[str, Any]:
    """Garbage collections over 20 ms that bench.botwrap logged (empty without --gc-log)."""
    pauses = [
        float(part.split("=", 1)[1])
        for line in bot_log.splitlines()
        if line.startswith("bench-gc gen=")
        for part in line.split()
        if part.startswith("ms=")
    ]
    if "bench-gc" not in bot_log:
        return {}
    frozen = [
        int(part.split("=", 1)[1])
        for line in bot_log.splitlines()
        if line.startswith("bench-gc frozen=")
        for part in line.split()
        if part.startswith("frozen=")
    ]
    return {
        "gc_pauses_over_20ms": len(pauses),
        "gc_pause_max_ms": max(pauses, default=0.0),
        "gc_pause_total_ms": sum(pauses),
        **({"gc_frozen": frozen[-1]} if frozen else {}),
    }


def stream_shape(accepted: list[float], start: float | None, end: float | None) -> dict[str, Any]:
    """Gaps and bursts in the server's accept times during the delivery: an evenly paced stream
    at 200/s has 5 ms gaps and 20 messages in any 100 ms."""
    during = [t for t in accepted if start is not None and end is not None and start <= t <= end]
    if len(during) < 2:
        return {}
    gaps = sorted((b - a, a) for a, b in itertools.pairwise(during))
    best, first = 0, 0
    for i, t in enumerate(during):
        while during[first] <= t - 0.1:
            first += 1
        best = max(best, i - first + 1)
    return {
        "largest_gap_ms": gaps[-1][0] * 1000,
        "largest_gap_at_s": gaps[-1][1] - during[0],
        "gaps_over_100ms": sum(1 for g, _ in gaps if g > 0.1),
        "busiest_100ms": best,
        "per_second": [
            sum(1 for t in during if s0 <= t - during[0] < s0 + 1)
            for s0 in range(int(during[-1] - during[0]) + 1)
        ],
    }


class Broadcast:
    """Follows the delivery through the fake server's counters."""

    def __init__(self, tips: int) -> None:
        self.tips = tips
        self.started_at: float | None = None
        self.finished_at: float | None = None
        self.done = asyncio.Event()
        self.samples: list[tuple[float, int]] = []
        #: Messages the server had accepted at the first and the last tip (bench.sustained).
        self.messages_at_start = 0
        self.messages_at_end = 0


def messages_accepted(stats: dict[str, Any]) -> int:
    """Messages the server accepted: texts (its `messages` counter) and photos (the /foods
    chart), each of which Telegram counts against the bot's limits."""
    photos = stats["method_statuses"].get("sendPhoto", {}).get("200", 0)
    return int(stats["messages"]) + int(photos)


async def watch(http: httpx.AsyncClient, broadcast: Broadcast, users: int, seconds: float) -> None:
    """Follow the delivery by the chats that have a message: every subscriber gets one tip, and
    the users' and the probe's chats are the only others. (Counting messages less commands never
    reaches the total while the users always have an answer on its way, and /foods answers with
    two messages: the runs of 2026-12-01 waited 15 minutes for a delivery done in one.)"""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        stats = (await http.get("/stats")).json()["result"]
        sent = max(0, stats["chats"] - 1 - users)
        now = time.time()
        broadcast.samples.append((now, sent))
        if sent > 0 and broadcast.started_at is None:
            broadcast.started_at = now
            broadcast.messages_at_start = messages_accepted(stats)
        if sent >= broadcast.tips:
            broadcast.finished_at = now
            broadcast.messages_at_end = messages_accepted(stats)
            broadcast.done.set()
            return
        await asyncio.sleep(0.05)
    raise TimeoutError(f"the delivery did not finish in {seconds:.0f} s")


async def user(
    http: httpx.AsyncClient,
    chat_id: int,
    every: float,
    broadcast: Broadcast,
    latencies: list[float],
    late: list[float],
    rng: random.Random,
    early: list[float] | None = None,
) -> None:
    """Send /foods every `every` s (with jitter) until the delivery ends; time each answer.
    Answers to commands sent before the first tip go to `early` when given (else `late`)."""
    await asyncio.sleep(rng.uniform(0, every))
    count = 0
    while not broadcast.done.is_set():
        next_at = time.monotonic() + every * rng.uniform(0.8, 1.2)
        during = broadcast.started_at is not None
        pushed = time.time()
        answer = await http.post("/push_message", json={"chat_id": chat_id, "text": "/foods"})
        answer.raise_for_status()
        count += 1
        reply = await http.get(
            "/wait_messages", params={"chat_id": chat_id, "count": count, "timeout": 30}
        )
        body = reply.json()
        if not body.get("ok"):
            raise RuntimeError(f"user {chat_id}: no answer to /foods number {count}: {body}")
        message = body["result"][-1]
        if "foods richest in magnesium" not in message["text"].lower():
            raise RuntimeError(f"user {chat_id}: unexpected answer {message['text'][:80]!r}")
        latency = message["time"] - pushed
        if not during and early is not None:
            early.append(latency)
        else:
            (latencies if during and not broadcast.done.is_set() else late).append(latency)
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))


async def drive(args: argparse.Namespace, fake: FakeServer, bot: subprocess.Popen[bytes]) -> Any:
    broadcast = Broadcast(args.tips)
    latencies: list[float] = []
    outside: list[float] = []
    rng = random.Random(7)
    limits = httpx.Limits(max_connections=args.users + 8)
    async with httpx.AsyncClient(
        base_url=f"{fake.api_url}/_control", timeout=60, limits=limits
    ) as http:
        # Ready when the bot has answered a probe command (its first long poll returns at once
        # because the probe is waiting; the fake server counts a request when it answers it).
        await http.post("/push_message", json={"chat_id": PROBE_CHAT, "text": "/help"})
        probe = await http.get(
            "/wait_messages", params={"chat_id": PROBE_CHAT, "count": 1, "timeout": 60}
        )
        if not probe.json().get("ok") or bot.poll() is not None:
            raise RuntimeError(f"the bot did not answer within 60 s: {probe.text[:300]}")
        cpu0 = proc_cpu_seconds(bot.pid)
        wall0 = time.time()
        users = [
            asyncio.create_task(
                user(http, USER_BASE + i, args.every, broadcast, latencies, outside, rng)
            )
            for i in range(args.users)
        ]
        deadline = args.tips / 10 + 120
        watcher = asyncio.create_task(watch(http, broadcast, args.users, seconds=deadline))
        await watcher
        cpu = proc_cpu_seconds(bot.pid) - cpu0
        wall = time.time() - wall0
        await asyncio.gather(*users)
        stats = (await http.get("/stats")).json()["result"]
    return broadcast, latencies, outside, stats, cpu / wall


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.replies_during_broadcast", description=__doc__
    )
    parser.add_argument("--tips", type=int, default=10_000, help="due subscribers")
    parser.add_argument("--users", type=int, default=40, help="users sending /foods")
    parser.add_argument("--every", type=float, default=4.0, help="seconds between commands")
    parser.add_argument("--rate", type=float, default=200.0, help="TIPBOT_MAX_RATE")
    parser.add_argument("--server-limit", type=float, default=SERVER_LIMIT)
    parser.add_argument(
        "--gc-log",
        action="store_true",
        help="run the bot through bench.botwrap, which logs garbage collections over 20 ms "
        "and how many objects tipbot froze after start-up",
    )
    args = parser.parse_args(argv)

    from tipbot.content.loader import load_bank
    from tipbot.storage import db

    with tempfile.TemporaryDirectory(prefix="tipbot-bench-replies-") as tmp:
        database = sqlite_database(tmp)
        tip_ids = tuple(t.id for t in load_bank().bank.tips)
        asyncio.run(reset_database(database))
        asyncio.run(populate(database, args.tips, args.tips, db.utcnow(), tip_ids))
        with (
            FakeServer(global_rate=args.server_limit, per_chat_rate=1.0, record_text=True) as fake,
            open(f"{tmp}/bot.log", "wb") as log,
        ):
            env = clean_env(
                TELEGRAM_BOT_TOKEN=TOKEN,
                TIPBOT_API_URL=fake.api_url,
                TIPBOT_DATABASE_URL=database.url,
                TIPBOT_MAX_RATE=str(args.rate),
                TIPBOT_SWEEP_SECONDS="1",
            )
            command = ["bench.botwrap"] if args.gc_log else ["tipbot", "run"]
            bot = subprocess.Popen([sys.executable, "-m", *command], cwd=ROOT, env=env, stderr=log)
            try:
                broadcast, latencies, outside, stats, cpu_busy = asyncio.run(drive(args, fake, bot))
            finally:
                stopped = time.monotonic()
                code = stop_process(bot)
                stop_s = time.monotonic() - stopped
            accepted = sorted(m["time"] for m in fake.control("messages"))
            with open(f"{tmp}/bot.log") as f:
                bot_log = f.read()
            RESULTS_DIR.mkdir(parents=True, exist_ok=True)
            (RESULTS_DIR / "replies_during_broadcast-bot.log").write_text(bot_log)
            if code != 0:
                print(bot_log[-3000:], file=sys.stderr)

    assert broadcast.started_at is not None and broadcast.finished_at is not None
    span = broadcast.finished_at - broadcast.started_at
    p50, p90, p99 = (percentile(latencies, p) for p in (50, 90, 99))
    ok = p99 < TARGET_P99_S
    result = {
        "tips": args.tips,
        "users": args.users,
        "every_s": args.every,
        "max_rate": args.rate,
        "server_limit": args.server_limit,
        "delivery_s": span,
        "delivery_rate": args.tips / span,
        "commands_during": len(latencies),
        "p50_s": p50,
        "p90_s": p90,
        "p99_s": p99,
        "max_s": max(latencies),
        "median_s": median(latencies),
        "after_delivery_p50_s": percentile(outside, 50) if outside else None,
        "http_429": int(stats["statuses"].get("429", 0)),
        # The delivery sender logs each 429 it gets; replies retry without a log line.
        "delivery_429_logged": bot_log.count("Telegram asked to slow down"),
        "busiest_second": busiest_second(accepted),
        **gc_pauses(bot_log),
        **stream_shape(accepted, broadcast.started_at, broadcast.finished_at),
        "bot_cpu_busy": cpu_busy,
        "bot_exit_code": code,
        "bot_stop_s": stop_s,
        "target_met": ok,
    }
    print(
        f"\n/foods answered while {args.tips:,} tips went out "
        f"(TIPBOT_MAX_RATE={args.rate:g}, server limit {args.server_limit:g}/s)"
    )
    print(
        table(
            [
                "tips",
                "delivery s",
                "tips/s",
                "users",
                "commands",
                "p50 ms",
                "p90 ms",
                "p99 ms",
                "max ms",
                "busiest 1 s",
                "429s",
                "bot CPU",
                "p99 < 1 s",
            ],
            [
                [
                    f"{args.tips:,}",
                    f"{span:.1f}",
                    f"{args.tips / span:.0f}",
                    args.users,
                    len(latencies),
                    f"{p50 * 1000:.0f}",
                    f"{p90 * 1000:.0f}",
                    f"{p99 * 1000:.0f}",
                    f"{max(latencies) * 1000:.0f}",
                    result["busiest_second"],
                    f"{result['http_429']} ({result['delivery_429_logged']} on tips)",
                    f"{100 * cpu_busy:.0f} %",
                    target(ok),
                ]
            ],
        )
    )
    print(f"bot stopped with status {code} in {stop_s:.1f} s after SIGTERM")
    if "largest_gap_ms" in result:
        print(
            f"send stream during the delivery: largest gap {result['largest_gap_ms']:.0f} ms, "
            f"{result['gaps_over_100ms']} gaps over 100 ms, busiest 100 ms "
            f"{result['busiest_100ms']} messages (evenly paced: 20-21)"
        )
    if "gc_pauses_over_20ms" in result:
        print(
            f"garbage collections over 20 ms in the bot: {result['gc_pauses_over_20ms']}, "
            f"longest {result['gc_pause_max_ms']:.0f} ms, "
            f"{result['gc_pause_total_ms']:.0f} ms in all"
            + (
                f", {result['gc_frozen']:,} objects frozen at start-up"
                if "gc_frozen" in result
                else ""
            )
        )
    record("replies_during_broadcast", vars(args), result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
