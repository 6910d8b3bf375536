"""PrestaShop list parameters: ``filter``, ``display``, ``sort``, ``limit``, ``date``.

Mirrors ``WebserviceRequest::manageFilters()`` and ``getSQLRetrieveFilter()`` (PrestaShop 8.x), in the
same order and with the same error codes:

1. ``schema`` other than blank/synopsis → 400 code 28;
2. each ``filter[field]`` in turn: unknown field → 400 code 32 with the did-you-mean list (``date_add``/
   ``date_upd`` are only known with ``date=1``); nested ``filter[a][b]`` → 31; empty value → 33;
   getter field (``notFilterable``) → 34;
3. ``display``: ``full`` / ``minimum`` / ``[f1,f2,assoc[g1,g2]]``; unknown field → 35; other syntax → 36;
4. ``sort``: ``f_ASC`` or ``[f_ASC,g_DESC]`` split at the last underscore; bad direction → 37; field not
   filterable (so dates need ``date=1`` here too) → 38;
5. ``limit``: ``N`` or ``offset,count`` (PHP ``(int)`` casts); three numbers or more → 39.

Filter values (regex ``^(.*)\\[(.*)\\](.*)$``): ``[a|b]`` OR of equals, ``[x,y]`` BETWEEN (both sides
``[\\d.:\\- ]+``, bounds sorted), ``[v]`` equals, ``%``-prefixed/suffixed brackets → LIKE, ``>[v]``/``<[v]``
strict, ``![a|b]`` not-equal to each; a bare value is LIKE when it is a canonical number, else equals.
Comparisons follow MySQL: numbers compare numerically, strings case-insensitively, a date-only bound
means midnight (issue #10822).
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

from passerelle_sandbox.ps_schema import F, Resource

__all__ = [
    "ListQuery", "WsError", "apply_query", "did_you_mean", "parse_languages", "parse_list_query", "php_int",
    "php_params",
]

NUMERIC = frozenset({"int", "bool", "money", "dec2", "dec3", "dec6"})
_SCALE = {"money": "0.000001", "dec6": "0.000001", "dec3": "0.001", "dec2": "0.01"}


class WsError(Exception):
    """A webservice error: HTTP status plus ``[(code, message), …]``."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.errors = [(code, message)]


