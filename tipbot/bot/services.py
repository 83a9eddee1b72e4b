"""What handlers need, gathered in one object stored in `application.bot_data`.

Handlers get the bank, the database and the clock from here rather than from globals, so tests and
the console can build the same Application around a different clock or database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.ext import Application, CallbackContext, ExtBot

from tipbot.config import Settings
from tipbot.content.lookup import MedicineIndex
from tipbot.content.models import Bank
from tipbot.delivery.sweep import Deliverer
from tipbot.observe import Metrics

KEY = "tipbot"


@dataclass
class Services:
    settings: Settings
    bank: Bank
    engine: AsyncEngine
    metrics: Metrics
    clock: Callable[[], datetime]
    medicines: MedicineIndex
    deliverer: Deliverer | None = None
    delivery_bot: ExtBot[None] | None = None
    #: When the sweep job last ticked (for /healthz).
    last_tick: datetime | None = None


def services(context: CallbackContext[Any, Any, Any, Any]) -> Services:
    value = context.bot_data[KEY]
    assert isinstance(value, Services)
    return value


def app_services(application: Application[Any, Any, Any, Any, Any, Any]) -> Services:
    value = application.bot_data[KEY]
    assert isinstance(value, Services)
    return value
