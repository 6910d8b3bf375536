"""The one per-record path: type -> join related -> filter -> map -> check, shared by the file dry-run,
the live dry-run and ``run``. Each of them adds only its own last step (show the payload, show the
request, or write exactly once and acknowledge), so the same record gives the same outcome and the
same error text, with the same field path, in all three.

Records flow through iterators page by page; only the related records a page joins are held (and
the reference lists, read once per run).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from engine.connectors.base import IncompleteRecord
from engine.errors import RecordError, TransformError
from engine.plan.coerce import SourceTypeError
from engine.plan.model import FlowPlan
from engine.plan.related import BadRow, RelatedData, RelatedSpec, enrich_step, join_values, typed_row
from engine.runtime.expansion import expand, whole
from engine.util.jsonout import OutputError, dumps, ready

KEY_CHUNK = 100


@dataclass
class Outcome:
    """Where one source record stands. ``error`` set: it is set aside with that reason."""

    key: str
    raw: Any
    record: Any = None  # typed
    enriched: Any = None  # typed and joined
    payload: Any = None
    payload_json: str | None = None
    values: dict | None = None
    error: RecordError | None = None
    skipped: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None and not self.skipped


def record_key(flow: FlowPlan, record: Any) -> str:
    return str(flow.record_key(record)) if isinstance(record, dict) else "None"


def failure(flow: FlowPlan, key: str, exc: Exception, field: str, loc=None) -> RecordError:
    """Any failure of one record as a RecordError naming flow, key, field and spec location."""
    if isinstance(exc, RecordError):
        exc.flow, exc.key = flow.name, key
        return exc
    return RecordError(str(exc), flow.name, key, field, loc)


def typed_rows(coerce: Callable | None, rows: Iterable[Any]) -> list:
    """Related rows typed; a row that cannot be typed stays as a BadRow (its joiners fail with why)."""
    # an incomplete record is never joined as if whole: its joiners fail with why
    return [BadRow(row, row.reason) if isinstance(row, IncompleteRecord) else typed_row(coerce, row) for row in rows]


Fetch = Callable[[RelatedSpec, list], Iterable[list]]  # (spec, key values) -> pages of raw rows


class Joiner:
    """Joins related records onto pages of typed records. Reference lists (``reference: true``) are
    read once and indexed for the whole run; other resources are fetched by key for each page
    (``fetch``), or come preloaded (a file dry-run gives every related record at once).

    Each entry joins on its own rows: a reference entry on the whole list, an entry fetched by key on
    the page's fetched rows — even when both read the same resource (the fetched rows never stand in
    for the whole list). An entry by key on a resource this run already holds whole (a reference entry
    of the same endpoint, typed alike) joins on that list without a request."""

    def __init__(self, read_all: Callable[[RelatedSpec], Iterable[list]] | None = None,
                 fetch: Fetch | None = None, preloaded: RelatedData | None = None):
        self.read_all, self.fetch = read_all, fetch
        self.reference = preloaded or RelatedData()
        self.preloaded = preloaded is not None
        self._loaded: dict[str, tuple[str, frozenset]] = {}  # reference lists read: endpoint, fields typed

    def join(self, flow: FlowPlan, outcomes: list[Outcome], unique_keys: Callable[[RelatedSpec], bool]) -> None:
        data = RelatedData(parent=self.reference)  # reference lists stay indexed across pages
        owned: list[dict] = [{} for _ in outcomes] if flow.related else []  # per record: copied once for all specs
        if not self.preloaded:
            for spec in flow.related:
                if spec.reference:
                    self._load(flow, spec)
        for spec in flow.related:
            rows = data
            if not self.preloaded:
                if spec.reference or self._whole(flow, spec):
                    rows = self.reference
                else:
                    self._gather(flow, spec, outcomes, data, unique_keys(spec))
            index = rows.index(spec.resource, spec.fields, spec.theirs)  # once per page, not per record
            for outcome, copies in zip(outcomes, owned):
                if outcome.error is not None:
                    continue
                try:
                    outcome.enriched = enrich_step(outcome.enriched, spec, data, copies, index)
                except RecordError as exc:
                    outcome.error = failure(flow, outcome.key, exc, f"related.{spec.name}", spec.loc)

    def ready(self, flow: FlowPlan) -> None:
        """Builds now the indexes the first page would build on the preloaded related records (before a
        second process is forked: built once, shared by both)."""
        if self.preloaded:
            for spec in flow.related:
                self.reference.index(spec.resource, spec.fields, spec.theirs)

    @staticmethod
    def _typing(flow: FlowPlan, spec: RelatedSpec) -> tuple[str, frozenset]:
        return spec.endpoint, frozenset(getattr(flow.types.get(spec.resource), "fields", ()))

    def _load(self, flow: FlowPlan, spec: RelatedSpec) -> None:
        """A reference list, read whole once (again when a reloaded plan types other fields of it)."""
        typing = self._typing(flow, spec)
        if self._loaded.get(spec.resource) != typing and self.read_all is not None:
            self.reference.records.pop(spec.resource, None)
            self.reference.add(spec.resource, typed_rows(flow.types.get(spec.resource),
                                                         (r for page in self.read_all(spec) for r in page)))
            self._loaded[spec.resource] = typing

    def _whole(self, flow: FlowPlan, spec: RelatedSpec) -> bool:
        """This run holds ``spec``'s resource whole, from the same endpoint and typed alike."""
        return self._loaded.get(spec.resource) == self._typing(flow, spec)

    def _gather(self, flow: FlowPlan, spec: RelatedSpec, outcomes: list[Outcome], data: RelatedData,
                unique: bool) -> None:
        coerce = flow.types.get(spec.resource)
        values: list = []
        seen: set = set()  # dedupe without the quadratic `not in list` scan
        for outcome in outcomes:
            if outcome.error is not None:
                continue
            for value in join_values(outcome.enriched, spec):
                try:
                    if value in seen:
                        continue
                    seen.add(value)
                except TypeError:  # an unhashable join value: compare the slow way
                    if value in values:
                        continue
                values.append(value)
        data.add(spec.resource, [])
        if self.fetch is None:
            return
        for start in range(0, len(values), KEY_CHUNK):
            chunk = values[start:start + KEY_CHUNK]
            found = 0
            for page in self.fetch(spec, chunk):
                data.add(spec.resource, typed_rows(coerce, page))
                found += len(page)
                if unique and found >= len(chunk):
                    break  # one record per key: no request for the empty page after a full one


