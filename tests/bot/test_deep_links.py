"""Deep links end to end: `/start <code>` records the code once; /stats counts per code."""

from __future__ import annotations

from tests.conftest import ADMIN_ID, FakeClock, User
from tests.fakebot.server import FakeBotApi
from tipbot.runner import Runner
from tipbot.storage import sources


async def test_a_code_is_recorded_once_and_counted_in_stats(
    runner: Runner, fake_api: FakeBotApi, clock: FakeClock
) -> None:
    patient = User(fake_api, 7001)
    [welcome] = await patient.send("/start clinic_madrid")
    assert "Sorry" not in welcome.plain and "clinic_madrid" not in welcome.plain
    assert await sources.code_of(runner.engine, 7001) == "clinic_madrid"
    await patient.send("/start pharmacy_b")  # a later link does not take the credit
    assert await sources.code_of(runner.engine, 7001) == "clinic_madrid"
    await patient.send("/subscribe 08:00 UTC")
    await User(fake_api, 7002).send("/start clinic_madrid")  # came, did not subscribe

    [stats] = await User(fake_api, ADMIN_ID).send("/stats")
    assert "clinic_madrid: 2, 1, 1" in stats.plain


async def test_a_payload_that_is_not_a_code_is_ignored(
    runner: Runner, fake_api: FakeBotApi
) -> None:
    user = User(fake_api, 7003)
    [plain] = await User(fake_api, 7004).send("/start")
    for text in ("/start bad!code", "/start " + "a" * 65, "/start two words"):
        [welcome] = await user.send(text)
        assert welcome.plain == plain.plain  # the ordinary welcome, never an error
    assert await sources.code_of(runner.engine, 7003) is None
    [stats] = await User(fake_api, ADMIN_ID).send("/stats")
    assert "Deep links" not in stats.plain


async def test_a_startgroup_link_records_the_groups_code(
    runner: Runner, fake_api: FakeBotApi
) -> None:
    """`t.me/<bot>?startgroup=<code>` adds the bot and sends `/start@bot <code>` in the group."""
    group = -5001
    fake_api.push_message(group, f"/start@{fake_api.bot_user['username']} clinic_b", user_id=61)
    await fake_api.wait_for_messages(group, 1)
    assert await sources.code_of(runner.engine, group) == "clinic_b"
