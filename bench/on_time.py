"""Tips on the minute: how late are 1,000 tips that all fall due in the same minute?

A SQLite file holds `--background` subscribers due hours from now and `--tips` subscribers whose
tip falls due at the same minute M (their `send_minute` in their own time zone is M's local
time), the next whole minute at least `--lead` seconds after the database is ready. Then
`python -m tipbot run` starts as its own process with `TIPBOT_MAX_RATE=25` and the default
sweep interval, against a fake Bot API that allows 30 messages/s and 1/s per chat (Telegram's
limits). The run ends when every tip has been accepted by the server.

At 25/s, 1,000 tips take 40 s however well they are scheduled: the k-th accepted tip (k = 0, 1,
...) cannot be accepted before M + k/25. Its **lateness** is the time the fake server accepted it
minus max(its due time, the time the queue ahead of it allows), that is, minus M + k/25 (every
tip here is due at M). The targets: lateness p50 <= 2 s and p99 <= 5 s. The first tip's lateness
(how soon after M the planner woke and sent) and the last one's are shown too.

    python -m bench.on_time [--tips 1000] [--background 10000] [--rate 25] [--runs 1]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime
from sqlalchemy.dialects import sqlite as sqlite_dialect

from bench.common import (
    CHAT_BASE,
    ROOT,
    SUBSCRIBER_COLUMNS,
    TOKEN,
    ZONES,
    FakeServer,
    clean_env,
    median,
    percentile,
    populate,
    record,
    reset_database,
    sqlite_database,
    stop_process,
    table,
    target,
)

TARGET_P50_S = 2.0
TARGET_P99_S = 5.0
#: Telegram's overall limit, as the fake server applies it (more when `--rate` is above 25).
SERVER_LIMIT = 30.0
#: The on-time tips' chats; the background subscribers use the ids from CHAT_BASE up.
DUE_CHAT_BASE = CHAT_BASE + 50_000_000


def due_rows(count: int, minute: datetime, tip_ids: tuple[str, ...]) -> list[tuple[Any, ...]]:
    """`count` subscribers due at `minute` (naive UTC), in the five bench zones: each one's
    `send_minute` is that instant's local time, so planning computes the same moment again."""
    rng = random.Random(7)
    dialect = sqlite_dialect.dialect()
    as_text = DateTime().dialect_impl(dialect).bind_processor(dialect)
    assert as_text is not None
    created = minute - timedelta(days=30)
    rows = []
    for i in range(count):
        zone = ZONES[i % len(ZONES)]
        local = minute.replace(tzinfo=UTC).astimezone(ZoneInfo(zone))
        rows.append(
            (
                DUE_CHAT_BASE + i,
                "active",
                local.hour * 60 + local.minute,
                zone,
                as_text(minute),
                0,
                " ".join(sorted(rng.sample(tip_ids, rng.randrange(len(tip_ids))))),
                rng.randrange(1 << 30),
                as_text(created),
                as_text(created),
            )
        )
    return rows


def prepare(path: str, tips: int, background: int, lead: float) -> datetime:
    """The database with its subscribers; returns the minute the tips fall due (naive UTC)."""
    from tipbot.content.loader import load_bank

    database = sqlite_database(Path(path).parent)
    tip_ids = tuple(sorted(t.id for t in load_bank().bank.tips))
    asyncio.run(reset_database(database))
    if background:
        asyncio.run(
            populate(database, background, 0, datetime.now(UTC).replace(tzinfo=None), tip_ids)
        )
    earliest = datetime.now(UTC).replace(tzinfo=None) + timedelta(seconds=lead)
    minute = earliest.replace(second=0, microsecond=0) + timedelta(minutes=1)
    conn = sqlite3.connect(path)
    try:
        marks = ", ".join("?" for _ in SUBSCRIBER_COLUMNS)
        conn.executemany(
            f"INSERT INTO subscribers ({', '.join(SUBSCRIBER_COLUMNS)}) VALUES ({marks})",
            due_rows(tips, minute, tip_ids),
        )
        conn.commit()
    finally:
        conn.close()
    return minute


def server_limit(rate: float) -> float:
    return max(SERVER_LIMIT, rate * SERVER_LIMIT / 25.0)


