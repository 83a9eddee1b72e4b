"""`tipbot console`: chat with the real handlers offline, no token and no network.

The same Application that `tipbot run` builds is given an in-process request object instead of
HTTP: each Bot API call it makes is answered here, and each message it sends is printed as
readable text (links with their address, buttons numbered). Typed lines become updates; typing a
button's number presses it. Messages are checked like Telegram would, so a bug shows up here too.

Time: the console has its own clock, starting at the real time. `:wait 30m` (or `2h`, `1d`,
`1d2h30m`) moves it forward and runs the delivery loop at every moment something falls due on
the way (a daily tip, a dose reminder, its follow-up), printing the clock before each, so a week
of reminders can be tried in a minute. `:time` prints the clock. Nothing is sent on a schedule
otherwise: the loop runs only when told.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from telegram import Update
from telegram.request import BaseRequest, RequestData

from tipbot.bot.app import build_application, close_services, start_services
from tipbot.bot.services import app_services
from tipbot.config import Role, Settings
from tipbot.content.models import Bank
from tipbot.content.translations import Translations
from tipbot.storage import db
from tipbot.telegram_html import check_html, visible_text

CHAT_ID = 1_000_001
BOT_USER = {"id": 1_000_000, "is_bot": True, "first_name": "tipbot", "username": "tipbot_console"}
USER = {"id": CHAT_ID, "is_bot": False, "first_name": "You", "language_code": "en"}
CHAT = {"id": CHAT_ID, "type": "private", "first_name": "You"}


@dataclass
class Button:
    message_id: int
    label: str
    data: str


class ConsoleRequest(BaseRequest):
    """Answers the Bot API in-process and prints what the bot sends."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.buttons: list[Button] = []
        self._message_ids = itertools.count(1)
        self.problems: list[str] = []

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        endpoint = url.rsplit("/", 1)[-1]
        params: dict[str, Any] = dict(request_data.parameters) if request_data else {}
        handler = getattr(self, f"_api_{endpoint}", None)
        if handler is None:
            return self._ok(True)
        result = handler(params)
        if isinstance(result, tuple):
            return result
        return self._ok(result)

    @staticmethod
    def _ok(result: object) -> tuple[int, bytes]:
        return 200, json.dumps({"ok": True, "result": result}).encode()

    @staticmethod
    def _bad(description: str) -> tuple[int, bytes]:
        body = {"ok": False, "error_code": 400, "description": f"Bad Request: {description}"}
        return 400, json.dumps(body).encode()

    def _api_getMe(self, _params: dict[str, Any]) -> object:
        return {
            **BOT_USER,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _api_getUpdates(self, _params: dict[str, Any]) -> object:
        return []

    def _api_sendMessage(self, params: dict[str, Any]) -> object:
        return self._show(params, next(self._message_ids), edited=False)

    def _api_editMessageText(self, params: dict[str, Any]) -> object:
        return self._show(params, int(params.get("message_id", 0)), edited=True)

    def _api_sendPhoto(self, params: dict[str, Any]) -> object:
        """A picture cannot be shown in a terminal: print its caption (the chart's alt text)."""
        caption = str(params.get("caption") or "")
        problems = check_html(caption) if caption else []
        if problems:
            self.problems += problems
            return self._bad("can't parse entities: " + "; ".join(problems))
        self.out.write(f"[picture] {visible_text(caption)}\n\n")
        self.out.flush()
        message_id = next(self._message_ids)
        file_id = f"console-photo-{message_id}"
        return {
            **self._sent(message_id),
            "photo": [{"file_id": file_id, "file_unique_id": file_id, "width": 1, "height": 1}],
        }

    def _api_sendPoll(self, params: dict[str, Any]) -> object:
        """Print a quiz poll: its question and numbered options (voting needs Telegram)."""
        options = params.get("options") or []
        if isinstance(options, str):
            options = json.loads(options)
        texts = [str(o.get("text", "") if isinstance(o, dict) else o) for o in options]
        lines = [f"[quiz] {visible_text(str(params.get('question', '')))}"]
        lines += [f"  {n}. {visible_text(text)}" for n, text in enumerate(texts, start=1)]
        self.out.write("\n".join(lines) + "\n(answer it in Telegram)\n\n")
        self.out.flush()
        message_id = next(self._message_ids)
        poll = {
            "id": f"console-poll-{message_id}",
            "question": visible_text(str(params.get("question", ""))),
            "options": [
                {"text": visible_text(t), "voter_count": 0, "persistent_id": str(n)}
                for n, t in enumerate(texts)
            ],
            "total_voter_count": 0,
            "is_closed": False,
            "is_anonymous": False,
            "type": str(params.get("type") or "regular"),
            "allows_multiple_answers": False,
            "allows_revoting": False,
            "members_only": False,
        }
        return {**self._sent(message_id), "poll": poll}

    @staticmethod
    def _sent(message_id: int) -> dict[str, Any]:
        return {
            "message_id": message_id,
            "date": int(datetime.now(UTC).timestamp()),
            "chat": CHAT,
            "from": BOT_USER,
        }

    def _api_answerCallbackQuery(self, params: dict[str, Any]) -> object:
        if params.get("text"):
            self.out.write(f"[popup] {params['text']}\n")
        return True

    def _show(self, params: dict[str, Any], message_id: int, *, edited: bool) -> object:
        text = str(params.get("text", ""))
        problems = check_html(text)
        if problems:
            self.problems += problems
            return self._bad("can't parse entities: " + "; ".join(problems))
        self.out.write(("(edited) " if edited else "") + visible_text(text, show_links=True) + "\n")
        self._show_buttons(params.get("reply_markup"), message_id)
        self.out.write("\n")
        self.out.flush()
        return {
            "message_id": message_id,
            "date": int(datetime.now(UTC).timestamp()),
            "chat": CHAT,
            "from": BOT_USER,
            "text": visible_text(text),
        }

    def _show_buttons(self, markup: Any, message_id: int) -> None:
        if isinstance(markup, str):
            markup = json.loads(markup)
        rows = (markup or {}).get("inline_keyboard", [])
        if not rows:
            return
        self.buttons = []
        for row in rows:
            labels = []
            for button in row:
                if "callback_data" in button:
                    self.buttons.append(Button(message_id, button["text"], button["callback_data"]))
                    labels.append(f"[{len(self.buttons)}] {button['text']}")
                elif "url" in button:
                    labels.append(f"{button['text']} ({button['url']})")
            self.out.write("   ".join(labels) + "\n")


_WAIT = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$")


def parse_wait(text: str) -> timedelta | None:
    """`30m`, `2h`, `1d`, `1d2h30m` -> the duration; anything else (or nothing) -> None."""
    match = _WAIT.match(text.strip().lower())
    if match is None or not any(match.groups()):
        return None
    days, hours, minutes = (int(g or 0) for g in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes)


class ConsoleClock:
    """The console's naive-UTC time: the real time at start, then moved only by `:wait`."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or db.utcnow().replace(second=0, microsecond=0)

    def __call__(self) -> datetime:
        return self.now


class Console:
    def __init__(
        self,
        settings: Settings,
        bank: Bank,
        out: TextIO = sys.stdout,
        language: str = "en",
        start: datetime | None = None,
        translations: Translations | None = None,
    ) -> None:
        """`language` is the `language_code` the console user's Telegram would report; `start`
        the console clock's first moment (naive UTC; default: now); `translations` default to
        the bank directory's (`tipbot console` passes the checked ones from the cache)."""
        self.request = ConsoleRequest(out)
        self.user = {**USER, "language_code": language}
        self.clock = ConsoleClock(start)
        # Offline, deliveries run only on `:wait`. The database is a temporary file, deleted at
        # the end (not in memory: the delivery loop reads and writes on several connections).
        self._workdir = tempfile.TemporaryDirectory(prefix="tipbot-console-")
        settings = settings.model_copy(
            update={
                "roles": frozenset({Role.UPDATES, Role.DELIVERY}),
                "database_url": f"sqlite+aiosqlite:///{self._workdir.name}/console.sqlite3",
            }
        )
        engine = db.create_engine(settings.effective_database_url)
        self.app = build_application(
            settings,
            bank,
            engine,
            request=self.request,
            clock=self.clock,
            translations=translations,
        )
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(10_000)

    def update_for(self, line: str) -> dict[str, Any]:
        """A typed line as Telegram would deliver it: a button press or a message."""
        now = int(datetime.now(UTC).timestamp())
        stripped = line.strip()
        if stripped.isdigit() and 1 <= int(stripped) <= len(self.request.buttons):
            button = self.request.buttons[int(stripped) - 1]
            return {
                "update_id": next(self._update_ids),
                "callback_query": {
                    "id": str(next(self._update_ids)),
                    "from": self.user,
                    "chat_instance": "console",
                    "data": button.data,
                    "message": {
                        "message_id": button.message_id,
                        "date": now,
                        "chat": CHAT,
                        "from": BOT_USER,
                        "text": "…",
                    },
                },
            }
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": now,
            "chat": CHAT,
            "from": self.user,
            "text": stripped,
        }
        if stripped.startswith("/"):
            length = len(stripped.split(maxsplit=1)[0])
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return {"update_id": next(self._update_ids), "message": message}

    async def clock_command(self, line: str) -> None:
        """`:time`, or `:wait <duration>`: step the clock to each due moment on the way and run
        the delivery loop there (what a real process does on its own)."""
        out = self.request.out
        word, _, rest = line.partition(" ")
        step = parse_wait(rest) if word == ":wait" else None
        if word == ":time":
            out.write(f"[clock] {self.clock.now:%a %Y-%m-%d %H:%M} UTC\n\n")
            return
        if step is None:
            out.write("Type :wait 30m (or 2h, 1d, 1d2h30m) to move the clock, :time to see it.\n\n")
            return
        deliverer = app_services(self.app).deliverer
        assert deliverer is not None
        target = self.clock.now + step
        while True:
            due = await deliverer.next_due_at()
            if due is None or due > target:
                break
            self.clock.now = max(self.clock.now, due)
            out.write(f"[clock] {self.clock.now:%a %Y-%m-%d %H:%M} UTC\n")
            await deliverer.sweep()
            if due <= self.clock.now and await deliverer.next_due_at() == due:
                break  # nothing moved: do not spin
        self.clock.now = target
        await deliverer.sweep()
        out.write(f"[clock] {self.clock.now:%a %Y-%m-%d %H:%M} UTC\n\n")
        out.flush()

    async def run(self, lines: TextIO, prompt: bool) -> int:
        async with self.app:
            await start_services(self.app, schedule_sweeps=False)
            await self.app.start()
            out = self.request.out
            out.write(
                "tipbot console: type a command such as /start or /foods, a button's number "
                "to press it, :wait 1h to move the clock, or Ctrl-D to quit.\n\n"
            )
            loop = asyncio.get_running_loop()
            while True:
                if prompt:
                    out.write("> ")
                    out.flush()
                line = await loop.run_in_executor(None, lines.readline)
                if not line:
                    break
                if not line.strip():
                    continue
                if line.strip().startswith(":"):
                    await self.clock_command(line.strip())
                    continue
                update = Update.de_json(self.update_for(line), self.app.bot)
                await self.app.process_update(update)
            await self.app.stop()
        await close_services(self.app)
        self._workdir.cleanup()
        return 1 if self.request.problems else 0