def warm(flow: FlowPlan) -> None:
    """Loads now what the first record would load: the target's contract validator (with its library)
    and the JSON encoder - in a dry-run, while its child processes parse the input files."""
    contract = flow.target_op.contract
    if contract is not None:
        contract.fast  # noqa: B018 - a cached property, built here
    ready()


def prepare(flow: FlowPlan, page: list, joiner: Joiner, unique_keys: Callable[[RelatedSpec], bool]) -> list[Outcome]:
    """Type and join one page of raw source records."""
    coerce = flow.types.get(flow.source_resource)
    outcomes = []
    for raw in page:
        key = record_key(flow, raw)
        outcome = Outcome(key, raw)
        if isinstance(raw, IncompleteRecord):  # the endpoint could not read it whole
            outcome.error = RecordError(raw.reason, flow.name, key, raw.field, flow.item.loc("source", "read"))
            outcomes.append(outcome)
            continue
        if key in ("None", "") and _keyless(flow, raw):  # two such records would share one ledger entry
            field = ".".join(flow.key_path) if flow.key_path else "key"
            why = "its key is null or empty" if not flow.key_path or flow.key_path[0] in raw else \
                f"it has no field '{flow.key_path[0]}' (its fields: {', '.join(map(str, list(raw)[:12]))})"
            outcome.error = RecordError(f"{why}: a record without a key cannot be written exactly once",
                                        flow.name, key, field, flow.item.loc("source", "read"))
            outcomes.append(outcome)
            continue
        try:
            outcome.record = outcome.enriched = coerce(raw) if coerce else raw
        except SourceTypeError as exc:  # named by its field, located at the resource the flow reads
            outcome.error = RecordError(f"{exc.reason}, the type its connector declares", flow.name, key,
                                        exc.field, flow.item.loc("source", "read"))
        except TransformError as exc:
            outcome.error = failure(flow, key, exc, "source", flow.item.loc("source", "read"))
        outcomes.append(outcome)
    joiner.join(flow, outcomes, unique_keys)
    return outcomes


