"""Who may run a chat's daily tip, and whether the bot may post in a chat (clinic mode).

Plain functions of Telegram's member statuses and rights (as strings and booleans), so the rules
are tested without Telegram; the handlers in `tipbot.bot.chat_admins` and
`tipbot.bot.subscriptions` feed them what Telegram said.
"""

from __future__ import annotations

#: Chats where any member can type a command, so changing the subscription needs an admin.
GROUP_TYPES = frozenset({"group", "supergroup"})
#: Member statuses that may manage a group's or channel's subscription.
ADMIN_STATUSES = frozenset({"creator", "administrator"})
#: The bot's own statuses that mean it is not in the chat at all.
GONE_STATUSES = frozenset({"left", "kicked"})


def needs_admin(chat_type: str) -> bool:
    """A private chat is its user's own; in a channel only admins can post (so a command there
    comes from one); in a group any member could type /unsubscribe, so an admin is required."""
    return chat_type in GROUP_TYPES


def posted_as_the_chat(chat_id: int, sender_chat_id: int | None) -> bool:
    """A message signed by the chat itself: an anonymous group admin (Telegram shows the group
    as the sender) or a channel post. Only admins can do either."""
    return sender_chat_id is not None and sender_chat_id == chat_id


def is_admin(status: str) -> bool:
    return status in ADMIN_STATUSES


def bot_can_post(
    chat_type: str,
    status: str,
    *,
    can_send_messages: bool | None = None,
    can_post_messages: bool | None = None,
) -> bool:
    """Whether the bot, with this membership, can send to the chat.

    In a channel it must be the creator or an admin with "post messages"; in a group a
    restricted bot needs `can_send_messages`; anywhere, left or kicked means no."""
    if status in GONE_STATUSES:
        return False
    if chat_type == "channel":
        return status == "creator" or (status == "administrator" and bool(can_post_messages))
    if status == "restricted":
        return bool(can_send_messages)
    return True


def just_added(old_status: str, new_status: str) -> bool:
    """The bot came into the chat (it was not there before, and is now)."""
    return old_status in GONE_STATUSES and new_status not in GONE_STATUSES
