"""Related records: joining other resources onto each source record.

A flow declares, in order, what to join and how::

    related:
      customer: { read: customers, match: { id: id_customer } }
      detail:   { at: associations.order_rows, read: order_details, match: { id: id } }
      tax:      { at: associations.order_rows.detail, read: taxes,
                  match: { id: "associations.taxes[0].id" }, reference: true }

Each entry attaches the matching record (or, with ``many``, the list of matches) under its name,
on the record itself or on every object reached through ``at`` (lists are walked through). Later
entries see what earlier ones attached. Records are never mutated: the enriched record is a new
object sharing the untouched parts.

Join keys are compared after normalisation, so an id read as the text "56" from XML matches the
number 56 from JSON. Indexes are built once per resource and key (a hash join), so a reference list
such as carriers or taxes is read and indexed once for the whole run.
"""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Callable

from engine.errors import Loc, RecordError, TransformError
from engine.util.records import frozen

_NUMERIC = re.compile(r"-?[0-9]+(?:\.[0-9]+)?\Z")


def norm_key(value: Any) -> Any:
    """Normalise a join key: numbers and numeric texts compare by value."""
    if value.__class__ is int:  # the common case first (a typed id; never a bool)
        return str(value)
    if value.__class__ is str and value.isdigit() and value.isascii() and (value[0] != "0" or len(value) == 1):
        return value  # an id as XML gives it: already its canonical text (no Decimal round trip)
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return _canonical(value)
    if isinstance(value, float):
        return _canonical(Decimal(repr(value)))
    if isinstance(value, str):
        text = value.strip()
        return _canonical(Decimal(text)) if _NUMERIC.match(text) else text
    return repr(value)


def _canonical(number: Decimal) -> str:
    if number == number.to_integral_value():  # not str(int()): 1e5000 has too many digits for it
        return "0" if number == 0 else format(number.to_integral_value(), "f")
    return format(number, "f").rstrip("0")  # not normalize(): it rounds to the context's 28 digits


@frozen
class RelatedSpec:
    """A related resource joined to each record (`related:`), as compiled."""

    name: str
    resource: str
    endpoint: str
    at: tuple[str, ...]
    fields: tuple[str, ...]  # related-side fields
    getters: tuple[Callable[[Any], Any], ...]  # our side, evaluated on the object being enriched
    texts: tuple[str, ...]
    many: bool
    required: bool
    reference: bool
    loc: Loc
    # per field, ``(value, row) -> value`` applied to the related row's field before indexing (`their`)
    theirs: tuple[Callable[[Any, Any], Any] | None, ...] = ()


class BadRow:
    """A related record that could not be typed: it stays in the index, so the record that joins it
    fails with the reason instead of silently finding nothing."""

    __slots__ = ("raw", "reason")

    def __init__(self, raw: dict, reason: str):
        self.raw, self.reason = raw, reason

    def get(self, field: str, default: Any = None) -> Any:
        return self.raw.get(field, default)


def typed_row(coerce: Callable[[Any], Any] | None, row: Any) -> Any:
    """A related row typed by ``coerce`` (None: as it is); one that cannot be typed stays as a BadRow
    (its joiners fail with why)."""
    if coerce is None:
        return row
    try:
        return coerce(row)
    except TransformError as exc:
        return BadRow(row if isinstance(row, dict) else {}, str(exc))


class RelatedData:
    """Records of related resources, indexed lazily by join fields."""

    def __init__(self, records: dict[str, list[dict]] | None = None, parent: "RelatedData | None" = None):
        self.records: dict[str, list[dict]] = dict(records or {})
        self._indexes: dict[tuple, dict] = {}
        self.parent = parent  # resources held (and indexed once) for the whole run, e.g. reference lists

    def add(self, resource: str, rows: list[dict]) -> None:
        self.records.setdefault(resource, []).extend(rows)
        self._indexes = {k: v for k, v in self._indexes.items() if k[0] != resource}

    def has(self, resource: str) -> bool:
        return resource in self.records or (self.parent is not None and self.parent.has(resource))

    def index(self, resource: str, fields: tuple[str, ...], theirs: tuple = ()) -> dict:
        """Rows by their join values; ``theirs`` normalises each field first (a row whose
        normalisation fails is left out: nothing can join it)."""
        if resource not in self.records and self.parent is not None and self.parent.has(resource):
            return self.parent.index(resource, fields, theirs)
        key = (resource, fields, theirs)
        found = self._indexes.get(key)
        if found is None:
            found = {}
            normalise = any(theirs)
            single = fields[0] if len(fields) == 1 else None
            for row in self.records.get(resource, ()):
                if not isinstance(row, (dict, BadRow)):
                    continue
                if normalise:
                    ident = _their_ident(row, fields, theirs)
                    if ident is None:
                        continue
                elif single is not None:  # one join field: no generator per row
                    ident = (norm_key(row.get(single)),)
                else:
                    ident = tuple(norm_key(row.get(f)) for f in fields)
                found.setdefault(ident, []).append(row)
            self._indexes[key] = found
        return found