def _keyless(flow: FlowPlan, raw: Any) -> bool:
    """A record whose own key is null or empty (fan-out items and groups have keys of their own)."""
    return flow.fan_out is None and flow.group is None and isinstance(raw, dict) and flow.record_key(raw) in (None, "")


def evaluate(flow: FlowPlan, outcome: Outcome, render: bool = True) -> Outcome:
    """Let, filter, reject, map and check one prepared record (with the flow plan live at that moment):
    the payload must be what the target operation accepts (its contract). ``render=False``: the caller
    writes the payload's JSON itself (and sets the record aside when it has none)."""
    if outcome.error is not None or outcome.skipped:  # set aside, or nothing to write (a fan-out of no item)
        return outcome
    enriched = outcome.enriched
    try:
        if flow.lets is not None:  # the scope: the joined record plus the flow's named values
            enriched = outcome.enriched = flow.lets(enriched)  # kept: `target.find` matches on it too
        if not flow.accept(enriched):
            outcome.skipped = True
            return outcome
        if flow.reject is not None:  # the first rule that holds fails the record, before anything is sent
            flow.reject(enriched)
        outcome.payload = flow.map(enriched)
    except (RecordError, TransformError) as exc:
        outcome.error = failure(flow, outcome.key, exc, "map", flow.item.loc("map"))
        return outcome
    broken = flow.target_op.contract.check(outcome.payload) if flow.target_op.contract else None
    if broken is not None:  # what the target accepts (`accepts:`): nothing is sent
        outcome.error = RecordError(broken[1], flow.name, outcome.key, broken[0], flow.item.loc("map"))
        return outcome
    if flow.reference is not None and flow.target_op.find and _no_reference(flow, outcome.payload):
        where = str((flow.item.data.get("target") or {}).get("reference", ""))
        outcome.error = RecordError(f"the document reference {where} (target.reference) is empty: a document "
                                    "without it could not be found again after a lost reply, so it is not sent",
                                    flow.name, outcome.key, where, flow.item.loc("target", "reference"))
        return outcome
    try:
        outcome.values = flow.write_values(enriched)
    except TransformError as exc:
        outcome.error = failure(flow, outcome.key, exc, "target.with", flow.item.loc("target", "with"))
        return outcome
    if not render:
        return outcome
    try:
        outcome.payload_json = dumps(outcome.payload)
    except OutputError as exc:  # a value with no JSON form (a date left unformatted...)
        outcome.error = failure(flow, outcome.key, exc, "map", flow.item.loc("map"))
    return outcome


def _no_reference(flow: FlowPlan, payload: Any) -> bool:
    try:
        return flow.reference(payload) in (None, "")  # type: ignore[misc]
    except TransformError:  # said by the look-up itself (lookups.search)
        return False


def records(flow: FlowPlan, pages: Iterable[list], joiner: Joiner,
            unique_keys: Callable[[RelatedSpec], bool] = lambda spec: False,
            current: Callable[[], FlowPlan] | None = None, render: bool = True) -> Iterator[Outcome]:
    """Every record's outcome, page by page. ``current`` gives the flow plan live now (hot reload
    swaps plans between records, never inside one)."""
    for page in whole(flow, pages):  # a grouping flow: every page at once
        for outcome in expand(flow, prepare(flow, page, joiner, unique_keys)):  # items or groups
            yield evaluate(current() if current else flow, outcome, render)
