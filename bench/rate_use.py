"""How much of the configured rate does a sweep use, and does it stay under Telegram's limit?

1. Paced: tipbot at `max_rate=25` against a fake Bot API that allows 30 messages/s (and 1/s per
   chat after a burst of 3, as Telegram does) sends `--paced-n` tips (500: about 20 s). The rate
   is (messages - 1) / (last send - first send), from the times the fake server accepted them;
   the target is >= 95 % of 25/s with no 429 answer.
2. Unlimited: tipbot at `max_rate=1000` with the server's limits lifted, beside the bare PTB loop
   of `bench.delivery_cost` (same messages, concurrency and pool), `--fast-n` messages each: if
   tipbot gets close to the bare loop's messages/s, its bookkeeping is not the bottleneck.

Each sweep or loop runs in a fresh process (`bench.delivery_cost`'s workers), pinned to CPU 0, the
fake server to CPU 1 (`--no-pin` to let the scheduler place them).

    python -m bench.rate_use [--paced-n 500] [--fast-n 5000] [--repeats 1]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from typing import Any

from bench.common import (
    CHAT_BASE,
    FakeServer,
    busiest_second,
    median,
    record,
    run_worker,
    sqlite_database,
    table,
    target,
)
from bench.delivery_cost import BOT_CPU, SERVER_CPU, WARMUP

PACED_RATE = 25.0
SERVER_LIMIT = 30.0
TARGET_SHARE = 0.95
FAST_RATE = 1000.0


def send_times(fake: FakeServer) -> list[float]:
    """When the server accepted each measured message (warm-up chats excluded), sorted."""
    messages = fake.control("messages")
    return sorted(m["time"] for m in messages if m["chat_id"] >= CHAT_BASE)


def one_run(
    side: str,
    n: int,
    max_rate: float,
    *,
    global_rate: float,
    per_chat_rate: float,
    warmup: int,
    pinned: bool,
    tmp: str,
) -> dict[str, Any]:
    database = sqlite_database(tmp)
    with FakeServer(
        global_rate=global_rate,
        per_chat_rate=per_chat_rate,
        record_text=True,
        cpu=SERVER_CPU if pinned else None,
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
                "--warmup",
                str(warmup),
            ],
            cpu=BOT_CPU if pinned else None,
        )
        server_cpu = fake.cpu_seconds() - server_cpu0
        times = send_times(fake)
        statuses = fake.stats()["statuses"]
    if len(times) != n or result["sent"] != n:
        raise RuntimeError(f"{side}: {result['sent']} sent, the server accepted {len(times)}")
    span = times[-1] - times[0]
    return {
        "side": side,
        "n": n,
        "max_rate": max_rate,
        "rate": (n - 1) / span if span > 0 else float("inf"),
        "first_to_last_s": span,
        "sweep_wall_s": result["wall_s"],
        "end_to_end_rate": n / result["wall_s"],
        "busiest_second": busiest_second(times),
        "http_429": int(statuses.get("429", 0)),
        "bot_cpu_busy": result["cpu_s"] / result["wall_s"],
        "server_cpu_busy": server_cpu / result["wall_s"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.rate_use", description=__doc__)
    parser.add_argument("--paced-n", type=int, default=500, help="tips sent at max_rate=25")
    parser.add_argument("--fast-n", type=int, default=5000, help="tips sent at max_rate=1000")
    parser.add_argument("--repeats", type=int, default=1, help="runs of each; median reported")
    parser.add_argument("--skip-fast", action="store_true", help="only the paced run")
    parser.add_argument("--no-pin", action="store_true")
    args = parser.parse_args(argv)
    pinned = not args.no_pin

    rows: list[list[Any]] = []
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="tipbot-bench-rate-") as tmp:
        paced = [
            one_run(
                "tipbot",
                args.paced_n,
                PACED_RATE,
                global_rate=SERVER_LIMIT,
                per_chat_rate=1.0,
                warmup=0,
                pinned=pinned,
                tmp=tmp,
            )
            for _ in range(args.repeats)
        ]
        rate = median([r["rate"] for r in paced])
        errors = max(r["http_429"] for r in paced)
        share = rate / PACED_RATE
        ok = share >= TARGET_SHARE and errors == 0
        results["paced"] = {"rate": rate, "share": share, "http_429": errors, "runs": paced}
        rows.append(
            [
                "tipbot",
                f"{PACED_RATE:g}",
                f"{SERVER_LIMIT:g}/s, 1/s per chat",
                args.paced_n,
                f"{rate:.2f}",
                f"{100 * share:.1f} %",
                max(r["busiest_second"] for r in paced),
                errors,
                f"{100 * median([r['bot_cpu_busy'] for r in paced]):.0f} %",
                target(ok),
            ]
        )
        if not args.skip_fast:
            fast: dict[str, list[dict[str, Any]]] = {"tipbot": [], "bare": []}
            for _ in range(args.repeats):
                for side in ("tipbot", "bare"):
                    fast[side].append(
                        one_run(
                            side,
                            args.fast_n,
                            FAST_RATE,
                            global_rate=0,
                            per_chat_rate=0,
                            warmup=WARMUP,
                            pinned=pinned,
                            tmp=tmp,
                        )
                    )
            rates = {side: median([r["rate"] for r in runs]) for side, runs in fast.items()}
            results["fast"] = {
                "rates": rates,
                "tipbot_vs_bare": rates["tipbot"] / rates["bare"],
                "runs": fast,
            }
            for side, runs in fast.items():
                rows.append(
                    [
                        "tipbot" if side == "tipbot" else "bare PTB loop",
                        f"{FAST_RATE:g}" if side == "tipbot" else "-",
                        "none",
                        args.fast_n,
                        f"{rates[side]:.0f}",
                        f"{100 * rates[side] / FAST_RATE:.1f} %"
                        if side == "tipbot"
                        else f"tipbot = {100 * rates['tipbot'] / rates['bare']:.0f} % of this",
                        max(r["busiest_second"] for r in runs),
                        max(r["http_429"] for r in runs),
                        f"{100 * median([r['bot_cpu_busy'] for r in runs]):.0f} %",
                        "",
                    ]
                )
    print("\nAchieved send rate (fake server's accept times, first to last message)")
    print(
        table(
            [
                "sender",
                "max_rate",
                "server limit",
                "messages",
                "msg/s",
                "of max_rate",
                "busiest 1 s",
                "429s",
                "bot CPU busy",
                ">= 95 %, 0 x 429",
            ],
            rows,
        )
    )
    record(
        "rate_use",
        {"paced_n": args.paced_n, "fast_n": args.fast_n, "repeats": args.repeats},
        results,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
