"""Reference commands end to end: a user talks to the running bot through the fake Bot API."""

from __future__ import annotations

import html

import pytest

from tests.conftest import User
from tests.fakebot.server import FakeBotApi
from tipbot import messages
from tipbot.content import render
from tipbot.content.models import Bank
from tipbot.runner import Runner

pytestmark = pytest.mark.usefixtures("runner")


def button_data(message) -> list[str]:  # type: ignore[no-untyped-def]
    return [b["callback_data"] for b in message.buttons if "callback_data" in b]


async def test_start_greets_says_not_advice_and_offers_sections(user: User) -> None:
    [reply] = await user.send("/start")
    assert "Hello, Ada!" in reply.plain
    assert "not medical advice" in reply.plain
    data = button_data(reply)
    for section in ("menu:foods", "menu:forms", "menu:ix", "menu:tip", "menu:sources"):
        assert section in data
    assert "disc" in data


async def test_help_lists_every_command_and_matches_the_menu(user: User, runner: Runner) -> None:
    [reply] = await user.send("/help")
    for command in messages.COMMANDS:
        assert f"/{command.name}" in reply.plain
    published = await runner.application.bot.get_my_commands()
    assert [c.command for c in published] == [c.name for c in messages.COMMANDS]


async def test_tip_has_numbered_source_links_and_evidence(user: User) -> None:
    [reply] = await user.send("/tip")
    assert "Evidence:" in reply.plain
    assert '1. <a href="https://' in reply.text


async def test_foods_lists_best_first_and_filters_by_group(
    user: User, fake_api: FakeBotApi
) -> None:
    [reply] = await user.send("/foods")
    lines = [line for line in reply.plain.splitlines() if line.startswith("•")]
    assert lines[0].startswith("• Pumpkin seeds")
    assert "156 mg (37% DV)" in lines[0]
    assert "foods:legumes_soy" in button_data(reply)
    [edited] = await user.press(reply, "foods:legumes_soy")
    assert "Black beans" in edited.plain
    assert "Pumpkin seeds" not in edited.plain
    assert "foods:top" in button_data(edited)


async def test_foods_first_screen_holds_the_ten_richest_and_all_foods_pages(
    user: User, bank: Bank
) -> None:
    [reply] = await user.send("/foods")
    shown = [line for line in reply.plain.splitlines() if line.startswith("•")]
    assert len(shown) == render.TOP_FOODS < len(bank.foods.items)
    [first] = await user.press(reply, "foods:every")
    everything = await user.pages(first)
    assert len(everything) > 1  # paged, one phone-sized screen at a time
    listed = [line for m in everything for line in m.plain.splitlines() if line.startswith("•")]
    assert len(listed) == len(bank.foods.items)
    assert all(len(m.plain) <= render.FIRST_SCREEN for m in everything)
    assert "src:foods.every" in button_data(everything[-1])


async def test_forms_one_line_each_with_a_button_to_details_and_back(
    user: User, bank: Bank
) -> None:
    [reply] = await user.send("/forms")
    lines = [line for line in reply.plain.splitlines() if line.startswith("•")]
    assert len(lines) == len(bank.forms)
    for form, line in zip(bank.forms, lines, strict=True):
        assert line == (
            f"• {render.form_short_name(form)}: {form.elemental_percent:g}% · {form.in_brief}"
        )
    assert [f"form:{f.id}" for f in bank.forms] == [
        d for d in button_data(reply) if d.startswith("form:")
    ]
    assert "kidney disease" in reply.plain and "disc" in button_data(reply)
    [details] = await user.press(reply, "form:glycinate")
    assert details.message_id == reply.message_id  # opened in place
    glycinate = next(f for f in bank.forms if f.id == "glycinate")
    assert glycinate.absorption in details.plain
    assert render.esc(bank.interactions.kidney_caution) in details.text
    [back] = await user.press(details, "pg:0:forms")
    assert back.plain == reply.plain


async def test_a_forms_sources_open_behind_its_button(user: User, bank: Bank) -> None:
    [reply] = await user.send("/forms")
    [details] = await user.press(reply, "form:oxide")
    oxide = next(f for f in bank.forms if f.id == "oxide")
    assert "src:form.oxide" in button_data(details)  # too long for one screen with them
    assert "https://" not in details.text
    [cited] = await user.press(details, "src:form.oxide")
    for source_id in oxide.sources:
        assert f'href="{html.escape(bank.source_index[source_id].url)}"' in cited.text
    assert "disc" in button_data(cited)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("alendronate", "bisphosphonate"),
        ("Fosamax", "bisphosphonate"),
        ("cipro", "quinolone"),
        ("omeprazol", "proton pump"),
        ("FOSAMAX", "bisphosphonate"),
    ],
)
async def test_interactions_by_name(user: User, name: str, expected: str) -> None:
    [reply] = await user.send(f"/interactions {name}")
    replies = await user.pages(reply)
    text = replies[0].plain.lower()
    assert expected in text
    assert "kidney" in " ".join(r.plain.lower() for r in replies)


