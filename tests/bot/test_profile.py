"""/profile end to end through the fake Bot API: the guided flow, the one-line forms, changing
and clearing answers, stale buttons; and /mydata and /forget with a profile."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.conftest import User
from tests.fakebot.server import FakeBotApi, SentMessage
from tipbot import messages
from tipbot.companion.profile import AgeBand, Diet, Kidney, Profile, Region, SexAnswer
from tipbot.runner import Runner
from tipbot.storage import profiles
from tipbot.storage.tables import profiles as profiles_table

pytestmark = pytest.mark.usefixtures("runner")


def data_of(message: SentMessage) -> list[str]:
    return [b["callback_data"] for b in message.buttons if "callback_data" in b]


async def stored(runner: Runner, chat: int) -> Profile | None:
    return await profiles.get(runner.engine, chat)


async def test_the_first_profile_goes_through_every_question_with_buttons(
    user: User, runner: Runner
) -> None:
    [age] = await user.send("/profile")
    assert messages.PROFILE_FIRST_NOTE.split(".")[0] in age.plain  # shown the first time
    assert "pf:s:age:71:g" in data_of(age) and "pf:k:age:g" in data_of(age)
    assert "disc" in data_of(age)  # the disclaimer under every message
    [sex] = await user.press(age, "pf:s:age:71:g")
    assert "Saved: Age group: 71+" in sex.plain
    assert messages.PROFILE_FIRST_NOTE.split(".")[0] not in sex.plain  # once is enough
    [region] = await user.press(sex, "pf:k:sex:g")  # skipped: nothing stored for it
    [medicine] = await user.press(region, "pf:s:region:uk:g")
    assert {"pf:s:medicine:atelvia:g", "pf:s:medicine:binosto:g"} <= set(data_of(medicine))
    assert {"pf:s:medicine:denosumab:g", "pf:s:medicine:zoledronic-acid:g"} <= set(
        data_of(medicine)
    )
    assert "pf:s:medicine:none:g" in data_of(medicine)
    [kidney] = await user.press(medicine, "pf:s:medicine:atelvia:g")
    assert "Atelvia" in kidney.plain
    [diet] = await user.press(kidney, "pf:s:kidney:unsure:g")
    [overview] = await user.press(diet, "pf:s:diet:no-dairy:g")
    assert "Sex: not given" in overview.plain
    assert "Kidney disease: Not sure" in overview.plain
    assert await stored(runner, user.chat_id) == Profile(
        age_band=AgeBand.AGE_71_PLUS,
        region=Region.UK,
        medicine="atelvia",
        kidney=Kidney.UNSURE,
        diet=Diet.NO_DAIRY,
    )
    [again] = await user.send("/profile")  # a profile exists: the overview, not the flow
    assert "Age group: 71+" in again.plain
    assert messages.PROFILE_FIRST_NOTE.split(".")[0] not in again.plain
    assert {"pf:q:age", "pf:x", "pf:g"} <= set(data_of(again))


async def test_typed_answers_go_to_the_open_question(user: User, runner: Runner) -> None:
    await user.send("/profile")
    [bad] = await user.send("seventy")
    assert "write your age in years" in bad.plain.lower()
    [sex] = await user.send("67")
    assert "51-70" in sex.plain
    assert messages.PROFILE_FIRST_NOTE.split(".")[0] not in sex.plain
    [region] = await user.send("woman")
    await user.press(region, "pf:k:region:g")
    [reply] = await user.send("Actonel DR")  # a brand from the box
    assert "Atelvia" in reply.plain
    [unknown] = await user.send("/profile set medicine aspirin")
    assert "I have no label rule for aspirin" in unknown.plain
    profile = await stored(runner, user.chat_id)
    assert profile == Profile(age_band=AgeBand.AGE_51_70, sex=SexAnswer.FEMALE, medicine="atelvia")


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("/profile set age 70", Profile(age_band=AgeBand.AGE_51_70)),
        ("/profile set sex pregnant", Profile(sex=SexAnswer.PREGNANT)),
        ("/profile set region eu", Profile(region=Region.EU)),
        ("/profile set kidney unsure", Profile(kidney=Kidney.UNSURE)),
        ("/profile set diet vegan", Profile(diet=Diet.VEGAN)),
        ("/profile set medicine alendronate", Profile(medicine="alendronate")),
        ("/profile set medicine Binosto", Profile(medicine="binosto")),
        ("/profile set medicine none", Profile(medicine="none")),
    ],
)
async def test_one_line_forms(user: User, runner: Runner, command: str, expected: Profile) -> None:
    [reply] = await user.send(command)
    assert "Saved" in reply.plain
    assert messages.PROFILE_FIRST_NOTE.split(".")[0] in reply.plain  # the first answer
    assert await stored(runner, user.chat_id) == expected


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("/profile set age 7", "between 14 and 120"),
        ("/profile set region mars", "not one of the answers for region"),
        ("/profile set height 170", "I can store these answers"),
        ("/profile set kidney", "/profile set age 70"),
        ("/profile <b>", "/profile set age 70"),
    ],
)
async def test_bad_one_line_input_is_explained_and_nothing_is_stored(
    user: User, runner: Runner, command: str, expected: str
) -> None:
    [reply] = await user.send(command)
    assert expected in reply.plain
    assert await stored(runner, user.chat_id) is None


async def test_change_and_clear_single_answers_then_all(user: User, runner: Runner) -> None:
    await user.send("/profile set region eu")
    await user.send("/profile set diet vegan")
    [overview] = await user.send("/profile")
    [question] = await user.press(overview, "pf:q:region")
    assert "pf:c:region" in data_of(question) and "pf:k:region:g" not in data_of(question)
    [changed] = await user.press(question, "pf:s:region:us")
    assert "Reference values: US/Canada" in changed.plain
    [question] = await user.press(changed, "pf:q:diet")
    [cleared] = await user.press(question, "pf:c:diet")
    assert "Cleared: Diet" in cleared.plain
    assert await stored(runner, user.chat_id) == Profile(region=Region.US)
    [reply] = await user.send("/profile clear region")
    assert await stored(runner, user.chat_id) is None
    await user.send("/profile set kidney yes")
    [reply] = await user.send("/profile clear")
    assert reply.plain == messages.PROFILE_CLEARED_ALL
    async with runner.engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(profiles_table)) == 0


@pytest.mark.parametrize(
    "data",
    ["pf:s:age:abc:g", "pf:s:medicine:aspirin", "pf:s:nothing:1", "pf:zz", "pf:s:sex", "pf:c:bad"],
)
async def test_stale_or_forged_buttons_are_only_acknowledged(
    user: User, runner: Runner, fake_api: FakeBotApi, data: str
) -> None:
    [age] = await user.send("/profile")
    answers = len(fake_api.callback_answers)
    fake_api.push_callback(user.chat_id, age.message_id, data)
    await fake_api.wait_for(lambda: len(fake_api.callback_answers) > answers)
    [reply] = await user.send("/help")  # the bot is still answering, nothing else was sent
    assert "What I can do" in reply.plain
    assert fake_api.status_counts["400"] == 0
    assert await stored(runner, user.chat_id) is None


async def test_an_old_question_still_works_after_the_flow_ended(user: User, runner: Runner) -> None:
    [age] = await user.send("/profile")
    await user.send("/profile set diet vegetarian")  # the flow ends
    [answered] = await user.press(age, "pf:s:age:31:g")
    assert "Saved: Age group: 31-50" in answered.plain
    assert await stored(runner, user.chat_id) == Profile(
        age_band=AgeBand.AGE_31_50, diet=Diet.VEGETARIAN
    )


async def test_a_later_subscribe_flow_gets_the_typed_text(user: User, runner: Runner) -> None:
    await user.send("/profile")  # the age question is open
    await user.send("/subscribe")  # then the subscription flow asks for a time
    [zone] = await user.send("07:15")
    assert "07:15" in zone.plain
    assert await stored(runner, user.chat_id) is None


async def test_mydata_shows_subscription_and_profile_and_forget_deletes_both(
    user: User, runner: Runner
) -> None:
    [empty] = await user.send("/mydata")
    assert "Subscription: none" in empty.plain and "Profile: none" in empty.plain
    await user.send("/subscribe 07:30 Europe/Berlin")
    await user.send("/profile set sex breastfeeding")
    await user.send("/profile set medicine zoledronic acid")
    [mine] = await user.send("/mydata")
    assert "active, daily tip at 07:30 (Europe/Berlin)" in mine.plain
    assert "Sex: Breastfeeding" in mine.plain
    assert "Bone medicine: Zoledronic acid infusion" in mine.plain
    assert "Diet: not given" in mine.plain
    [ask] = await user.send("/forget")
    assert "profile" in ask.plain
    await user.press(ask, "forget:yes")
    assert await stored(runner, user.chat_id) is None
    [after] = await user.send("/mydata")
    assert "Subscription: none" in after.plain and "Profile: none" in after.plain


async def test_intake_without_arguments_answers_from_the_profile(user: User) -> None:
    [ask] = await user.send("/intake")  # no profile: the buttons, as before
    assert "in:s:female" in data_of(ask)
    await user.send("/profile set age 40")
    [ask] = await user.send("/intake")  # age alone is not enough to pick a row
    assert "in:s:female" in data_of(ask)
    await user.send("/profile set sex female")
    [reply] = await user.send("/intake")
    assert "Magnesium for you (woman, 31-50)" in reply.plain
    assert "Adults 31-50 years: 320 mg" in reply.plain
    assert "From your /profile" in reply.plain
    assert reply.plain.index("US/Canadian reference values") < reply.plain.index("EFSA")
    await user.send("/profile set region eu")
    [reply] = await user.send("/intake")
    assert reply.plain.index("EU reference values") < reply.plain.index("US/Canadian")
    [other] = await user.send("/intake 67 male")  # someone else: typed, region still applies
    assert "67-year-old man" in other.plain and "From your /profile" not in other.plain
    assert other.plain.index("EU reference values") < other.plain.index("US/Canadian")


async def test_foods_show_percent_nrv_for_the_eu_region(user: User) -> None:
    [before] = await user.send("/foods")
    assert "% DV)" in before.plain
    await user.send("/profile set region eu")
    [after] = await user.send("/foods")
    assert "% NRV)" in after.plain and "% DV)" not in after.plain
    [group] = await user.press(after, "foods:nuts_seeds")
    assert "% NRV)" in group.plain
