"""The simulated X3 REST (Syracuse ``api1``, SData) query on ``BPCUSTOMER``: ``representation``, ``count``,
key-set paging (``key=gt.<last key>``), ``where`` and ``orderBy`` (:mod:`.x3_where`). Pure logic: answers
``(HTTP status, JSON payload)``.

Facts (X3 online help, integration-guide_ws-query and api-guide_api-get-query): ``representation=<REP>.$query``
is mandatory; 20 results unless ``count=N``; ``key=gt.<value>`` returns the keys greater than ``value`` (used
with ``count`` to page); ``where`` filters; ``orderBy`` sorts; 200 with an empty ``$resources`` when nothing
matches; an unknown property in ``where`` answers 500. The ``$next`` link keeps ``where`` and ``orderBy`` and
pages by key (BPCNUM), so it is exact when the sort is by key, as X3's key-set paging is meant to be used.
"""
from __future__ import annotations

import bisect
from typing import Any
from urllib.parse import urlencode

from passerelle_sandbox.x3_where import QueryError, compile_order, compile_where, sort_rows

__all__ = ["SDataQuery", "diagnoses"]


def diagnoses(message: str, code: str | None = None) -> dict[str, Any]:
    """An SData 2.0 diagnosis body (``$sdataCode`` only when known)."""
    entry = {"$severity": "error", **({"$sdataCode": code} if code else {}), "$message": message}
    return {"$diagnoses": [entry]}


class SDataQuery:
    """``$query`` on one class whose resources are ``rows`` (dicts keyed by ``key``)."""

    def __init__(self, prefix: str, folder: str, klass: str, key: str, rows: dict[str, dict[str, Any]],
                 max_count: int) -> None:
        self.prefix, self.folder, self.klass, self.key = prefix, folder, klass, key
        self.rows, self.max_count = rows, max_count
        self.codes = sorted(rows)
        self.properties = {name for row in rows.values() for name in row}

    def answer(self, params: dict[str, str], host: str) -> tuple[int, dict[str, Any]]:
        representation = params.get("representation", "")
        if representation != f"{self.klass}.$query":
            return 400, diagnoses(f"representation: expected {self.klass}.$query, got {representation!r}")
        count_text = params.get("count", "20")
        if not count_text.isdigit() or int(count_text) == 0:
            return 400, diagnoses(f"count: {count_text!r} is not a positive integer")
        count = min(int(count_text), self.max_count)
        key = params.get("key", "")
        if key and not key.startswith("gt."):
            return 501, diagnoses(f"key: only gt.<value> is simulated, got {key!r} (not simulated)")
        where, order_by = params.get("where", ""), params.get("orderBy", "")
        try:  # both parsed once per request, then applied to every row
            keep = compile_where(where, self.properties) if where.strip() else None
            order = compile_order(order_by, self.properties) if order_by.strip() else []
        except QueryError as error:
            return error.status, diagnoses(error.message, error.code)
        if len(self.codes) != len(self.rows):  # customers saved through SOAP since (x3_customers)
            self.codes = sorted(self.rows)
        start = bisect.bisect_right(self.codes, key[3:]) if key else 0
        candidates = [self.rows[c] for c in self.codes[start:]]
        matching = [row for row in candidates if keep is None or keep(row)]
        page = sort_rows(matching, order)[:count]
        body: dict[str, Any] = {"$itemsPerPage": count, "$resources": [dict(row) for row in page], "$links": {}}
        if page and len(matching) > count:
            query = {"representation": representation, "count": count, "key": f"gt.{page[-1][self.key]}"}
            query.update({k: v for k, v in (("where", where), ("orderBy", order_by)) if v})
            body["$links"]["$next"] = {"$url": f"http://{host}{self.prefix}{self.folder}/{self.klass}?"
                                               f"{urlencode(query)}"}
        return 200, body
