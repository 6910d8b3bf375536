"""Nested lists a record carries in pages (GraphQL connections such as an order's ``lineItems``).

A resource declares them under ``nested``, one entry per connection, keyed by where it sits in a
record (a field path: ``lineItems``, ``customer.addresses``):

* ``items``      the list of the connection that later pages extend (default ``edges``);
* ``page_info``  its Relay page info ``{hasNextPage, endCursor}`` (default ``pageInfo``);
* ``follow``     how to read the next page of that connection for one record: a GraphQL query
  declaring ``$id`` (the record's ``id`` field, default the resource's ``key``) and ``$after`` (the
  cursor), optionally ``$first`` (``page_size``), and where its answer holds the connection
  (``connection``, JMESPath). ``follow: null`` (or no ``follow``): the connector cannot read further.

``read`` completes every record of a page before yielding the page. A record whose connection
reports more entries than the connector can read becomes an
:class:`~engine.connectors.base.IncompleteRecord`, which the record pipeline sets aside with the
reason. A GraphQL record that carries any other ``pageInfo`` with ``hasNextPage`` (a connection the
definition does not declare) is set aside the same way: a record is never passed on truncated.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from engine.connectors.base import IncompleteRecord
from engine.connectors.context import ConnectorCompiler
from engine.connectors.errors import AuthError, EndpointError
from engine.lang.expr import CompiledExpr
from engine.util.records import frozen

FollowFetch = Callable[[str, dict], Any]  # (query, variables) -> the parsed answer
MAX_FOLLOW_PAGES = 10_000  # a server that keeps saying "more" with new cursors is not followed forever
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DECLARED = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)\s*:")  # `$id: ID!` in the operation's variables
_MORE = re.compile(rb'"hasNextPage"[ \t\n\r]*:[ \t\n\r]*true')  # JSON whitespace only
_ESCAPED_LETTER = re.compile(rb"\\u00[4-7][0-9A-Fa-f]")  # a key may spell a letter as \u0050


@frozen
class FollowPlan:
    """How the rest of a nested connection is fetched, page after page."""

    query: str
    connection: CompiledExpr
    connection_text: str
    ident: CompiledExpr
    page_size: int
    sends_first: bool


@frozen
class NestedPlan:
    """A nested list of a record (an order's lines) read to its end."""

    name: str  # the field path as written, named in every reason
    parts: tuple[str, ...]
    items: str
    page_info: str
    follow: FollowPlan | None


# -- compile (validate) -----------------------------------------------------------------------------

def _mentions(text: str, word: str) -> bool:
    return re.search(rf"(?<![A-Za-z0-9_$]){re.escape(word)}(?![A-Za-z0-9_])", text) is not None


def _follow(spec: Mapping, ctx: ConnectorCompiler, path: tuple, key: Any, page_info: str) -> FollowPlan | None:
    query = spec.get("graphql")
    if not isinstance(query, str) or not query.strip():
        ctx.error("missing-key", "a follow-up needs its `graphql` query", path)
        return None
    declared = set(_DECLARED.findall(query))
    ok = True
    for name, gets in (("id", "the record's id"), ("after", "the cursor of the page read last")):
        if name not in declared:
            ctx.error("bad-nested", f"the follow-up query does not declare ${name} (it receives {gets})",
                      path + ("graphql",), f"e.g. query Next($id: ID!, $first: Int!, $after: String) {{ ... }}")
            ok = False
    if not _mentions(query, page_info):
        ctx.error("bad-nested", f"the follow-up query never asks for `{page_info}`: without it the connector "
                  "cannot tell whether more entries follow", path + ("graphql",),
                  f"select `{page_info} {{ hasNextPage endCursor }}` on the connection")
        ok = False
    connection_text = spec.get("connection")
    if connection_text is None:
        ctx.error("missing-key", "a follow-up needs `connection`: where its answer holds the connection "
                  "(e.g. data.order.lineItems)", path)
    connection = ctx.expression(connection_text, path + ("connection",), "connection")
    ident_text = spec.get("id", key)
    if ident_text is None:
        ctx.error("missing-key", "a follow-up needs `id` (the record's field sent as $id): the resource has no "
                  "`key`", path)
    ident = ctx.expression(ident_text, path + ("id",), "id")
    if not ok or connection is None or ident is None:
        return None
    return FollowPlan(query, connection, str(connection_text), ident, int(spec.get("page_size", 100)),
                      "first" in declared)


def compile_nested(spec: Mapping | None, ctx: ConnectorCompiler, path: tuple, key: Any,
                   query: str | None) -> tuple[NestedPlan, ...]:
    """The ``nested`` entries of one resource; ``query`` is the resource's own GraphQL text, if any."""
    plans = []
    for name, decl in (spec or {}).items():
        here = path + (name,)
        decl = decl if isinstance(decl, Mapping) else {}
        parts = tuple(str(name).split("."))
        if not all(_NAME.fullmatch(part) for part in parts):
            ctx.error("bad-nested", f"`{name}` is not a field path (field names joined by dots)", here,
                      "e.g. lineItems, or customer.addresses")
            continue
        items, page_info = decl.get("items", "edges"), decl.get("page_info", "pageInfo")
        bad = False
        for what, value in (("items", items), ("page_info", page_info)):
            if not _NAME.fullmatch(str(value)):
                ctx.error("bad-nested", f"`{what}` names one field of the connection, not {value!r}", here + (what,))
                bad = True
        if query is not None and not _mentions(query, parts[-1]):
            ctx.error("bad-nested", f"the resource's query never reads `{parts[-1]}`", here,
                      "the key of a `nested` entry is where the connection sits in a record")
            bad = True
        follow = decl.get("follow")
        follow_plan = _follow(follow, ctx, here + ("follow",), key, str(page_info)) \
            if isinstance(follow, Mapping) else None
        if not bad:
            plans.append(NestedPlan(str(name), parts, str(items), str(page_info), follow_plan))
    return tuple(plans)


# -- read (complete each record) --------------------------------------------------------------------

def complete_page(page: list, plans: tuple[NestedPlan, ...], fetch: FollowFetch, scan: bool,
                  answer: tuple[bytes, Any] | None = None) -> list:
    """The page with every record completed, or replaced by an IncompleteRecord saying why not.
    ``answer``: the page's JSON answer (its bytes, and what they parsed to, records included as the
    same objects): when every ``"hasNextPage": true`` it holds is accounted for, only the records
    completed by follow-up queries (whose answers it does not hold) are scanned for undeclared ones."""
    todo = _accounted(page, plans, *answer) if scan and answer is not None else None
    if todo is not None:  # a record not in it is whole as it is (what complete would find)
        return [complete(record, plans, fetch, todo[id(record)]) if id(record) in todo else record
                for record in page]
    return [complete(record, plans, fetch, scan) for record in page]


def complete(record: Any, plans: tuple[NestedPlan, ...], fetch: FollowFetch, scan: bool) -> Any:
    if not isinstance(record, dict):
        return record
    for plan in plans:
        reason = _complete(record, plan, fetch)
        if reason is not None:
            return IncompleteRecord(record, reason, plan.name)
    found = _truncated(record, "") if scan and _more_below(record) else None
    if found is not None:
        return IncompleteRecord(record, f"{found} has more entries than the record carries and the connector "
                                "does not declare it under `nested` (it cannot read the rest)", found)
    return record


def _at(record: dict, parts: tuple[str, ...]) -> Any:
    value: Any = record
    for part in parts:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _complete(record: dict, plan: NestedPlan, fetch: FollowFetch) -> str | None:
    """None when the connection is whole (now); otherwise why it cannot be."""
    conn = _at(record, plan.parts)
    if conn is None:  # not read, or null: nothing of it is passed on
        return None
    name = plan.name
    if not isinstance(conn, dict):
        return f"{name} is not a connection (a mapping holding `{plan.items}` and `{plan.page_info}`)"
    info = conn.get(plan.page_info)
    if not isinstance(info, dict):
        return f"{name} carries no `{plan.page_info}`: the connector cannot tell whether entries are missing"
    if not info.get("hasNextPage"):
        return None
    first_items = conn.get(plan.items)
    items = list(first_items) if isinstance(first_items, list) else []
    follow = plan.follow
    if follow is None:
        return f"{name} has more than {len(items)} entries and the connector cannot read the rest " \
               "(no follow-up query declared)"
    ident = follow.ident.search(record)
    if ident is None:
        return f"{name} has more than {len(items)} entries and the record has no id for the follow-up query"
    first_info, cursor = info, info.get("endCursor")
    for _ in range(MAX_FOLLOW_PAGES):
        if not info.get("hasNextPage"):
            conn[plan.items] = items
            conn[plan.page_info] = {**first_info, "hasNextPage": False, "endCursor": cursor}
            return None
        if not cursor:
            return f"{name} reports more entries after {len(items)} but gives no endCursor"
        variables = {"id": ident, "after": cursor, **({"first": follow.page_size} if follow.sends_first else {})}
        try:
            answer = fetch(follow.query, variables)
        except AuthError:
            raise
        except EndpointError as exc:
            if exc.transient:  # worth another try: the read fails, the next run reads the record again
                raise
            return f"{name} has more than {len(items)} entries and the follow-up query failed: {exc.message}"
        page = follow.connection.search(answer)
        info = page.get(plan.page_info) if isinstance(page, dict) else None
        if not isinstance(info, dict):
            what = "no connection" if not isinstance(page, dict) else f"a connection without `{plan.page_info}`"
            return f"{name} has more than {len(items)} entries and the follow-up query answered {what} " \
                   f"at {follow.connection_text}"
        more = page.get(plan.items) or []
        if not isinstance(more, list):
            return f"{name}: the follow-up query answered `{plan.items}` that is not a list"
        items.extend(more)
        if info.get("hasNextPage") and info.get("endCursor") == cursor:
            return f"{name}: the follow-up query answered the same cursor again after {len(items)} entries"
        cursor = info.get("endCursor") or cursor
    return f"{name} has more than {len(items)} entries (more than {MAX_FOLLOW_PAGES} follow-up pages)"


def _truncated(value: Any, path: str) -> str | None:
    """The field path of a connection inside ``value`` that reports more pages (Relay ``pageInfo``)."""
    if isinstance(value, dict):
        info = value.get("pageInfo")
        if path and isinstance(info, dict) and info.get("hasNextPage") is True:
            return path
        for key, sub in value.items():
            if isinstance(sub, (dict, list)):
                found = _truncated(sub, f"{path}.{key}" if path else str(key))
                if found is not None:
                    return found
    elif isinstance(value, list):
        for sub in value:
            if isinstance(sub, (dict, list)):
                found = _truncated(sub, path + "[]")
                if found is not None:
                    return found
    return None


def _more_below(record: Any) -> bool:
    """Whether a connection below the top of ``record`` reports more pages: ``_truncated`` without
    building a path for every nested value (most records have none; the path is found afterwards)."""
    if isinstance(record, dict):
        stack = list(record.values())
    elif isinstance(record, list):
        stack = list(record)
    else:
        return False
    pop, extend = stack.pop, stack.extend
    while stack:
        value = pop()
        if isinstance(value, dict):
            info = value.get("pageInfo")
            if isinstance(info, dict) and info.get("hasNextPage") is True:
                return True
            extend(value.values())
        elif isinstance(value, list):
            extend(value)
    return False


def _accounted(page: list, plans: tuple[NestedPlan, ...], raw: Any, parsed: Any) -> dict[int, bool] | None:
    """The records ``complete`` must see (by id), each with whether to walk it for undeclared
    connections reporting more entries, when the others are proved whole without walking them; None
    when nothing is proved (walk every record). A record goes to ``complete`` when a declared connection
    reports more entries (walked after: the follow-up answers are not in ``raw``) or is malformed.

    Every dict of a JSON answer whose ``hasNextPage`` is ``true`` has its own ``"hasNextPage": true`` in
    the bytes (unless an escape spells a letter of the key), so when the bytes hold no more of them than
    the known such dicts — the declared connections' page infos and those outside the records (the
    page's own) — there is no other. The records must be objects of the answer (found walking it)."""
    if not isinstance(raw, bytes) or _ESCAPED_LETTER.search(raw):
        return None
    todo: dict[int, bool] = {}
    known: set[int] = set()
    records: set[int] = set()
    for record in page:
        if not isinstance(record, dict):
            continue
        records.add(id(record))
        for plan in plans:
            conn: Any = record
            for part in plan.parts:
                conn = conn.get(part) if isinstance(conn, dict) else None
            if conn is None:
                continue
            info = conn.get(plan.page_info) if isinstance(conn, dict) else None
            if not isinstance(info, dict):
                todo.setdefault(id(record), False)  # complete says why it is not a connection
                continue
            more = info.get("hasNextPage")
            if more:
                todo[id(record)] = True
                if more is True:
                    known.add(id(info))
    tokens = len(_MORE.findall(raw))
    if not tokens:
        return todo
    found, stack = 0, [parsed]
    while stack:  # the answer outside the records: its own page info, a few envelopes
        value = stack.pop()
        if isinstance(value, dict):
            if id(value) in records:
                found += 1
                continue
            if value.get("hasNextPage") is True:
                known.add(id(value))
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return todo if found == len(records) and tokens <= len(known) else None
