"""WordPress REST argument validation, WooCommerce list filters, paging headers, ``_fields``.

* Arguments are validated the way WP core does (WP core REST argument validation): every invalid argument is
  collected, then one 400 ``rest_invalid_param`` "Invalid parameter(s): a, b" with
  ``data.params = {name: reason}`` is answered (``per_page must be between 1 (inclusive) and 100
  (inclusive)``, ``page must be greater than or equal to 1``, ``x is not of type integer.``,
  ``x is not one of a, b.``, ``Invalid date.``). Array arguments accept ``a,b`` and ``name[]=a&name[]=b``.
* Dates: ``YYYY-MM-DDTHH:MM:SS`` with optional fraction and ``Z``/``±hh:mm``; ``after``/``before`` and
  ``modified_after``/``modified_before`` are strict and compare with the ``*_gmt`` fields when
  ``dates_are_gmt`` is true, else with the site-local ones (an explicit offset is converted).
* Lists carry ``X-WP-Total``, ``X-WP-TotalPages`` and an RFC 5988 ``Link`` header whose URLs repeat every
  query parameter of the request (``oauth_*`` included, as ``add_query_arg`` does) with ``page`` replaced.
  ``offset`` wins over ``page``; a page past the end is an empty array.
* ``_fields=id,line_items.sku`` keeps the listed (possibly nested) fields; ``_links`` only when asked.
"""
from __future__ import annotations

import math
import re
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

__all__ = ["Args", "WcError", "apply_fields", "page_of", "parse_date", "wp_params"]

_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|z|[+-]\d{2}(?::?\d{2})?)?$")


class WcError(Exception):
    """``{"code", "message", "data": {"status", …}}``, the WP REST error shape."""

    def __init__(self, status: int, code: str, message: str, **data: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.data = status, code, message, data

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "data": {"status": self.status, **self.data}}


