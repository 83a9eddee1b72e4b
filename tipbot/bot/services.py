"""What handlers need, gathered in one object stored in `application.bot_data`.

Handlers get the bank, the database and the clock from here rather than from globals, so tests and
the console can build the same Application around a different clock or database.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.ext import Application, CallbackContext, ExtBot

from tipbot.bot.composer import Composer
from tipbot.bot.photos import PhotoCache
from tipbot.companion.medicines import MedicineCatalogue
from tipbot.config import Settings
from tipbot.content.chart import Chart
from tipbot.content.inline_search import InlineIndex
from tipbot.content.lookup import MedicineIndex
from tipbot.content.models import Bank, FoodTable
from tipbot.content.screens import ScreenCache
from tipbot.content.translations import Translations
from tipbot.delivery.budget import Budget
from tipbot.delivery.sweep import Deliverer, default_owner
from tipbot.delivery.telegram_client import BotApiClient
from tipbot.i18n import DEFAULT, Translator
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
    #: The bot's Telegram budget, shared by replies and deliveries.
    budget: Budget
    deliverer: Deliverer | None = None
    #: What each delivery says (with the delivery role): handlers of the newer kinds are
    #: registered on it (`Composer.register`).
    composer: Composer | None = None
    delivery_bot: ExtBot[None] | None = None
    #: The lean sendMessage client deliveries use (None: they use `delivery_bot`).
    delivery_client: BotApiClient | None = None
    #: The supervised delivery loop (`Deliverer.run`), while it runs.
    delivery_task: asyncio.Task[None] | None = None
    #: A process without the delivery role renews its share of the rate here instead.
    share_task: asyncio.Task[None] | None = None
    #: This process's name in the heartbeat table and on the delivery rows it claims.
    owner: str = field(default_factory=default_owner)
    #: The /healthz database ping still under way, if any (see web.py).
    health_ping: asyncio.Task[None] | None = None
    #: Photos sent by file_id after their first upload (the /foods chart).
    photos: PhotoCache = field(default_factory=PhotoCache)
    #: Answers rendered once per language and region (content/screens.py).
    screens: ScreenCache = field(default_factory=ScreenCache)
    #: The /foods chart drawn for each language, with the food table it was drawn from.
    food_charts: dict[str, tuple[FoodTable, Chart]] = field(default_factory=dict)
    #: Where rendered charts are kept between requests and restarts: TIPBOT_CACHE_DIR's
    #: `charts/`, beside the checked bank (issue 13: one cache directory for the operator).
    chart_dir: Path = field(init=False)
    #: The bank's tips in other languages (checked at start); empty means English for all.
    translations: Translations = field(init=False)
    #: Inline mode's cards by language, each rendered from the bank on first use (`inline_for`):
    #: not before the first getUpdates, which the English cards alone delayed by 20-30 ms.
    inline_cards: dict[str, InlineIndex] = field(default_factory=dict)

    #: The bone medicines with label rules (tips/doses.yaml), as the profile's answers name them.
    bone_medicines: MedicineCatalogue = field(init=False)

    def __post_init__(self) -> None:
        self.chart_dir = self.settings.cache_dir / "charts"
        self.translations = Translations(self.bank)
        self.bone_medicines = MedicineCatalogue(self.bank)

    def inline_for(self, language: str) -> InlineIndex:
        if language not in self.inline_cards:
            if language == DEFAULT:
                self.inline_cards[language] = InlineIndex(self.bank)
            else:
                bank = self.translations.bank_for(language)  # the cards' text in the language
                cards = InlineIndex(bank, Translator(language), self.bank)
                self.inline_cards[language] = cards
        return self.inline_cards[language]


def services(context: CallbackContext[Any, Any, Any, Any]) -> Services:
    value = context.bot_data[KEY]
    assert isinstance(value, Services)
    return value


def app_services(application: Application[Any, Any, Any, Any, Any, Any]) -> Services:
    value = application.bot_data[KEY]
    assert isinstance(value, Services)
    return value