async def test_unknown_medicine_gets_no_entry_and_a_pharmacist(user: User) -> None:
    [reply] = await user.send("/interactions warfarin")
    assert "I have no entry for warfarin" in reply.plain
    assert "pharmacist" in reply.plain
    assert "safe" not in reply.plain.replace("does not mean it is safe", "")


async def test_distant_misspelling_gets_the_closest_names_not_a_guess(user: User) -> None:
    [reply] = await user.send("/interactions ciproflox")
    assert "I have no entry for ciproflox" in reply.plain
    assert "Did you mean: ciprofloxacin" in reply.plain


async def test_interactions_overview_names_classes_and_kidney_caution(
    user: User, bank: Bank
) -> None:
    [reply] = await user.send("/interactions")
    text = " ".join(r.plain for r in await user.pages(reply)).lower()
    for word in (
        "bisphosphonate",
        "tetracycline",
        "quinolone",
        "diuretic",
        "proton pump",
        "kidney",
    ):
        assert word in text


async def test_sources_link_every_source_within_telegram_limits(user: User, bank: Bank) -> None:
    [reply] = await user.send("/sources")
    replies = await user.pages(reply)
    text = "".join(r.text for r in replies)
    assert all(f'href="{html.escape(s.url)}"' in text for s in bank.sources)
    assert all(len(r.text) <= 4096 for r in replies)


async def test_about_says_what_is_stored_and_the_disclaimer(user: User) -> None:
    [about] = await user.send("/about")
    assert "/forget" in about.plain and "Not medical advice" in about.plain


async def test_intake_answers_and_explains_rda_versus_upper_limit(user: User) -> None:
    [reply] = await user.send("/intake 67 female")
    assert "320 mg" in reply.plain and "350 mg" in reply.plain
    [bad] = await user.send("/intake sixty")
    assert "/intake 67 female" in bad.plain


async def test_intake_guided_flow(user: User) -> None:
    [ask] = await user.send("/intake")
    [ages] = await user.press(ask, "in:s:male")
    band = next(d for d in button_data(ages) if d.startswith("in:a:male:51"))
    [answer] = await user.press(ages, band)
    assert "420 mg" in answer.plain


async def test_unknown_command_and_free_text_point_to_help(user: User) -> None:
    [reply] = await user.send("/frobnicate")
    assert reply.plain == messages.UNKNOWN_COMMAND
    [reply] = await user.send("hello there")
    assert "/help" in reply.plain


async def test_admin_commands_look_unknown_to_everyone_else(user: User) -> None:
    [reply] = await user.send("/stats")
    assert reply.plain == messages.UNKNOWN_COMMAND
    [reply] = await user.send("/broadcast hi all")
    assert reply.plain == messages.UNKNOWN_COMMAND


async def test_disclaimer_is_one_tap_away(user: User, fake_api: FakeBotApi) -> None:
    [reply] = await user.send("/foods")
    before = len(fake_api.callback_answers)
    fake_api.push_callback(user.chat_id, reply.message_id, "disc")
    await fake_api.wait_for(lambda: len(fake_api.callback_answers) > before)
    answer = fake_api.callback_answers[-1]
    assert answer.show_alert and answer.text == messages.DISCLAIMER_SHORT


async def test_user_text_is_escaped_in_replies(user: User) -> None:
    [reply] = await user.send("/interactions <b>&amp</b>")
    assert "&lt;b&gt;&amp;amp&lt;/b&gt;" in reply.text


async def test_pressing_the_same_button_twice_sends_no_redundant_edit(
    user: User, fake_api: FakeBotApi
) -> None:
    [ask] = await user.send("/intake")
    [ages] = await user.press(ask, "in:s:female")
    answers = len(fake_api.callback_answers)
    fake_api.push_callback(user.chat_id, ask.message_id, "in:s:female")
    await fake_api.wait_for(lambda: len(fake_api.callback_answers) > answers)
    await user.send("/help")  # by now the button's handler has finished
    assert fake_api.status_counts["400"] == 0
    assert ages.plain == fake_api.current(user.chat_id, ask.message_id).plain  # type: ignore[union-attr]
