"""Tips that fit, through the sweep: simulated days of daily delivery for a subscriber with a
profile and one without (issue 11). Time is the FakeClock; each day is one sweep."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from tests.conftest import FakeClock
from tests.fakebot.server import FakeBotApi
from tipbot.companion.profile import Question, audience_tags
from tipbot.companion.selection import Audience, excluded, fits, mentions_supplements
from tipbot.content.models import AudienceTag, Bank, Tip
from tipbot.content.render import esc
from tipbot.delivery.budget import ChatBuckets
from tipbot.delivery.rotation import RotationState, next_tip
from tipbot.runner import Runner
from tipbot.storage import profiles
from tipbot.storage import subscriptions as subs
from tipbot.storage.tables import subscribers

WITH, WITHOUT = 11, 12
DAYS = 40


def delivered(fake: FakeBotApi, bank: Bank, chat: int) -> list[tuple[Tip, str]]:
    """The tips a chat received, each with the message text as sent."""
    by_title = {f"💡 <b>{esc(t.title)}</b>": t for t in bank.tips}
    return [
        (by_title[m.text.split("\n", 1)[0]], m.text)
        for m in fake.messages_for(chat)
        if m.text.startswith("💡")
    ]


async def test_a_profile_gets_fitting_tips_first_never_excluded_ones_and_the_kidney_caution(
    runner: Runner, fake_api: FakeBotApi, clock: FakeClock, bank: Bank
) -> None:
    clock.now = datetime(2026, 6, 1, 7, 0)
    for chat in (WITH, WITHOUT):
        await subs.subscribe(runner.engine, chat, 8 * 60, "UTC", clock())
    for question, value in [
        (Question.DIET, "vegan"),
        (Question.MEDICINE, "atelvia"),
        (Question.KIDNEY, "unsure"),
    ]:
        await profiles.set_answer(runner.engine, WITH, question, value)
    profile = await profiles.get(runner.engine, WITH)
    tags = audience_tags(profile)
    assert AudienceTag.KIDNEY in tags and AudienceTag.BISPHOSPHONATE_AFTER_BREAKFAST in tags
    deliverer = runner.services.deliverer
    assert deliverer is not None
    deliverer._sender.budget.chats = ChatBuckets(private=(1e9, 1e9))
    fake_api.configure(per_chat_rate=None)
    clock.now = datetime(2026, 6, 1, 8, 0)
    for _ in range(DAYS):
        assert await deliverer.sweep() is not None
        clock.advance(days=1)

    caution = esc(bank.interactions.kidney_caution)
    mine = delivered(fake_api, bank, WITH)
    assert len(mine) == DAYS
    audiences = {t.id: Audience.of(t) for t in bank.tips}
    assert not [t.id for t, _ in mine if excluded(audiences[t.id], tags)]
    fitting = [t for t in bank.tips if fits(audiences[t.id], tags)]
    fitting = [t for t in fitting if not excluded(audiences[t.id], tags)]
    first = min(len(fitting), DAYS)
    assert first >= 5 and all(fits(audiences[t.id], tags) for t, _ in mine[:first])
    for tip, text in mine:
        wants = mentions_supplements(tip) or AudienceTag.KIDNEY in tip.caution_for
        assert (caution in text) is wants, tip.id
    assert any(caution in text for _, text in mine)

    # Without a profile: the plain rotation from the subscriber's own seed, and no caution.
    theirs = delivered(fake_api, bank, WITHOUT)
    async with runner.engine.connect() as conn:
        seed = await conn.scalar(select(subscribers.c.seed).where(subscribers.c.chat_id == WITHOUT))
    assert seed is not None
    state, expected = RotationState.from_row(seed, 0, ""), []
    tip_ids = tuple(sorted(t.id for t in bank.tips))
    for _ in range(DAYS):
        tip_id, state = next_tip(tip_ids, state)
        expected.append(tip_id)
    assert [t.id for t, _ in theirs] == expected
    assert not any(caution in text for _, text in theirs)
