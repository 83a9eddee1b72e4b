"""Profile storage: one answer at a time, nothing kept that was cleared, and /forget removes it."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from tipbot.companion.profile import AgeBand, Diet, Kidney, Profile, Question, Region
from tipbot.companion.selection import Audience
from tipbot.content.models import AudienceTag
from tipbot.storage import deliveries as store
from tipbot.storage import profiles
from tipbot.storage import subscriptions as subs
from tipbot.storage.tables import deliveries
from tipbot.storage.tables import profiles as profiles_table

CHAT = 501


async def rows(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(profiles_table)) or 0)


async def test_no_profile_until_an_answer_is_given(engine: AsyncEngine) -> None:
    assert await profiles.get(engine, CHAT) is None
    assert await rows(engine) == 0


async def test_setting_answers_one_at_a_time_keeps_the_others(engine: AsyncEngine) -> None:
    await profiles.set_answer(engine, CHAT, Question.AGE, AgeBand.AGE_71_PLUS.value)
    await profiles.set_answer(engine, CHAT, Question.REGION, "eu")
    await profiles.set_answer(engine, CHAT, Question.REGION, "uk")  # changed, not added
    await profiles.set_answer(engine, CHAT, Question.MEDICINE, "atelvia")
    assert await profiles.get(engine, CHAT) == Profile(
        age_band=AgeBand.AGE_71_PLUS, region=Region.UK, medicine="atelvia"
    )
    assert await profiles.get(engine, CHAT + 1) is None
    assert await rows(engine) == 1


async def test_clearing_the_last_answer_deletes_the_row(engine: AsyncEngine) -> None:
    await profiles.set_answer(engine, CHAT, Question.KIDNEY, Kidney.UNSURE.value)
    await profiles.set_answer(engine, CHAT, Question.DIET, Diet.VEGAN.value)
    assert await profiles.clear_answer(engine, CHAT, Question.DIET)
    assert not await profiles.clear_answer(engine, CHAT, Question.DIET)  # already gone
    assert await profiles.get(engine, CHAT) == Profile(kidney=Kidney.UNSURE)
    assert await profiles.clear_answer(engine, CHAT, Question.KIDNEY)
    assert await profiles.get(engine, CHAT) is None
    assert await rows(engine) == 0


async def test_clear_all_and_forget_delete_the_profile(engine: AsyncEngine) -> None:
    await profiles.set_answer(engine, CHAT, Question.SEX, "pregnant")
    assert await profiles.clear(engine, CHAT)
    assert not await profiles.clear(engine, CHAT)
    await profiles.set_answer(engine, CHAT, Question.SEX, "female")
    await profiles.set_answer(engine, CHAT + 1, Question.SEX, "male")
    now = datetime(2026, 6, 1, 8, 0)
    await subs.subscribe(engine, CHAT, 480, "UTC", now)
    assert await subs.forget(engine, CHAT) == 2  # the subscription and the profile
    assert await profiles.get(engine, CHAT) is None
    assert await profiles.get(engine, CHAT + 1) is not None  # someone else's stays


async def test_an_unknown_stored_value_reads_as_not_given(engine: AsyncEngine) -> None:
    await profiles.set_answer(engine, CHAT, Question.REGION, "mars")
    await profiles.set_answer(engine, CHAT, Question.DIET, "vegan")
    assert await profiles.get(engine, CHAT) == Profile(diet=Diet.VEGAN)


async def test_the_profile_moves_with_a_migrated_group(engine: AsyncEngine) -> None:
    now = datetime(2026, 6, 1, 8, 0)
    await subs.subscribe(engine, -100, 480, "UTC", now)
    await profiles.set_answer(engine, -100, Question.REGION, "eu")
    assert await subs.move_chat(engine, -100, -1001)
    assert await profiles.get(engine, -100) is None
    assert await profiles.get(engine, -1001) == Profile(region=Region.EU)


async def test_the_plan_query_reads_the_profile_and_plans_a_tip_that_fits(
    engine: AsyncEngine,
) -> None:
    tip_ids = tuple(f"t{n}" for n in range(10))
    audiences = {
        "t3": Audience(for_=frozenset({AudienceTag.VEGAN})),
        **{t: Audience(not_for=frozenset({AudienceTag.VEGAN})) for t in tip_ids if t != "t3"},
    }
    now = datetime(2026, 6, 1, 7, 0)
    for chat in (CHAT, CHAT + 1):
        await subs.subscribe(engine, chat, 8 * 60, "UTC", now)
    await profiles.set_answer(engine, CHAT, Question.DIET, "vegan")
    at = datetime(2026, 6, 1, 8, 0)
    result = await store.plan_due(engine, at, tip_ids, timedelta(hours=6), 100, audiences)
    assert result.planned == 2
    async with engine.connect() as conn:
        planned = dict(
            (await conn.execute(select(deliveries.c.chat_id, deliveries.c.tip_id))).all()
        )
    assert planned[CHAT] == "t3"  # the only tip not `not_for` a vegan
    assert planned[CHAT + 1] in tip_ids  # no profile: the plain rotation, any tip
