"""Target contracts: what an operation accepts (``accepts:``, a JSON Schema), compiled once.

A connector operation may declare the payload it accepts as a JSON Schema (draft 2020-12, a small
subset: see :data:`KEYWORDS`). The connector compiler turns it into a :class:`Contract` holding one
compiled validator; the record pipeline calls :meth:`Contract.problems` on every payload before it is
sent (dry-run and run alike), and ``validate`` walks a flow's mapping against :attr:`Contract.schema`.
Each broken rule becomes one sentence naming the field (``lignes[2].Quantite: required``); the words
are in :mod:`engine.connectors.contract_words`.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cached_property, lru_cache
from typing import Any

from engine.connectors.contract_words import describe, field_path
from engine.spec.fastcheck import passes, rs  # jsonschema-rs: the accelerator; jsonschema is the reference
from engine.util.suggest import hint_for

# The keywords a contract may use; anything else is a mistake (JSON Schema would ignore a misspelt
# `maxLenght` silently, and the contract would check nothing).
KEYWORDS = frozenset({
    "type", "properties", "required", "additionalProperties", "maxLength", "minLength", "enum", "items",
    "minItems", "maxItems", "minimum", "maximum", "pattern", "const", "oneOf", "allOf", "if", "then", "else",
    "description", "title", "examples",
})
SUBSCHEMA = frozenset({"additionalProperties", "items", "if", "then", "else"})  # one schema each
SCHEMA_LISTS = frozenset({"oneOf", "allOf"})  # a list of schemas each
MAX_DEPTH = 32
TYPES = ("string", "number", "integer", "boolean", "object", "array", "null")


def _is_integer(checker: Any, value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, Decimal):  # money and quantities are Decimal: 2 is sent as 2
        return value.is_finite() and value == value.to_integral_value()
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _is_number(checker: Any, value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, Decimal):
        return value.is_finite()
    return isinstance(value, (int, float))


@lru_cache(maxsize=None)
def _validator_class() -> Any:
    """python-jsonschema's draft 2020-12 validator with Decimal numbers, imported only when a rule is
    broken (or jsonschema-rs cannot read a value): ``validate`` of valid specs never loads it."""
    from jsonschema import Draft202012Validator, validators

    types = Draft202012Validator.TYPE_CHECKER.redefine_many({"integer": _is_integer, "number": _is_number})
    return validators.extend(Draft202012Validator, type_checker=types)


def contract_validator(schema: Mapping[str, Any]) -> Any:
    """The reference validator of a contract's schema (or of one of its sub-schemas)."""
    return _validator_class()(schema)


def contract_errors(schema: Mapping[str, Any], value: Any) -> Iterator[Any]:
    """The reference validator's errors for ``value`` — none, without loading it, when jsonschema-rs
    accepts the value (Decimal values, which it cannot read, always go to the reference)."""
    if passes("contract", (schema, value), lambda: _fast(schema).is_valid(value)):
        return iter(())
    return contract_validator(schema).iter_errors(value)


@dataclass(frozen=True, eq=False)
class Contract:
    """The payload an operation accepts: the schema as written and its compiled validator."""

    schema: Mapping[str, Any]
    system: str  # the target's name in messages ("Sage 100 accepts 19")

    @cached_property
    def fast(self) -> Any:
        """A jsonschema-rs validator (a payload it accepts needs no further look), or None; built the
        first time a payload is checked (``validate`` never needs it: start-up time)."""
        return _fast(self.schema)

    @cached_property
    def validator(self) -> Any:
        """The reference (python-jsonschema) validator, built the first time a payload needs it."""
        return contract_validator(self.schema)

    def broken(self, payload: Any) -> list[tuple[str, str]]:
        """Every rule the payload breaks as ``(field, sentence)`` (empty: it is accepted)."""
        if self.fast is not None:
            try:
                if self.fast.is_valid(payload):
                    return []
            except Exception:  # a value the accelerator cannot read: the reference validator decides
                pass
        out: list[tuple[str, str]] = []
        try:
            for error in self.validator.iter_errors(payload):
                for found in describe(error, self.system):
                    if found not in out:
                        out.append(found)
        except InvalidOperation:  # a signalling NaN cannot even be compared
            return [(field_path(_not_finite(payload) or ()), f"not a finite number, {self.system} accepts numbers")]
        return out

    def problems(self, payload: Any) -> list[str]:
        """Every rule the payload breaks, one ``field: sentence`` each."""
        return [f"{path}: {text}" for path, text in self.broken(payload)]

    def check(self, payload: Any) -> tuple[str, str] | None:
        """None, or ``(first field, reason)``: the first rule's sentence then every other problem
        whole, for a record error naming its field (``field doc.NumeroTiers: 12 is a number, …``)."""
        found = self.broken(payload)
        if not found:
            return None
        return found[0][0], "; ".join([found[0][1]] + [f"{path}: {text}" for path, text in found[1:]])


def _not_finite(value: Any, path: tuple = ()) -> tuple | None:
    """Where the first non-finite Decimal of a payload is."""
    if isinstance(value, Decimal) and not value.is_finite():
        return path
    items = value.items() if isinstance(value, Mapping) else enumerate(value) if isinstance(value, list) else ()
    for key, sub in items:
        found = _not_finite(sub, path + (key,))
        if found is not None:
            return found
    return None


