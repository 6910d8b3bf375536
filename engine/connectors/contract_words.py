"""A broken contract rule in words: ``RefArticle: 'BOUGIE-PARFUMEE-VANILLE-XL' is 26 characters, Sage 100
accepts 19``. One sentence per problem, always starting with the field's path in the payload
(``lignes[2].Quantite``); values are shown shortened, never whole when long."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from engine.util.jsonout import OutputError, dumps
from engine.util.suggest import did_you_mean

TYPE_WORDS = {"string": "text", "number": "a number", "integer": "a whole number", "boolean": "true or false",
              "object": "an object", "array": "a list", "null": "null"}
MAX_SHOWN = 60


def field_path(parts: Iterable[Any]) -> str:
    """``('lignes', 2, 'Quantite')`` → ``lignes[2].Quantite`` (None: any element, ``lignes[]``); the
    payload itself is ``(payload)``."""
    out = ""
    for part in parts:
        if part is None or isinstance(part, int):
            out += "[]" if part is None else f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(payload)"


def shown(value: Any) -> str:
    """A value as the message shows it: text quoted, numbers plain, long things cut."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, Decimal)):
        text = str(value)
    elif isinstance(value, str):
        text = repr(value)
    elif isinstance(value, Mapping):
        return "an object"
    elif isinstance(value, (list, tuple)):
        return f"a list of {len(value)}"
    else:
        text = repr(value)
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN - 1] + "…"


def literal(value: Any) -> str:
    """``shown``, but an object or a list is written out (a ``const``/``enum`` of structures: "an object,
    ERP accepts only an object" would say nothing)."""
    if not isinstance(value, (Mapping, list, tuple)):
        return shown(value)
    try:
        text = dumps(value)
    except (OutputError, TypeError, ValueError, RecursionError):
        return shown(value)
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN - 1] + "…"


def kind_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, Decimal) and not value.is_finite():
        return "not a finite number"
    if isinstance(value, (int, float, Decimal)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "a list"
    return type(value).__name__


def _types(expected: Any) -> str:
    names = expected if isinstance(expected, list) else [expected]
    return " or ".join(TYPE_WORDS.get(str(n), str(n)) for n in names)


def _choices(values: Any) -> str:
    return ", ".join(literal(v) for v in values) if isinstance(values, list) else literal(values)


def describe(error: Any, system: str) -> list[tuple[str, str]]:
    """``(field, sentence)`` for one jsonschema ``ValidationError`` (a ``required`` or
    ``additionalProperties`` error may name several fields); shown as ``field: sentence``."""
    where = list(error.absolute_path)
    path = field_path(where)
    rule, limit, value, schema = error.validator, error.validator_value, error.instance, error.schema
    if rule == "required":
        given = value if isinstance(value, Mapping) else {}
        return [(field_path(where + [name]), "required") for name in limit if name not in given]
    if rule == "additionalProperties":
        known = list((schema.get("properties") or {}) if isinstance(schema, Mapping) else ())
        extra = [name for name in value if name not in known] if isinstance(value, Mapping) else []
        return [(field_path(where + [name]), f"not a field {system} accepts{did_you_mean(name, known)}")
                for name in extra]
    if rule == "type":
        if value is None:
            return [(path, f"no value (null), {system} accepts {_types(limit)}")]
        return [(path, f"{shown(value)} is {kind_of(value)}, {system} accepts {_types(limit)}")]
    if rule == "maxLength":
        return [(path, f"{shown(value)} is {len(value)} characters, {system} accepts {limit}")]
    if rule == "minLength":
        what = "empty" if value == "" else f"{len(value)} characters"
        return [(path, f"{shown(value)} is {what}, {system} needs at least {limit}")]
    if rule == "enum":
        return [(path, f"{literal(value)} is not one of the values {system} accepts: {_choices(limit)}")]
    if rule == "const":
        return [(path, f"{literal(value)}, {system} accepts only {literal(limit)}")]
    if rule == "pattern":
        form = schema.get("description") if isinstance(schema, Mapping) else None
        return [(path, f"{shown(value)} is not in the form {system} accepts ({form or limit})")]
    if rule == "minimum":
        return [(path, f"{shown(value)} is below {limit}, the least {system} accepts")]
    if rule == "maximum":
        return [(path, f"{shown(value)} is above {limit}, the most {system} accepts")]
    if rule == "maxItems":
        return [(path, f"{len(value)} entries, {system} accepts at most {limit}")]
    if rule == "minItems":
        return [(path, f"{len(value)} entries, {system} needs at least {limit}")]
    if rule in ("oneOf", "anyOf"):
        return _one_of(error, value, limit, system, path)
    return [(path, str(error.message))]  # a keyword of the subset with no words of its own


def _one_of(error: Any, value: Any, branches: Any, system: str, path: str) -> list[tuple[str, str]]:
    """A line of several kinds (discriminated by a ``const`` such as ``__type``): the problems of
    the kind the value names; else which kinds there are."""
    kinds: list[tuple[int, str, Any]] = []
    for index, branch in enumerate(branches if isinstance(branches, list) else []):
        for name, sub in ((branch or {}).get("properties") or {}).items():
            if isinstance(sub, Mapping) and "const" in sub:
                kinds.append((index, name, sub["const"]))
    if isinstance(value, Mapping):
        for index, name, const in kinds:
            if value.get(name) == const:
                own = [e for e in error.context or () if e.schema_path and e.schema_path[0] == index]
                # a field another kind accepts is refused for this kind only: say which kind
                lines = [(field, sentence.replace(f"not a field {system} accepts",
                                                  f"not a field {system} accepts when {name} is {shown(const)}")
                          if e.validator == "additionalProperties" else sentence)
                         for e in own for field, sentence in describe(e, system)]
                if lines:
                    return lines
    if kinds:
        name = kinds[0][1]
        given = value.get(name) if isinstance(value, Mapping) else None
        return [(field_path(list(error.absolute_path) + [name]), f"{shown(given)} is not one of the kinds "
                 f"{system} accepts: {_choices([k[2] for k in kinds])}")]
    if error.validator == "oneOf" and not error.context:
        return [(path, f"matches more than one of the forms {system} accepts")]
    return [(path, f"matches none of the forms {system} accepts")]
