"""The database tables (SQLAlchemy Core), shared by SQLite and PostgreSQL.

Times are stored as naive UTC datetimes: SQLite has no time-zone type, and keeping one convention
on both back ends means the same query code runs everywhere. Local times are derived with zoneinfo.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

metadata = MetaData()

#: SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL wants BIGINT for large tables.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class SubscriberState(StrEnum):
    """What the user chose; whether they blocked the bot is the separate `blocked` flag."""

    ACTIVE = "active"
    PAUSED = "paused"
    UNSUBSCRIBED = "unsubscribed"


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # planned, waiting to be sent (or retried) from `due_at`
    SENDING = "sending"  # claimed by `claimed_by` until `lease_until`, then anyone may take it over
    SENT = "sent"
    FAILED = "failed"  # a transient failure; retried from `due_at` until `expire_at`
    BLOCKED = "blocked"  # the user blocked the bot; never retried
    REJECTED = "rejected"  # Telegram refused the message itself (a bug); never retried
    EXPIRED = "expired"  # not sent before `expire_at` (catch-up window); never retried
    CANCELLED = "cancelled"  # the user paused, unsubscribed or blocked the bot before it went


class DeliveryKind(StrEnum):
    """What a delivery row is (migration 7). The kind picks the composer's handler, the send's
    budget priority and which chats may receive it; see `tipbot.delivery.kinds`."""

    TIP = "tip"  # the daily tip: `local_date` + `tip_id`, unique per chat and local date
    BROADCAST = "broadcast"  # an announcement: `broadcast_id`, unique per chat and broadcast
    DOSE = "dose"  # a dose reminder (issue 11); `ref`: the scheduled moment
    DOSE_FOLLOWUP = "dose_followup"  # the one gentle follow-up an hour after an unanswered one
    DOSE_WAIT = "dose_wait"  # "the wait is over": breakfast, calcium, magnesium now
    APPOINTMENT = "appointment"  # a week before a denosumab or zoledronic acid appointment
    QUIZ = "quiz"  # the weekly quiz poll (sent with sendPoll)


#: Statuses after which a row never changes again (it gets `finished_at`, and is pruned later).
FINAL = (
    DeliveryStatus.SENT,
    DeliveryStatus.BLOCKED,
    DeliveryStatus.REJECTED,
    DeliveryStatus.EXPIRED,
    DeliveryStatus.CANCELLED,
)
#: Statuses of a delivery that may still be sent: a stop cancels them.
OPEN = (DeliveryStatus.PENDING, DeliveryStatus.FAILED)


#: Statuses a process may claim when `due_at` has passed (SENDING: when `lease_until` has).
CLAIMABLE = (DeliveryStatus.PENDING, DeliveryStatus.FAILED, DeliveryStatus.SENDING)

subscribers = Table(
    "subscribers",
    metadata,
    Column("chat_id", BigInteger, primary_key=True, autoincrement=False),
    Column("state", String(16), nullable=False),
    Column("send_minute", Integer, nullable=False),  # minutes after local midnight
    Column("tz", String(64), nullable=False),  # an IANA key or a fixed offset such as UTC+05:30
    # The next moment (UTC) a tip is due; NULL unless the subscription is active, so the
    # sweep's index only holds subscribers that can be due.
    Column("next_due_at", DateTime, nullable=True),
    # The user blocked the bot (403, or a my_chat_member update) or the chat is gone; the state
    # is kept as it was, so unblocking restores exactly what the user had chosen (migration 3).
    Column("blocked", Boolean, nullable=False, default=False, server_default=false()),
    Column("cycle", Integer, nullable=False, default=0),
    Column("cycle_sent", Text, nullable=False, default=""),  # tip ids sent in this cycle
    # The local date of the last tip planned: at most one a day, without reading old deliveries
    # (which are pruned). Added by migration 3.
    Column("last_planned", Date, nullable=True),
    Column("seed", Integer, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    # The forum topic (`message_thread_id`) a group subscribed from: its tips go there; NULL for
    # private chats, channels and groups without topics (migration 4).
    Column("thread_id", BigInteger, nullable=True),
    # Send the daily tip without a notification sound (/settings; migration 4).
    Column("quiet", Boolean, nullable=False, default=False, server_default=false()),
    # The weekly quiz poll (/settings, opt-in, private chats only), and the ISO week
    # ("2026-W49", the chat's local week) of the last one planned: one a week (migration 8).
    Column("quiz_weekly", Boolean, nullable=False, default=False, server_default=false()),
    Column("quiz_week", String(8), nullable=True),
    Index("ix_subscribers_next_due_at", "next_due_at"),
)

#: Where a chat first came from: the deep-link code of its first `/start <code>`, kept once and
#: never overwritten, so `/stats` can count subscribers per clinic (migration 4). Its own table
#: because the first contact comes before any subscription.
chat_sources = Table(
    "chat_sources",
    metadata,
    Column("chat_id", BigInteger, primary_key=True, autoincrement=False),
    Column("code", String(64), nullable=False),
    Column("first_seen_at", DateTime, nullable=False),
    Index("ix_chat_sources_code", "code"),
)

#: One quiz poll sent to a private chat (by /quiz or the weekly quiz): Telegram reports an answer
#: by poll id alone, so the poll id leads to the chat and the question; the answer is kept only as
#: right or wrong, for the user's own streak in /status. Deleted by /forget (migration 8).
quiz_polls = Table(
    "quiz_polls",
    metadata,
    Column("poll_id", String(64), primary_key=True),
    Column("chat_id", BigInteger, nullable=False),
    Column("question_id", String(64), nullable=False),
    Column("correct_option", SmallInteger, nullable=False),
    Column("sent_at", DateTime, nullable=False),
    Column("answered_at", DateTime, nullable=True),
    Column("correct", Boolean, nullable=True),
    Index("ix_quiz_polls_chat", "chat_id", "sent_at"),
)

#: A chat's 👍 (+1) or 👎 (-1) on one tip; changeable, one per (chat, tip), no text (migration 4).
tip_votes = Table(
    "tip_votes",
    metadata,
    Column("chat_id", BigInteger, primary_key=True, autoincrement=False),
    Column("tip_id", String(64), primary_key=True),
    Column("vote", SmallInteger, nullable=False),
    Column("voted_at", DateTime, nullable=False),
)

broadcasts = Table(
    "broadcasts",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("text", Text, nullable=False),
    Column("created_by", BigInteger, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("recipients", Integer, nullable=False, default=0),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("chat_id", BigInteger, nullable=False),
    Column("local_date", Date, nullable=True),  # set for daily tips
    Column("broadcast_id", BigInteger, nullable=True),  # set for announcements
    Column("tip_id", String(64), nullable=True),
    # What the row is (DeliveryKind; migration 7). Rows from before are tips or broadcasts.
    Column("kind", String(16), nullable=False, default="tip", server_default="tip"),
    # For kinds other than tips and broadcasts: the key that makes the row unique within its
    # chat and kind (e.g. the scheduled moment of a dose, a quiz's ISO week), and a short
    # kind-specific value the composer needs (e.g. a medicine id, a question id).
    Column("ref", String(64), nullable=True),
    Column("payload", String(255), nullable=True),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("due_at", DateTime, nullable=False),
    Column("expire_at", DateTime, nullable=False),
    Column("claimed_by", String(64), nullable=True),
    # While `sending`: the owner may send until then; afterwards any process may take it over.
    Column("lease_until", DateTime, nullable=True),  # added by migration 3
    Column("sent_at", DateTime, nullable=True),
    Column("message_id", BigInteger, nullable=True),
    Column("error", String(200), nullable=True),
    # When the row reached a FINAL status: /stats counts and pruning read it by index (rev. 3).
    Column("finished_at", DateTime, nullable=True),
    # The exactly-once guarantees: one tip per subscriber and local date, one copy of a broadcast.
    UniqueConstraint("chat_id", "local_date", name="uq_deliveries_chat_date"),
    UniqueConstraint("chat_id", "broadcast_id", name="uq_deliveries_chat_broadcast"),
    # ...and one row per (chat, kind, ref) for the other kinds: a dose is planned exactly once.
    UniqueConstraint("chat_id", "kind", "ref", name="uq_deliveries_chat_kind_ref"),
    Index("ix_deliveries_status_due", "status", "due_at"),
    # /stats and pruning: one range of finished rows per final status (migration 3).
    Index("ix_deliveries_status_finished", "status", "finished_at"),
)

#: Expiry looks at claimable rows by `expire_at` (added by migration 2).
ix_status_expire = Index("ix_deliveries_status_expire", deliveries.c.status, deliveries.c.expire_at)

#: Claims take daily tips (rows with a local date) before broadcast rows, whatever their due
#: times: a partial index keeps that walk short however many broadcast rows are pending
#: (added by migration 3).
ix_tips_due = Index(
    "ix_deliveries_tips_due",
    deliveries.c.status,
    deliveries.c.due_at,
    sqlite_where=deliveries.c.local_date.isnot(None),
)

#: Claims take the other kinds (reminders, quizzes: the rows with a `ref`) before tips; a
#: partial index keeps that walk as short as the few such rows (migration 7).
ix_keyed_due = Index(
    "ix_deliveries_keyed_due",
    deliveries.c.status,
    deliveries.c.due_at,
    sqlite_where=deliveries.c.ref.isnot(None),
)

#: The weekly quiz's planner reads the opted-in chats on every tick: a partial index holds only
#: them, so the read costs what is opted in, not the whole table (a 1.7 s scan at 1 M
#: subscribers on SQLite; migration 10, bench/RESULTS.md "Issue 14").
ix_quiz_weekly = Index(
    "ix_subscribers_quiz_weekly",
    subscribers.c.chat_id,
    sqlite_where=subscribers.c.quiz_weekly.is_(True),
)

#: The partial indexes: SQLite's condition is declared above, PostgreSQL's (the same) by
#: `declare_postgresql_where`.
PARTIAL_INDEXES = (ix_tips_due, ix_keyed_due, ix_quiz_weekly)


def declare_postgresql_where() -> None:
    """Give the partial indexes their PostgreSQL condition, the same as SQLite's.

    Not declared as `postgresql_where=` in `Index(...)`: SQLAlchemy validates a dialect's
    keyword by importing that dialect, and the PostgreSQL one (with asyncpg's, 25-35 ms) then
    loaded in every process, SQLite ones included (bench/RESULTS.md, issue 14). `db.create_engine`
    calls this for a PostgreSQL URL, whose dialect it loads anyway; calling it again changes
    nothing. Alembic does not compare these conditions: tests/storage/test_migrations.py does.
    """
    for index in PARTIAL_INDEXES:
        index.dialect_options["postgresql"]["where"] = index.dialect_options["sqlite"]["where"]


#: Roles a process announces in `processes`; the delivery role splits the bot's send rate.
DELIVERY_ROLE = "delivery"

#: One row per running tipbot process, refreshed by its heartbeat (added by migration 3).
processes = Table(
    "processes",
    metadata,
    Column("owner", String(64), primary_key=True),
    Column("roles", Text, nullable=False),  # comma-separated, e.g. "delivery,web"
    Column("heartbeat_at", DateTime, nullable=False),
)

#: An admin's /broadcast text waiting for its confirm button, which may reach any replica.
broadcast_drafts = Table(
    "broadcast_drafts",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("created_by", BigInteger, nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
)

#: The optional profile (issue 11): one row per chat, one nullable column per answer, holding
#: only what the person gave (an age band, never an age). No row means no profile. Health data:
#: shown by /mydata, deleted by /profile clear and /forget, never logged (added by migration 4).
profiles = Table(
    "profiles",
    metadata,
    Column("chat_id", BigInteger, primary_key=True, autoincrement=False),
    Column("age_band", String(8), nullable=True),  # companion.profile.AgeBand
    Column("sex", String(16), nullable=True),  # SexAnswer: female, male, pregnant, breastfeeding
    Column("region", String(4), nullable=True),  # Region: us, eu, uk
    Column("medicine", String(64), nullable=True),  # a tips/doses.yaml id, or "none"
    Column("kidney", String(8), nullable=True),  # Kidney: yes, no, unsure
    Column("diet", String(16), nullable=True),  # Diet: vegetarian, vegan, no-dairy, none
)

#: The dose companion's plan (issue 11): one row per chat, the schedule as the person gave it
#: (`companion.doses.DoseSchedule`) and the next reminder due. Health data: shown by /dose and
#: /mydata, deleted by /dose off and /forget, never logged (migration 7).
dose_plans = Table(
    "dose_plans",
    metadata,
    Column("chat_id", BigInteger, primary_key=True, autoincrement=False),
    Column("medicine", String(64), nullable=False),  # a tips/doses.yaml id
    Column("repeat", String(16), nullable=False),  # companion.doses.Repeat
    Column("minute", Integer, nullable=False),  # minutes after local midnight
    Column("tz", String(64), nullable=False),
    Column("weekday", SmallInteger, nullable=True),  # Monday = 0
    Column("month_day", SmallInteger, nullable=True),  # 1-28
    Column("last_day", Boolean, nullable=False, default=False, server_default=false()),
    Column("every_days", Integer, nullable=True),
    Column("anchor", Date, nullable=True),  # every-N-days start; the next appointment
    # The next reminder (naive UTC); NULL while paused, so the planner's index only holds plans
    # that can be due.
    Column("next_due_at", DateTime, nullable=True),
    Column("paused", Boolean, nullable=False, default=False, server_default=false()),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Index("ix_dose_plans_next_due_at", "next_due_at"),
)

#: The dose log (issue 11): one row per scheduled dose, what happened to it
#: (`companion.history.DoseState`). Kept by /dose off (the person's own record, for /history and
#: the doctor); deleted by /forget. Health data, never logged (migration 7).
dose_log = Table(
    "dose_log",
    metadata,
    Column("chat_id", BigInteger, primary_key=True, autoincrement=False),
    Column("scheduled_at", DateTime, primary_key=True),  # the dose's moment, naive UTC
    Column("medicine", String(64), nullable=False),
    Column("state", String(16), nullable=False),
    Column("tz", String(64), nullable=False),  # the zone of the plan at the time
    Column("snoozes", SmallInteger, nullable=False, default=0, server_default="0"),
    Column("answered_at", DateTime, nullable=True),  # the last press
)

#: The pre-Alembic migration record (0.1.0); read only to adopt such a database (see db.py).
schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("applied_at", DateTime, nullable=False),
)
