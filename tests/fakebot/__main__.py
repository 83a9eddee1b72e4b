"""Run the fake Bot API on its own: ``python -m tests.fakebot --port 8081 --token 123:ABC``.

Prints one line, "fake Bot API listening on http://127.0.0.1:8081/bot", once it accepts
connections, then serves until SIGINT or SIGTERM. Drive it through ``/_control/`` (see
`tests.fakebot.server.FakeBotApi._control_routes`).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

from tests.fakebot.server import FakeBotApi


def _rate(value: str) -> float | None:
    """A rate of 0 (or "off") disables that limit."""
    if value.lower() in ("off", "none", "0", "0.0"):
        return None
    return float(value)


def _ids(value: str) -> list[int]:
    return [int(part) for part in value.split(",") if part.strip()]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.fakebot", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081, help="0 picks a free port")
    parser.add_argument("--token", default="123:ABC")
    parser.add_argument("--global-rate", type=_rate, default=30.0, help="messages/s; 0 = off")
    parser.add_argument("--per-chat-rate", type=_rate, default=1.0, help="messages/s; 0 = off")
    parser.add_argument("--per-chat-burst", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--server-error-probability", type=float, default=0.0)
    parser.add_argument("--server-error-status", type=int, default=502)
    parser.add_argument("--drop-after-accept-probability", type=float, default=0.0)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per request")
    parser.add_argument("--blocked", type=_ids, default=[], help="comma-separated chat ids")
    parser.add_argument("--unknown-chats", type=_ids, default=[], help="comma-separated ids")
    parser.add_argument(
        "--no-record-text", action="store_true", help="keep only counts (for benchmarks)"
    )
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    api = FakeBotApi(
        args.token,
        global_rate=args.global_rate,
        per_chat_rate=args.per_chat_rate,
        per_chat_burst=args.per_chat_burst,
        seed=args.seed,
        server_error_probability=args.server_error_probability,
        server_error_status=args.server_error_status,
        drop_after_accept_probability=args.drop_after_accept_probability,
        latency=args.latency,
        blocked=args.blocked,
        unknown_chats=args.unknown_chats,
        record_text=not args.no_record_text,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await api.start(args.host, args.port)
    print(f"fake Bot API listening on {api.base_url}", flush=True)
    try:
        await stop.wait()
    finally:
        await api.stop()


def main(argv: list[str] | None = None) -> int:
    asyncio.run(serve(parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
