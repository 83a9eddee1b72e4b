"""Sending a picture file once: the first send uploads it, later sends use Telegram's `file_id`.

Uploading a 150 kB chart for every /foods would cost each user a second or more and Telegram
bandwidth for nothing: Telegram keeps every uploaded file and hands back a `file_id` that any
later send can name instead. The ids live in memory for now (a restart uploads once more); a
table can hold them later without changing callers.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from telegram import Bot, Message
from telegram.error import BadRequest

log = logging.getLogger(__name__)


class PhotoCache:
    """Maps a file's cache key to the `file_id` Telegram gave it on first upload."""

    def __init__(self) -> None:
        self._file_ids: dict[str, str] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def file_id(self, key: str) -> str | None:
        return self._file_ids.get(key)

    async def send(self, bot: Bot, chat_id: int, key: str, path: Path, **kwargs: Any) -> Message:
        """Send the photo at `path` (known as `key`) to `chat_id`; `kwargs` go to send_photo.

        Sends for one key wait for its first upload, so two users asking at once cause one
        upload and one send by `file_id`, not two uploads.
        """
        while True:
            file_id = self._file_ids.get(key)
            if file_id is not None:
                sent = await self._by_file_id(bot, chat_id, key, file_id, kwargs)
                if sent is not None:
                    return sent
            lock = self._locks.setdefault(key, asyncio.Lock())
            async with lock:
                # Only the upload is done under the lock: the users who waited for it send by
                # `file_id` side by side (above), not one after another behind the lock.
                if self._file_ids.get(key) is None:
                    data = await asyncio.to_thread(path.read_bytes)
                    message = await bot.send_photo(chat_id, data, **kwargs)
                    if message.photo:
                        self._file_ids[key] = message.photo[-1].file_id
                    return message

    async def _by_file_id(
        self, bot: Bot, chat_id: int, key: str, file_id: str, kwargs: dict[str, Any]
    ) -> Message | None:
        """Send by `file_id`; None (and the id forgotten) when Telegram no longer knows it."""
        try:
            return await bot.send_photo(chat_id, file_id, **kwargs)
        except BadRequest as exc:
            if "file" not in exc.message.lower():
                raise
            log.warning("a cached photo file_id was refused; uploading the file again")
            if self._file_ids.get(key) == file_id:
                del self._file_ids[key]
            return None
