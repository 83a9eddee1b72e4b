"""Clinic mode's rules: who manages a chat's subscription, and when the bot can post."""

from __future__ import annotations

import pytest

from tipbot import chat_rights


@pytest.mark.parametrize(
    ("chat_type", "needed"),
    [("private", False), ("channel", False), ("group", True), ("supergroup", True)],
)
def test_only_groups_need_an_admin_check(chat_type: str, needed: bool) -> None:
    assert chat_rights.needs_admin(chat_type) is needed


def test_a_message_signed_by_the_chat_comes_from_an_admin() -> None:
    assert chat_rights.posted_as_the_chat(-100, -100)
    assert not chat_rights.posted_as_the_chat(-100, -200)  # e.g. a linked channel's forward
    assert not chat_rights.posted_as_the_chat(-100, None)


@pytest.mark.parametrize(
    ("status", "admin"),
    [("creator", True), ("administrator", True), ("member", False), ("restricted", False)],
)
def test_admin_statuses(status: str, admin: bool) -> None:
    assert chat_rights.is_admin(status) is admin


@pytest.mark.parametrize(
    ("chat_type", "status", "rights", "can"),
    [
        ("private", "member", {}, True),
        ("private", "kicked", {}, False),
        ("group", "member", {}, True),
        ("group", "left", {}, False),
        ("supergroup", "kicked", {}, False),
        ("supergroup", "restricted", {"can_send_messages": False}, False),
        ("supergroup", "restricted", {"can_send_messages": True}, True),
        ("supergroup", "administrator", {}, True),
        ("channel", "member", {}, False),
        ("channel", "administrator", {"can_post_messages": False}, False),
        ("channel", "administrator", {"can_post_messages": True}, True),
        ("channel", "creator", {}, True),
    ],
)
def test_when_the_bot_can_post(
    chat_type: str, status: str, rights: dict[str, bool], can: bool
) -> None:
    assert chat_rights.bot_can_post(chat_type, status, **rights) is can


def test_just_added() -> None:
    assert chat_rights.just_added("left", "member")
    assert chat_rights.just_added("kicked", "administrator")
    assert not chat_rights.just_added("member", "restricted")
    assert not chat_rights.just_added("member", "left")
