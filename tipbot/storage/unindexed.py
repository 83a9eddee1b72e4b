"""`unindexed(column)`: the column's value, in a form SQLite's query planner uses no index for.

Some statements name their rows by primary key (`id IN (...)`) and repeat conditions on their
`status` as a compare-and-set. Every index on `deliveries` starts with `status`, and without
statistics SQLite prefers an equality on an indexed column to a list of rowids: it walked every
row of that status (all 60,000 pending tips of a burst) to update the 250 it was given, so a
claim cost more the longer the queue. SQLite's own remedy is a unary `+` in front of the column,
which keeps its value and takes the term out of index selection
(https://sqlite.org/optoverview.html, "Disqualifying WHERE clause terms using unary-+"). Other
databases get the plain column: PostgreSQL plans from its statistics.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import ReturnTypeFromArgs


class unindexed(ReturnTypeFromArgs[Any]):  # lower case, like the functions of `func`
    """A column (of any type) that selects no index on SQLite; the plain column elsewhere."""

    inherit_cache = True


@compiles(unindexed)
def _plain(element: unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(unindexed, "sqlite")
def _plus(element: unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return "+" + compiler.process(element.clauses, **kw)