def _their_ident(row: Any, fields: tuple[str, ...], theirs: tuple) -> tuple | None:
    """The join values of a related row, each through its `their` pipeline; None when one fails."""
    scope = row.raw if isinstance(row, BadRow) else row
    values = []
    for position, name in enumerate(fields):
        value = row.get(name)
        their = theirs[position] if position < len(theirs) else None
        if their is not None:
            try:
                value = their(value, scope)
            except (TransformError, RecordError):
                return None
        values.append(norm_key(value))
    return tuple(values)


def compile_enricher(specs: list[RelatedSpec]) -> Callable[[dict, RelatedData], dict]:
    """``enrich(record, data) -> new record`` applying every related spec in order."""
    if not specs:
        return lambda record, data: record

    def enrich(record: dict, data: RelatedData) -> dict:
        owned: dict[int, Any] = {}  # the containers copied for this record: later specs fill them in place
        for spec in specs:
            index = data.index(spec.resource, spec.fields, spec.theirs)
            record = _enrich(record, spec, index, owned)
        return record

    return enrich


def enrich_step(record: dict, spec: RelatedSpec, data: RelatedData, owned: dict[int, Any] | None = None,
                index: dict | None = None) -> dict:
    """Apply one related spec (the runner fetches each spec's records before applying it). ``record`` is
    never changed, but the containers this record's earlier steps copied (``owned``, one dict per record
    kept across its steps) are filled in place: each container on the way is copied once per record,
    not once per spec. ``index``: ``data``'s index for ``spec``, when the caller already holds it (one
    look-up per page, not per record)."""
    if index is None:
        index = data.index(spec.resource, spec.fields, spec.theirs)
    return _enrich(record, spec, index, {} if owned is None else owned)


_MISSING = object()


def _enrich(record: dict, spec: RelatedSpec, index: dict, owned: dict[int, Any]) -> dict:
    undo: list = []
    try:
        return _attach(record, spec.at, spec, index, owned, undo)
    except RecordError:
        for container, key, previous in reversed(undo):  # the record as it was before this spec
            if previous is _MISSING:
                del container[key]
            else:
                container[key] = previous
        raise


def join_values(record: Any, spec: RelatedSpec, steps: tuple[str, ...] | None = None) -> list:
    """The values of the first join field on every object ``spec`` would enrich (to fetch by key)."""
    steps = spec.at if steps is None else steps
    if isinstance(record, list):
        return [v for item in record for v in join_values(item, spec, steps)]
    if not isinstance(record, dict):
        return []
    if steps:
        return join_values(record.get(steps[0]), spec, steps[1:])
    try:
        value = spec.getters[0](record) if spec.getters else None
    except TransformError:
        return []
    return [] if value is None else [value]


def _attach(obj: Any, steps: tuple[str, ...], spec: RelatedSpec, index: dict, owned: dict[int, Any],
            undo: list) -> Any:
    """``obj`` with ``spec`` attached. A container this record copied before (in ``owned``, held there so
    that its id is not reused meanwhile) is filled in place, each change noted in ``undo``; any other is
    copied (once: the copy is owned from then on)."""
    if not isinstance(obj, dict):
        return obj
    if not steps:
        try:
            getters = spec.getters
            ident = (norm_key(getters[0](obj)),) if len(getters) == 1 else tuple(norm_key(get(obj)) for get in getters)
        except TransformError as exc:
            raise RecordError(f"related '{spec.name}': {exc}", field=f"related.{spec.name}",
                              loc=spec.loc) from None
        matches = index.get(ident, [])
        if not matches and spec.required and None not in ident:
            shown = ", ".join(f"{f} = {v}" for f, v in zip(spec.fields, ident))
            raise RecordError(f"no '{spec.resource}' record with {shown} (related '{spec.name}' "
                              "is required)", field=f"related.{spec.name}", loc=spec.loc)
        if not matches and spec.required:
            raise RecordError(f"related '{spec.name}': the join value ({', '.join(spec.texts)}) is "
                              "null", field=f"related.{spec.name}", loc=spec.loc)
        for match in matches:
            if isinstance(match, BadRow):
                shown = ", ".join(f"{f} = {v}" for f, v in zip(spec.fields, ident))
                raise RecordError(f"the '{spec.resource}' record with {shown} could not be read: {match.reason}",
                                  field=f"related.{spec.name}", loc=spec.loc)
        attached = list(matches) if spec.many else (matches[0] if matches else None)
        name = spec.name
        if id(obj) in owned:
            undo.append((obj, name, obj.get(name, _MISSING)))
            obj[name] = attached
            return obj
        new = dict(obj)
        owned[id(new)] = new
        new[name] = attached
        return new
    head, rest = steps[0], steps[1:]
    value = obj.get(head)
    if isinstance(value, list):
        if id(value) in owned:
            for position, item in enumerate(value):
                done = _attach(item, rest, spec, index, owned, undo)
                if done is not item:
                    undo.append((value, position, item))
                    value[position] = done
            replaced: Any = value
        else:
            replaced = [_attach(item, rest, spec, index, owned, undo) for item in value]
            owned[id(replaced)] = replaced
    elif isinstance(value, dict):
        replaced = _attach(value, rest, spec, index, owned, undo)
    else:
        return obj
    if id(obj) in owned:
        if replaced is not value:
            undo.append((obj, head, value))
            obj[head] = replaced
        return obj
    new = dict(obj)
    owned[id(new)] = new
    new[head] = replaced
    return new
