"""The /foods chart end to end: uploaded once, then sent by file_id; the list still follows."""

from __future__ import annotations

import asyncio
from pathlib import Path

import telegram

from tests.conftest import User
from tests.fakebot.images import png
from tests.fakebot.server import FakeBotApi
from tipbot.bot.photos import PhotoCache
from tipbot.bot.services import app_services
from tipbot.runner import Runner


async def test_two_users_one_upload_then_file_id(
    fake_api: FakeBotApi, runner: Runner, tmp_path: Path
) -> None:
    app_services(runner.application).chart_dir = tmp_path
    ada, bob = User(fake_api, 5001), User(fake_api, 5002, "Bob")
    [list_ada] = await ada.send("/foods")
    [list_bob] = await bob.send("/foods")
    [photo_ada], [photo_bob] = fake_api.photos_for(5001), fake_api.photos_for(5002)
    assert (photo_ada.uploaded, photo_bob.uploaded) == (True, False)
    assert photo_bob.file_id == photo_ada.file_id
    assert fake_api.photo_uploads == 1
    # The photo comes first, with the chart described in words for screen readers.
    assert photo_ada.message_id < list_ada.message_id
    assert "Chart: magnesium in one serving" in photo_ada.plain_caption
    assert "Pumpkin seeds, roasted, 1 oz (28.35 g): 156 mg" in photo_ada.plain_caption
    assert list_bob.plain.startswith("The 10 foods richest in magnesium")


async def test_the_list_is_sent_even_if_the_chart_cannot_be_drawn(
    fake_api: FakeBotApi, runner: Runner, tmp_path: Path, user: User
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    app_services(runner.application).chart_dir = blocker
    [reply] = await user.send("/foods")
    assert reply.plain.startswith("The 10 foods richest in magnesium")
    assert fake_api.photos == []


async def test_concurrent_first_sends_upload_once(fake_api: FakeBotApi, tmp_path: Path) -> None:
    picture = tmp_path / "chart.png"
    picture.write_bytes(png(30, 30))
    cache = PhotoCache()
    async with telegram.Bot(fake_api.token, base_url=fake_api.base_url) as bot:
        sent = await asyncio.gather(
            *(cache.send(bot, chat, "k1", picture) for chat in range(7001, 7006))
        )
    assert fake_api.photo_uploads == 1
    assert len({m.photo[-1].file_id for m in sent}) == 1
    assert cache.file_id("k1") == sent[0].photo[-1].file_id


async def test_a_refused_file_id_is_uploaded_again(fake_api: FakeBotApi, tmp_path: Path) -> None:
    picture = tmp_path / "chart.png"
    picture.write_bytes(png(30, 30))
    cache = PhotoCache()
    async with telegram.Bot(fake_api.token, base_url=fake_api.base_url) as bot:
        first = await cache.send(bot, 7001, "k1", picture)
        fake_api.forget_files()
        second = await cache.send(bot, 7002, "k1", picture)
        third = await cache.send(bot, 7003, "k1", picture)
    assert fake_api.photo_uploads == 2
    assert second.photo[-1].file_id != first.photo[-1].file_id
    assert third.photo[-1].file_id == second.photo[-1].file_id
    assert [p.uploaded for p in fake_api.photos] == [True, True, False]


async def test_users_who_waited_for_the_upload_are_sent_side_by_side(
    fake_api: FakeBotApi, tmp_path: Path
) -> None:
    """Only the upload is one at a time: the users who waited for it get the photo by file_id
    together, not each behind the other (which made the fifth user wait five answers)."""
    picture = tmp_path / "chart.png"
    picture.write_bytes(png(30, 30))
    cache = PhotoCache()
    fake_api.configure(latency=0.05)  # every answer takes a while, so sends overlap if they can
    async with telegram.Bot(fake_api.token, base_url=fake_api.base_url) as bot:
        await bot.get_me()
        fake_api.reset()
        sent = await asyncio.gather(
            *(cache.send(bot, chat, "k1", picture) for chat in range(7001, 7006))
        )
    assert fake_api.photo_uploads == 1
    assert [m.photo[-1].file_id for m in sent].count(sent[0].photo[-1].file_id) == 5
    assert fake_api.max_in_flight == 4  # the four who waited, at once
