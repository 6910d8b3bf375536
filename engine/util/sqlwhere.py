"""``AND column = ?`` for each filter given (a value of None or "" filters nothing): the listings of
the state stores (ledger entries, cross-references), in SQLite's ``?`` or psycopg's ``%s``."""
from __future__ import annotations

from typing import Any


def filtered(sql: str, args: list, filters: dict[str, Any], mark: str = "?") -> tuple[str, list]:
    for column, value in filters.items():
        if value:
            sql += f" AND {column} = {mark}"
            args.append(value)
    return sql, args


__all__ = ["filtered"]