Report = Callable[[str, tuple, str | None], None]  # (message, path inside `accepts`, hint)


def _walk(schema: Any, path: tuple, report: Report, depth: int = 0) -> None:
    """The contract's own mistakes, beyond the meta-schema: keywords outside the subset, and
    `required` names the object does not declare when it closes its properties."""
    if not isinstance(schema, dict):
        return
    if depth > MAX_DEPTH:
        report(f"the contract is nested more than {MAX_DEPTH} levels deep", path, None)
        return
    for key, value in schema.items():
        if key not in KEYWORDS:
            report(f"`{key}` is not a contract keyword", path + (key,), hint_for(key, KEYWORDS, "keywords"))
        elif key == "properties" and isinstance(value, dict):
            for name, sub in value.items():
                _walk(sub, path + (key, name), report, depth + 1)
        elif key in SUBSCHEMA:
            _walk(value, path + (key,), report, depth + 1)
        elif key in SCHEMA_LISTS and isinstance(value, list):
            for index, sub in enumerate(value):
                _walk(sub, path + (key, index), report, depth + 1)
    props = schema.get("properties")
    required = schema.get("required")
    if schema.get("additionalProperties") is False and isinstance(props, dict) and isinstance(required, list):
        for index, name in enumerate(required):
            if isinstance(name, str) and name not in props:
                report(f"required field `{name}` is not among the contract's properties",
                       path + ("required", index), hint_for(name, props, "fields"))


def compile_contract(schema: Any, system: str, report: Report) -> Contract | None:
    """The compiled contract, or None after reporting each mistake (located by its path)."""
    if not isinstance(schema, dict):
        report("`accepts` is a JSON Schema: a mapping such as {type: object, properties: {...}}", (), None)
        return None
    before = []
    for error in _meta_errors(schema):
        where = tuple(error.absolute_path)
        before.append(where)
        if where and where[-1] == "type" or (len(where) > 1 and where[-2] == "type"):
            wrong = error.instance
            report(f"{wrong!r} is not a type; the types are {', '.join(TYPES)}", where,
                   hint_for(str(wrong), TYPES, "types"))
        else:
            report(f"invalid JSON Schema: {error.message}", where, None)
    count = len(before)

    def counted(message: str, path: tuple, hint: str | None) -> None:
        nonlocal count
        count += 1
        report(message, path, hint)

    _walk(schema, (), counted)
    if count:
        return None
    return Contract(schema, system)


def _meta_errors(schema: dict) -> list[Any]:
    """The schema's errors against the draft 2020-12 meta-schema; jsonschema-rs answers first (a valid
    schema, the common case, never loads python-jsonschema), the reference explains a refusal."""
    if "$schema" not in schema and passes("meta", schema, lambda: rs().meta.is_valid(schema)):
        return []  # (`$schema` would pick another draft)
    from jsonschema import Draft202012Validator

    return list(Draft202012Validator(Draft202012Validator.META_SCHEMA).iter_errors(schema))


def _fast(schema: Mapping[str, Any]) -> Any:
    if rs() is None:  # pragma: no cover - the wheel is a dependency
        return None
    try:
        return rs().validator_for(dict(schema))
    except Exception:  # pragma: no cover - a schema the accelerator refuses is checked by jsonschema alone
        return None


def object_schemas(schema: Any, discriminant: Mapping[str, Any] | None = None) -> Iterator[Mapping[str, Any]]:
    """The object shapes a schema allows: itself, or the branches of its ``oneOf`` / ``allOf`` /
    ``if``-``then`` whose discriminating ``const`` agrees with ``discriminant`` (the constants a
    mapping gives, e.g. ``{"__type": "LigneTexte:…"}``)."""
    if not isinstance(schema, dict):
        return
    branches = [b for b in schema.get("oneOf") or [] if isinstance(b, dict)]
    picked = [b for b in branches if _agrees(b, discriminant or {})]
    if branches:
        for branch in picked or branches:
            yield from object_schemas(branch, discriminant)
    for part in schema.get("allOf") or []:
        if isinstance(part, dict) and isinstance(part.get("then"), dict):
            if _agrees(part.get("if") or {}, discriminant or {}, strict=True):
                yield from object_schemas(part["then"], discriminant)
        elif isinstance(part, dict):
            yield from object_schemas(part, discriminant)
    if "properties" in schema or "required" in schema or "additionalProperties" in schema:
        yield schema


def _agrees(schema: Mapping, known: Mapping[str, Any], strict: bool = False) -> bool:
    """Whether the ``const`` values a branch states match the known constants (a branch stating a
    name the mapping leaves open agrees unless ``strict``)."""
    props = schema.get("properties") or {}
    for name, sub in props.items():
        if isinstance(sub, dict) and "const" in sub:
            if name in known:
                if known[name] != sub["const"]:
                    return False
            elif strict:
                return False
    return True


__all__ = ["Contract", "KEYWORDS", "compile_contract", "contract_errors", "contract_validator", "object_schemas"]