def php_params(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """``$_GET`` semantics: ``a[b][c]=v`` nests, the last duplicate wins."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        match = re.match(r"^([^\[\]]+)((?:\[[^\]]*\])+)$", key)
        if not match:
            out[key] = value
            continue
        subs = re.findall(r"\[([^\]]*)\]", match.group(2))
        node = out.get(match.group(1))
        if not isinstance(node, dict):
            node = out[match.group(1)] = {}
        for sub in subs[:-1]:
            child = node.get(sub)
            if not isinstance(child, dict):
                child = node[sub] = {}
            node = child
        node[subs[-1] if subs[-1] != "" else str(len(node))] = value
    return out


def php_int(text: str) -> int:
    match = re.match(r"^\s*([+-]?\d+)", text)
    return int(match.group(1)) if match else 0


def mysql_number(text: str) -> Decimal:
    match = re.match(r"^\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)", text)
    try:
        return Decimal(match.group(1)) if match else Decimal(0)
    except InvalidOperation:
        return Decimal(0)


def _is_php_float(text: str) -> bool:
    return re.fullmatch(r"-?(?:0|[1-9]\d*)(?:\.\d*[1-9])?", text) is not None


def column_text(f: F, value: Any) -> str:
    """The value as MySQL would print it (used by LIKE)."""
    if value is None:
        return ""
    if f.kind in _SCALE:
        return format(Decimal(value).quantize(Decimal(_SCALE[f.kind])), "f")
    return str(value)


def _values(f: F, record: dict[str, Any]) -> list[Any]:
    value = record.get(f.name)
    if f.kind == "i18n":
        return list((value or {}).values())
    return [value]


def _norm_date(text: str) -> str:
    text = text.strip()
    return f"{text} 00:00:00" if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else text


def _compare(f: F, value: Any, operand: str) -> int | None:
    """-1/0/1 comparing a column value with a filter operand; None for NULL."""
    if value is None:
        return None
    if f.kind in NUMERIC:
        left, right = Decimal(value), mysql_number(operand)
    elif f.kind == "date":
        left, right = str(value), _norm_date(operand)
    else:
        left, right = str(value).rstrip(" ").casefold(), operand.rstrip(" ").casefold()
    return (left > right) - (left < right)


def _like(pattern: str) -> re.Pattern[str]:
    out = []
    for char in pattern:
        out.append(".*" if char == "%" else "." if char == "_" else re.escape(char))
    return re.compile("".join(out), re.IGNORECASE | re.DOTALL)


Predicate = Callable[[dict[str, Any]], bool]


_INT_TEXT = re.compile(r"\s*-?\d+\s*")


def _predicate(f: F, raw: str) -> Predicate | None:
    """Build the test for one ``filter[field]=raw`` (None: PrestaShop adds no condition)."""
    match = re.match(r"^(.*)\[(.*)\](.*)$", raw, re.DOTALL)

    def any_value(test: Callable[[Any], bool]) -> Predicate:
        return lambda record: any(test(v) for v in _values(f, record))

    def cmp(operand: str, accept: Callable[[int], bool]) -> Callable[[Any], bool]:
        def test(value: Any) -> bool:
            result = _compare(f, value, operand)
            return result is not None and accept(result)
        return test

    if not match:
        if _is_php_float(raw):
            regex = _like(raw)
            return any_value(lambda v: v is not None and regex.fullmatch(column_text(f, v)) is not None)
        return any_value(cmp(raw, lambda r: r == 0))
    before, inner, after = match.groups()
    if before == "%" or after == "%":
        regex = _like(before + inner + after)
        return any_value(lambda v: v is not None and regex.fullmatch(column_text(f, v)) is not None)
    if before == "" and after == "":
        if inner.find("|") > 0:
            parts = inner.split("|")
            tests = [cmp(part, lambda r: r == 0) for part in parts]
            if all(_INT_TEXT.fullmatch(p) for p in parts):
                # ids by the hundred (`filter[id_order]=[1|2|…]`): a set look-up for integer values,
                # the exact MySQL-like comparison for anything else
                wanted = {int(p) for p in parts}

                def member(v: Any) -> bool:
                    if type(v) is int:
                        return v in wanted
                    if isinstance(v, str) and _INT_TEXT.fullmatch(v):
                        return int(v) in wanted
                    return any(t(v) for t in tests)

                return any_value(member)
            return any_value(lambda v: any(t(v) for t in tests))
        between = re.fullmatch(r"([\d.:\-\s]+),([\d.:\-\s]+)", inner)
        if between:
            low, high = between.groups()
            if re.fullmatch(r"\s*[+-]?\d+(\.\d+)?\s*", low) and re.fullmatch(r"\s*[+-]?\d+(\.\d+)?\s*", high):
                low, high = sorted((low, high), key=lambda s: Decimal(s.strip()))
            else:
                low, high = sorted((low, high))
            lo_test, hi_test = cmp(low, lambda r: r >= 0), cmp(high, lambda r: r <= 0)
            return any_value(lambda v: lo_test(v) and hi_test(v))
        return any_value(cmp(inner, lambda r: r == 0))
    if before == ">":
        return any_value(cmp(inner, lambda r: r > 0))
    if before == "<":
        return any_value(cmp(inner, lambda r: r < 0))
    if before == "!":
        tests = [cmp(part, lambda r: r != 0) for part in inner.split("|")]
        return any_value(lambda v: all(t(v) for t in tests))
    return None


def did_you_mean(message: str, wrong: str, available: list[str]) -> str:
    def distance(a: str, b: str) -> int:
        row = list(range(len(b) + 1))
        for i, ca in enumerate(a, 1):
            prev, row[0] = row[0], i
            for j, cb in enumerate(b, 1):
                prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
        return row[-1]

    closest = min(available, key=lambda w: distance(wrong, w)) if available else ""
    text = f'{message}. Did you mean: "{closest}"?'
    if len(available) > 1:
        text += ' The full list is: "' + '", "'.join(available) + '"'
    return text


class ListQuery:
    """A parsed list request: predicates, display, sort keys, offset/count."""

    def __init__(self) -> None:
        self.predicates: list[Predicate] = []
        self.display: str | dict[str, list[str] | None] = "minimum"
        self.display_given = False
        self.sort: list[tuple[F, bool]] = []
        self.offset = 0
        self.count: int | None = None
        self.schema: str | None = None


def _split_top(text: str) -> list[str]:
    parts, level, current = [], 0, ""
    for char in text:
        if char == "," and level == 0:
            parts.append(current)
            current = ""
            continue
        current += char
        level += (char == "[") - (char == "]")
    if current != "":
        parts.append(current)
    return parts


def _parse_display(res: Resource, value: str) -> str | dict[str, list[str] | None]:
    if value in ("full", "minimum"):
        return value
    available = ", ".join(res.field_map)
    match = re.fullmatch(r"\[(.*)\]", value, re.DOTALL)
    if not match:
        raise WsError(400, 36, "The 'display' syntax is wrong. You can set 'full' or "
                               f"'[field_1,field_2,field_3,...]'. These are available: {available}")
    chosen: dict[str, list[str] | None] = {}
    for part in _split_top(match.group(1)):
        name = part.split("[", 1)[0].strip()
        subs = None
        if "[" in part:
            subs = part[part.index("[") + 1:-1].split(",")
            assoc = res.assoc(name)
            ok = assoc is not None and all(s == "id" or s in {f.name for f in assoc.fields} for s in subs)
        else:
            ok = name in res.field_map
        if not ok:
            details = f" (details : {subs!r})" if subs is not None else ""
            raise WsError(400, 35, f'Unable to display this field "{name}{details}". However, these are '
                                   f"available: {available}")
        previous = chosen.get(name)
        chosen[name] = (previous or []) + subs if subs is not None else previous
    return chosen


def parse_list_query(res: Resource, params: dict[str, Any]) -> ListQuery:
    query = ListQuery()
    date_enabled = bool(params.get("date")) and params.get("date") != "0"
    filterable = [f.name for f in res.fields if f.kind != "i18n"]
    if not date_enabled:
        filterable = [n for n in filterable if n not in ("date_add", "date_upd")]
    i18n = [f.name for f in res.fields if f.kind == "i18n"]
    if "schema" in params:
        if params["schema"] not in ("blank", "synopsis"):
            raise WsError(400, 28, "Please select a schema of type 'synopsis' to get the whole schema "
                                   "informations (which fields are required, which kind of content...) or "
                                   "'blank' to get an empty schema to fill before using POST request")
        query.schema = params["schema"]
        return query
    filters = params.get("filter")
    if isinstance(filters, dict):
        for name, raw in filters.items():
            if name in ("sort", "limit"):
                continue
            if name not in filterable:
                if isinstance(raw, str) and raw != "" and name in i18n:
                    predicate = _predicate(res.field_map[name], raw)
                elif isinstance(raw, dict):
                    raise WsError(400, 31, "There is no existing linked table for this resource")
                else:
                    raise WsError(400, 32, did_you_mean("This filter does not exist", name, filterable))
            elif not isinstance(raw, str):
                raise WsError(400, 31, "There is no existing linked table for this resource")
            elif raw == "":
                raise WsError(400, 33, f'The filter "{name}" is malformed.')
            elif res.field_map[name].getter:
                raise WsError(400, 34, f'The field "{name}" is dynamic. It is not possible to filter GET query '
                                       "with this field.")
            else:
                predicate = _predicate(res.field_map[name], raw)
            if predicate is not None:
                query.predicates.append(predicate)
    if isinstance(params.get("display"), str):
        query.display = _parse_display(res, params["display"])
        query.display_given = True
    if isinstance(params.get("sort"), str):
        raw = params["sort"]
        match = re.fullmatch(r"\[(.*)\]", raw, re.DOTALL)
        for item in (match.group(1).split(",") if match else [raw]):
            name, sep, direction = item.rpartition("_")
            if not sep or direction.upper() not in ("ASC", "DESC"):
                raise WsError(400, 37, 'The "sort" value has to be formed as this example: "field_ASC" or '
                                       "'[field_1_DESC,field_2_ASC,field_3_ASC,...]' (\"field\" has to be an "
                                       "available field)")
            if name not in filterable and name not in i18n:
                raise WsError(400, 38, "Unable to filter by this field. However, these are available: "
                                       + ", ".join(filterable) + ", for i18n fields:" + ", ".join(i18n))
            query.sort.append((res.field_map[name], direction.upper() == "DESC"))
    if isinstance(params.get("limit"), str):
        numbers = params["limit"].split(",")
        if len(numbers) > 2:
            raise WsError(400, 39, 'The "limit" value has to be formed as this example: "5,25" or "10"')
        if len(numbers) == 2:
            query.offset, query.count = php_int(numbers[0]), php_int(numbers[1])
        else:
            query.count = php_int(numbers[0])
        if query.offset < 0 or query.count < 0:
            raise WsError(400, 39, 'The "limit" value has to be formed as this example: "5,25" or "10"')
    return query


def _sort_key(f: F, record: dict[str, Any]) -> tuple[int, Any]:
    value = record.get(f.name)
    if f.kind == "i18n":
        value = (value or {}).get(min(value)) if value else None
    if value is None:
        return (0, "")
    if f.kind in NUMERIC:
        return (1, Decimal(value))
    return (1, str(value).casefold())


def apply_query(records: list[dict[str, Any]], query: ListQuery) -> list[dict[str, Any]]:
    """Filter, sort (default: id ascending) and page ``records``."""
    rows = [r for r in records if all(p(r) for p in query.predicates)]
    rows.sort(key=lambda r: r["id"])
    for f, descending in reversed(query.sort):
        rows.sort(key=lambda r, f=f: _sort_key(f, r), reverse=descending)
    if query.count is not None:
        rows = rows[query.offset:query.offset + query.count]
    return rows


def parse_languages(raw: Any, known: list[int]) -> list[int]:
    """``language=1`` / ``[1|2]`` / ``[1,3]`` (``WebserviceRequest::filterLanguage``; codes 78–81)."""
    if not isinstance(raw, str):
        return known
    if raw.isdigit():
        wanted = [int(raw)]
    elif raw.startswith("[") and raw.endswith("]") and (("|" in raw) != ("," in raw)):
        inner = raw[1:-1]
        if "|" in inner:
            parts = inner.split("|")
        else:
            bounds = inner.split(",")
            if len(bounds) != 2:
                raise WsError(400, 78, "A range value for a language must contains only 2 values")
            parts = [str(i) for i in range(php_int(bounds[0]), php_int(bounds[1]) + 1)]
        if not all(p.strip().isdigit() for p in parts):
            raise WsError(400, 80, "Language ID must be numeric")
        wanted = [int(p) for p in parts]
    elif raw.startswith("[") and raw.endswith("]") and raw[1:-1].isdigit():
        wanted = [int(raw[1:-1])]
    else:
        raise WsError(400, 79, "language value is wrong")
    chosen = [lang for lang in wanted if lang in known]
    if not chosen:
        raise WsError(400, 81, "language is not available")
    return chosen
