"""Recording a deep link's code (`/start <code>`) for the operator's per-clinic counts."""

from __future__ import annotations

import logging

from tipbot import deep_links
from tipbot.bot.services import Services
from tipbot.storage import sources

log = logging.getLogger(__name__)


async def remember_start_code(svc: Services, chat_id: int, args: list[str]) -> None:
    """Keep the code of a chat's first valid deep link; an invalid payload is ignored, never
    answered with an error (the user just tapped a link)."""
    code = deep_links.start_code(args)
    if code is not None and await sources.remember(svc.engine, chat_id, code, svc.clock()):
        log.info("a chat came with a deep-link code")
