"""Profile storage: the answers a person gave to /profile, one column each, nothing derived.

A profile is health data, so this module only stores and deletes: it never logs, and a profile
whose last answer is cleared is deleted rather than kept as an empty row.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncEngine

from tipbot.companion.profile import (
    FIELDS,
    AgeBand,
    Diet,
    Kidney,
    Profile,
    Question,
    Region,
    SexAnswer,
)
from tipbot.storage.subscriptions import upsert
from tipbot.storage.tables import profiles

_E = TypeVar("_E", bound=StrEnum)

#: The column that holds each question's answer: named like the Profile field.
COLUMNS: dict[Question, str] = FIELDS

#: The answer columns, for queries that read a profile beside other rows (the plan query).
ANSWERS = [profiles.c[name] for name in COLUMNS.values()]


def from_row(row: Row[object] | None) -> Profile | None:
    """A profile from a row of `profiles` (or of a join that selected its answer columns).

    A value that is no longer a known answer (an enum member renamed since) reads as not given,
    never as an error: a stale answer must not stop a tip or a reply.
    """
    if row is None:
        return None
    m = row._mapping
    profile = Profile(
        age_band=_member(AgeBand, m["age_band"]),
        sex=_member(SexAnswer, m["sex"]),
        region=_member(Region, m["region"]),
        medicine=m["medicine"],
        kidney=_member(Kidney, m["kidney"]),
        diet=_member(Diet, m["diet"]),
    )
    return None if profile.is_empty else profile


def _member(enum: type[_E], value: str | None) -> _E | None:
    if value is None:
        return None
    try:
        return enum(value)
    except ValueError:
        return None


def answer_of(profile: Profile, question: Question) -> str | None:
    """The stored text of one answer (an enum's value, or the medicine id)."""
    value = getattr(profile, COLUMNS[question])
    return None if value is None else str(value)


async def get(engine: AsyncEngine, chat_id: int) -> Profile | None:
    async with engine.connect() as conn:
        row = (await conn.execute(select(profiles).where(profiles.c.chat_id == chat_id))).first()
    return from_row(row)


async def set_answer(engine: AsyncEngine, chat_id: int, question: Question, value: str) -> None:
    """Store one answer, creating the profile if needed; the other answers stay as they are."""
    column = COLUMNS[question]
    async with engine.begin() as conn:
        stmt = upsert(conn)(profiles).values(chat_id=chat_id, **{column: value})
        await conn.execute(
            stmt.on_conflict_do_update(index_elements=[profiles.c.chat_id], set_={column: value})
        )


async def clear_answer(engine: AsyncEngine, chat_id: int, question: Question) -> bool:
    """Forget one answer; a profile left with none is deleted. False if it was not stored."""
    column = profiles.c[COLUMNS[question]]
    async with engine.begin() as conn:
        changed = await conn.execute(
            update(profiles)
            .where(profiles.c.chat_id == chat_id, column.isnot(None))
            .values({column: None})
        )
        await conn.execute(
            delete(profiles).where(profiles.c.chat_id == chat_id, *(c.is_(None) for c in ANSWERS))
        )
    return bool(changed.rowcount)


async def clear(engine: AsyncEngine, chat_id: int) -> bool:
    """Forget every answer (`/profile clear`): the row goes. False if there was no profile.
    `/forget` deletes the row too, with everything else, in `storage.subscriptions.forget`."""
    async with engine.begin() as conn:
        result = await conn.execute(delete(profiles).where(profiles.c.chat_id == chat_id))
    return bool(result.rowcount)
