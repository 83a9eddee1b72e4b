"""The smallest python-telegram-bot app that answers /help: `bench.startup`'s baseline.

It starts the way PTB's documentation shows (`Application.builder()...build()`, one
`CommandHandler`, `run_polling`), against the same fake Bot API, so its time to the first
getUpdates is what any PTB bot pays before its own work: the interpreter, PTB's imports, getMe
and deleteWebhook.

    TELEGRAM_BOT_TOKEN=... TIPBOT_API_URL=http://127.0.0.1:PORT python -m bench.bare_ptb_app
"""

from __future__ import annotations

import os

from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_message is not None:
        await update.effective_message.reply_text("help")


def main() -> None:
    api = os.environ["TIPBOT_API_URL"].rstrip("/")
    application = (
        Application.builder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .build()
    )
    application.add_handler(CommandHandler("help", help_command))
    application.run_polling(allowed_updates=Update.ALL_TYPES, timeout=10)


if __name__ == "__main__":
    main()