def one_run(tmp: str, args: argparse.Namespace) -> dict[str, Any]:
    database = sqlite_database(tmp)
    minute = prepare(database.sqlite_path, args.tips, args.background, args.lead)
    due_at = minute.replace(tzinfo=UTC).timestamp()
    limit = server_limit(args.rate)
    with FakeServer(global_rate=limit, per_chat_rate=1.0, record_text=True) as fake:
        env = clean_env(
            TELEGRAM_BOT_TOKEN=TOKEN,
            TIPBOT_API_URL=fake.api_url,
            TIPBOT_DATABASE_URL=database.url,
            TIPBOT_MAX_RATE=str(args.rate),
            TIPBOT_CACHE_DIR=f"{tmp}/cache",
        )
        with open(f"{tmp}/bot.log", "ab") as log:
            bot = subprocess.Popen(
                [sys.executable, "-m", "tipbot", "run"], cwd=ROOT, env=env, stderr=log
            )
            try:
                deadline = due_at + args.tips / args.rate + 120
                times: list[float] = []
                while time.time() < deadline:
                    if bot.poll() is not None:
                        raise RuntimeError(f"the bot stopped (status {bot.returncode})")
                    times = sorted(
                        m["time"] for m in fake.control("messages") if m["chat_id"] >= DUE_CHAT_BASE
                    )
                    if len(times) >= args.tips:
                        break
                    time.sleep(1.0)
                statuses = fake.stats().get("statuses", {})
            finally:
                stop_process(bot)
    if len(times) < args.tips:
        raise RuntimeError(f"only {len(times)} of {args.tips} tips arrived")
    late = [t - (due_at + k / args.rate) for k, t in enumerate(times)]
    return {
        "due_minute": minute.isoformat(),
        "first_s": late[0],
        "p50_s": percentile(late, 50),
        "p90_s": percentile(late, 90),
        "p99_s": percentile(late, 99),
        "max_s": max(late),
        "min_s": min(late),
        "last_after_due_s": times[-1] - due_at,
        "queue_s": (args.tips - 1) / args.rate,
        "http_429": int(statuses.get("429", 0)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.on_time", description=__doc__)
    parser.add_argument("--tips", type=int, default=1000, help="tips due in the same minute")
    parser.add_argument("--background", type=int, default=10000, help="subscribers due later")
    parser.add_argument("--rate", type=float, default=25.0, help="TIPBOT_MAX_RATE")
    parser.add_argument("--lead", type=float, default=15.0, help="seconds before the minute")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args(argv)
    runs = []
    for run in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="tipbot-bench-on-time-") as tmp:
            runs.append(one_run(tmp, args))
        print(f"  run {run + 1}: {runs[-1]}", file=sys.stderr)
    summary = {k: median([r[k] for r in runs]) for k in runs[0] if k != "due_minute"}
    ok = summary["p50_s"] <= TARGET_P50_S and summary["p99_s"] <= TARGET_P99_S
    print(
        f"\n{args.tips:,} tips due in the same minute at {args.rate:g}/s (server limit "
        f"{server_limit(args.rate):g}/s), {args.background:,} other subscribers; lateness "
        f"beyond the queue's own length (median of {args.runs} run(s)), seconds"
    )
    print(
        table(
            [
                "first tip",
                "p50",
                "p90",
                "p99",
                "max",
                "last tip after M",
                "queue at the rate",
                "429s",
                f"p50 <= {TARGET_P50_S:g}, p99 <= {TARGET_P99_S:g}",
            ],
            [
                [
                    f"{summary['first_s']:.2f}",
                    f"{summary['p50_s']:.2f}",
                    f"{summary['p90_s']:.2f}",
                    f"{summary['p99_s']:.2f}",
                    f"{summary['max_s']:.2f}",
                    f"{summary['last_after_due_s']:.1f}",
                    f"{summary['queue_s']:.1f}",
                    f"{summary['http_429']:.0f}",
                    target(ok),
                ]
            ],
        )
    )
    record("on_time", vars(args), {"summary": summary, "target_met": ok, "runs": runs})
    return 0


if __name__ == "__main__":
    sys.exit(main())