def wp_params(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """PHP-like query parsing: ``a[]=1&a[]=2`` → list, ``a=1`` → str (last one wins)."""
    out: dict[str, Any] = {}
    for name, value in pairs:
        if name.endswith("[]"):
            current = out.get(name[:-2])
            out[name[:-2]] = (current if isinstance(current, list) else []) + [value]
        else:
            out[name] = value
    return out


def parse_date(text: str) -> tuple[datetime, bool] | None:
    """(naive datetime, had an explicit offset) — offsets are applied, result in UTC when given."""
    match = _DATE.match(text.strip())
    if not match:
        return None
    try:
        moment = datetime(*(int(match.group(i)) for i in range(1, 7)))
    except ValueError:
        return None
    zone = match.group(8)
    if not zone:
        return moment, False
    if zone in ("Z", "z"):
        return moment, True
    sign = 1 if zone[0] == "+" else -1
    digits = zone[1:].replace(":", "")
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
    return moment - sign * offset, True


class Args:
    """Validated list arguments; :meth:`done` raises the collected ``rest_invalid_param``."""

    def __init__(self, params: dict[str, Any]) -> None:
        self.params = params
        self.invalid: dict[str, str] = {}

    def integer(self, name: str, default: int | None = None, minimum: int | None = None,
                maximum: int | None = None) -> int | None:
        raw = self.params.get(name)
        if raw is None or raw == "":
            return default
        if not isinstance(raw, str) or not re.fullmatch(r"-?\d+", raw.strip()):
            self.invalid[name] = f"{name} is not of type integer."
            return default
        value = int(raw)
        if minimum is not None and maximum is not None and not minimum <= value <= maximum:
            self.invalid[name] = f"{name} must be between {minimum} (inclusive) and {maximum} (inclusive)"
        elif minimum is not None and value < minimum:
            self.invalid[name] = f"{name} must be greater than or equal to {minimum}"
        return value

    def enum(self, name: str, options: tuple[str, ...], default: str) -> str:
        raw = self.params.get(name)
        if raw is None:
            return default
        if not isinstance(raw, str) or raw not in options:
            self.invalid[name] = f"{name} is not one of {', '.join(options)}."
            return default
        return raw

    def array(self, name: str) -> list[str]:
        raw = self.params.get(name)
        if raw is None:
            return []
        items = raw if isinstance(raw, list) else [p for p in re.split(r"[,\s]+", raw) if p != ""]
        return [str(item).strip() for item in items]

    def int_array(self, name: str) -> list[int]:
        out = []
        for index, item in enumerate(self.array(name)):
            if not re.fullmatch(r"\d+", item):
                self.invalid[name] = f"{name}[{index}] is not of type integer."
                return []
            out.append(int(item))
        return out

    def enum_array(self, name: str, options: tuple[str, ...], default: list[str]) -> list[str]:
        items = self.array(name)
        for index, item in enumerate(items):
            if item not in options:
                self.invalid[name] = f"{name}[{index}] is not one of {', '.join(options)}."
                return default
        return items or default

    def boolean(self, name: str, default: bool = False) -> bool:
        raw = self.params.get(name)
        if raw is None:
            return default
        text = str(raw).strip().lower()
        if text in ("true", "1"):
            return True
        if text in ("false", "0", ""):
            return False
        self.invalid[name] = f"{name} is not of type boolean."
        return default

    def date(self, name: str) -> tuple[datetime, bool] | None:
        raw = self.params.get(name)
        if raw is None or raw == "":
            return None
        parsed = parse_date(raw) if isinstance(raw, str) else None
        if parsed is None:
            self.invalid[name] = "Invalid date."
        return parsed

    def done(self) -> None:
        if self.invalid:
            raise WcError(400, "rest_invalid_param", f"Invalid parameter(s): {', '.join(self.invalid)}",
                          params=dict(self.invalid))


def column_text(parsed: tuple[datetime, bool], gmt: bool, tz: ZoneInfo) -> str:
    """The bound as text comparable with the gmt or the local ``YYYY-MM-DDTHH:MM:SS`` fields."""
    moment, has_offset = parsed
    if has_offset and not gmt:
        moment = moment.replace(tzinfo=timezone.utc).astimezone(tz).replace(tzinfo=None)
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def page_of(rows: list[Any], args: Args, url: str, query_pairs: list[tuple[str, str]],
            rels: tuple[str, ...], max_per_page: int = 100) -> tuple[list[Any], list[tuple[str, str]]]:
    """Slice ``rows`` by page/per_page/offset and build the paging headers
    (``X-WP-Total``, ``X-WP-TotalPages``, ``Link``)."""
    page = args.integer("page", 1, minimum=1) or 1
    per_page = args.integer("per_page", 10, minimum=1, maximum=max_per_page) or 10
    offset = args.integer("offset", None)
    args.done()
    start = offset if offset is not None and offset >= 0 else (page - 1) * per_page
    total = len(rows)
    pages = math.ceil(total / per_page) if total else 0
    headers = [("X-WP-Total", str(total)), ("X-WP-TotalPages", str(pages))]
    links = []
    wanted = {"first": 1, "prev": page - 1, "next": page + 1, "last": pages}
    for rel in rels:
        target = wanted.get(rel)
        if rel == "prev" and (page <= 1 or pages == 0):
            continue
        if rel == "next" and page >= pages:
            continue
        if rel in ("first", "last") and pages <= 1:
            continue
        kept = [(k, v) for k, v in query_pairs if k != "page"] + [("page", str(target))]
        links.append(f'<{url}?{urlencode(kept)}>; rel="{rel}"')
    if links:
        headers.append(("Link", ", ".join(links)))
    return rows[start:start + per_page], headers


def _tree(paths: list[str]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for path in paths:
        node = tree
        parts = path.split(".")
        for index, part in enumerate(parts):
            if index == len(parts) - 1:
                node[part] = True
            else:
                child = node.get(part)
                if child is True:
                    break
                node = node.setdefault(part, {})
    return tree


def _trim(value: Any, tree: dict[str, Any]) -> Any:
    if isinstance(value, list):
        return [_trim(item, tree) for item in value]
    if not isinstance(value, dict):
        return value
    return {k: (v if tree[k] is True else _trim(v, tree[k])) for k, v in value.items() if k in tree}


def apply_fields(record: dict[str, Any], fields: str | list | None) -> dict[str, Any]:
    """``_fields``: keep the listed fields; without it drop nothing."""
    if fields is None:
        return record
    paths = [p.strip() for p in (fields if isinstance(fields, list) else str(fields).split(",")) if p.strip()]
    if not paths:
        return record
    return _trim(record, _tree(paths))
