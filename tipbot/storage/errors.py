"""The database errors that mean "not now" rather than "a bug": a restart, a lock, a full pool.

Loops that talk to the database wait these out and retry; anything else is a crash, which the
delivery supervisor logs and restarts from (delivery/sweep.py).
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

DB_ERRORS: tuple[type[BaseException], ...] = (OperationalError, DBAPIError, PoolTimeout, OSError)
