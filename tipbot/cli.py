"""The `tipbot` command: run, console, validate, export.

Every failure a person can cause (no token, a bad setting, a broken tip bank) ends with a clear
message and a non-zero status, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from tipbot.config import ConfigError, Settings, load_settings
from tipbot.content.cache import CheckedBank, load_checked
from tipbot.content.loader import Problem
from tipbot.content.models import Bank
from tipbot.content.validate import Rules, report, translation_lines, validate_dir
from tipbot.i18n import LANGUAGES

NO_TOKEN = """\
tipbot: no bot token. Set TELEGRAM_BOT_TOKEN to run the bot on Telegram.

  1. In Telegram, open a chat with @BotFather and send /newbot.
  2. Choose a name and a username; BotFather replies with a token like 123456:ABC-DEF...
  3. Run:  TELEGRAM_BOT_TOKEN='<your token>' tipbot run

To try the bot offline without a token, run:  tipbot console
"""


def _print_problems(problems: list[Problem]) -> None:
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"tipbot: {len(problems)} problem(s) in the tip bank", file=sys.stderr)


def _checked_bank(directory: Path | None, rules: Rules) -> Bank | None:
    bank, problems = validate_dir(directory, rules)
    if problems:
        _print_problems(problems)
    return bank


def _cached_bank(directory: Path | None, settings: Settings) -> CheckedBank | None:
    """The bank as `run` and `console` check it, from TIPBOT_CACHE_DIR when unchanged."""
    checked, problems = load_checked(directory, settings.cache_dir)
    if problems:
        _print_problems(problems)
    return checked


def cmd_validate(args: argparse.Namespace, settings: Settings) -> int:
    directory = args.dir or settings.tips_dir
    bank, problems = validate_dir(directory)
    if problems:
        _print_problems(problems)
        return 1
    assert bank is not None
    if args.report:
        print("\n".join(report(bank).lines()))
        print()
        print("\n".join(translation_lines(directory)))
    else:
        print(f"tip bank OK: {len(bank.tips)} tips, {len(bank.sources)} sources")
    return 0


def export_data(bank: Bank) -> dict[str, Any]:
    index = bank.source_index
    data = bank.model_dump(mode="json")
    for tip in data["tips"]:
        tip["sources"] = [index[sid].model_dump(mode="json") for sid in tip["sources"]]
    return data


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    bank = _checked_bank(args.dir or settings.tips_dir, Rules())
    if bank is None:
        return 1
    json.dump(export_data(bank), sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


def cmd_console(args: argparse.Namespace, settings: Settings) -> int:
    from tipbot.console import Console
    from tipbot.observe import setup_logging

    checked = _cached_bank(args.dir or settings.tips_dir, settings)
    if checked is None:
        return 1
    setup_logging("WARNING", settings.log_format.value)
    console = Console(
        settings,
        checked.bank,
        language=args.lang,
        start=args.start,
        translations=checked.translations,
    )
    return asyncio.run(console.run(sys.stdin, prompt=sys.stdin.isatty()))


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    if settings.token is None or not settings.token.get_secret_value().strip():
        print(NO_TOKEN, file=sys.stderr, end="")
        return 2
    from tipbot import tls

    tls.load_ahead()  # on another core while the bot's modules are imported (tipbot/tls.py)
    from tipbot.observe import setup_logging
    from tipbot.runner import StartupError, serve

    # Logging first, so a warning about an unusable bank cache is shown like any other.
    setup_logging(settings.log_level, settings.log_format.value, settings.secrets)
    checked = _cached_bank(settings.tips_dir, settings)
    if checked is None:
        print("tipbot: refusing to start on an invalid tip bank", file=sys.stderr)
        return 1
    try:
        asyncio.run(serve(settings, checked.bank, checked.translations))
    except StartupError as exc:
        print(f"tipbot: {exc}", file=sys.stderr)
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tipbot",
        description="A Telegram bot with one evidence-cited tip a day about magnesium and bone "
        "health. Configuration comes from environment variables (see README).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    run = sub.add_parser(
        "run",
        help="run the bot on Telegram (needs TELEGRAM_BOT_TOKEN)",
        description="Run the bot: long polling, or a webhook when TIPBOT_WEBHOOK_URL is set. "
        "Refuses to start on a tip bank that fails validation.",
    )
    run.set_defaults(func=cmd_run)

    console = sub.add_parser(
        "console",
        help="chat with the bot offline in this terminal (no token, no network)",
        description="Each line is a message to the bot; type a button's number to press it. "
        "Reads standard input until its end, so commands can be piped in.",
    )
    console.add_argument("dir", nargs="?", type=Path, help="tip bank directory (default: bundled)")
    console.add_argument(
        "--lang",
        default="en",
        choices=LANGUAGES,
        help="answer as to a user whose Telegram is set to this language (default: en)",
    )
    console.add_argument(
        "--start",
        type=datetime.fromisoformat,
        default=None,
        help="the console clock's first moment, UTC (e.g. 2026-06-01T05:00; default: now); "
        "type :wait 1h to move it",
    )
    console.set_defaults(func=cmd_console)

    validate = sub.add_parser(
        "validate",
        help="check a tip bank; print FILE:LINE: problem for each problem",
        description="Check the schema, ids, citations, reading level and that every message the "
        "bot would send is valid Telegram HTML. Exit status 1 if anything is wrong.",
    )
    validate.add_argument("dir", nargs="?", type=Path, help="tip bank directory (default: bundled)")
    validate.add_argument(
        "--report",
        action="store_true",
        help="print tips per topic and evidence level, readability and sources cited",
    )
    validate.set_defaults(func=cmd_validate)

    export = sub.add_parser(
        "export",
        help="print the validated tip bank as JSON",
        description="Print tips (with their sources resolved), foods, forms, interactions and "
        "reference intakes as JSON, for review outside the bot.",
    )
    export.add_argument("dir", nargs="?", type=Path, help="tip bank directory (default: bundled)")
    export.set_defaults(func=cmd_export)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.func is cmd_run:
        # Paused until `Runner.start` has frozen what start-up made (see tipbot/__main__.py; the
        # `tipbot` script comes here without it).
        gc.disable()
    else:
        gc.enable()
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"tipbot: {exc}", file=sys.stderr)
        return 2
    try:
        return int(args.func(args, settings))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
