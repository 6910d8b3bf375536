"""Dry-runs: what a flow would send, with nothing sent.

* from files (``--input``): source and related records are read from files; no environment variable
  is resolved (so no secret can appear), no state is read or written;
* live (no ``--input``): the source is read through its endpoint (reads only), related records are
  fetched as a run would, and the requests of the target write and of every acknowledgement are
  described with every credential masked.

Both go through :mod:`engine.runtime.pipeline`, as ``run`` does: a record that fails is reported with
its key, the field, the spec location and the reason — the same text in all three — and the other
records still come out.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from itertools import chain, islice
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.connectors.codecs.instream import stream_input
from engine.connectors.codecs.records import InputError, read_input
from engine.connectors.codecs.xmlcodec import XmlOptions
from engine.connectors.codecs.xmlstream import Skip
from engine.connectors.base import ConnectorPlan, TokenStore
from engine.connectors.errors import EndpointError
from engine.errors import RecordError, TransformError
from engine.lang.xref import current as xref_resolver
from engine.plan.model import FlowPlan, Plan
from engine.plan.readfields import fields_read
from engine.plan.related import RelatedData
from engine.runtime.decodeworker import available, core_free, decoded_elsewhere
from engine.runtime.earlyread import RELATED_MEMORY, SPLIT_BYTES, WORKER_BYTES, EarlyReaders, fed, recipe
from engine.runtime.fedmap import fed_pages
from engine.runtime.pipeline import Joiner, Outcome, failure, records, typed_rows, warm
from engine.runtime.splitmap import split_pages
from engine.util.jsonout import OutputError, dumps
from engine.util.records import mutable  # (no code compiled at import: a dry-run's start-up counts)

if TYPE_CHECKING:  # imported when the related files are too large for memory (SQLite, tempfile)
    from engine.runtime.relspill import RelatedSpill

PAGE = 100
# WORKER_BYTES, SPLIT_BYTES, RELATED_MEMORY: earlyread.py (the readers forked before the compile follow them)


@mutable
class DryRunResult:
    flow: str
    target: str
    payloads: list = field(default_factory=list)  # (key, payload) in input order
    failures: list[RecordError] = field(default_factory=list)
    skipped: list = field(default_factory=list)  # keys filtered out by the flow's `filter`
    read: int = 0


def record_options(connector: ConnectorPlan | None) -> XmlOptions | None:
    """How the connector's XML answers map to records (None for JSON and non-HTTP connectors)."""
    detail = connector.detail if connector is not None else None
    return getattr(detail, "xml", None) if getattr(detail, "format", None) == "xml" else None


def text_format(connector: ConnectorPlan | None, resource: str):
    """The CSV / fixed-width / XML file format a file connector declares for ``resource`` (None otherwise)."""
    found = connector.resources.get(resource) if connector is not None else None
    return (getattr(found.detail, "text", None) or getattr(found.detail, "xml", None)) if found is not None else None


def _declared(given: Any, connector: ConnectorPlan | None, name: str | None, source: str):
    """The format of one --input file: the command line's (``--input-format``) for the source's
    records, else the one the source's file connector declares."""
    if given is not None and (name or source) == source:
        return given
    return text_format(connector, name or source)


def read_inputs(plan: Plan, flow: FlowPlan, inputs: list[tuple[str | None, Path]]) -> dict[str, list]:
    """Read every ``--input`` file; returns records by resource name (untyped)."""
    connector = plan.connectors.get(flow.source_endpoint)
    singular = {r.item: name for name, r in connector.resources.items() if r.item} if connector else {}
    options = record_options(connector)
    by_resource: dict[str, list] = {}
    for name, path in inputs:
        for resource, rows in read_input(path, name=name, default_resource=flow.source_resource,
                                         xml_options=options):
            resource = singular.get(resource, resource)
            by_resource.setdefault(resource, []).extend(rows)
    return by_resource


@mutable
class DryRunCounts:
    """What a streaming file dry-run has done so far (complete once its outcomes are consumed)."""
    flow: str
    target: str
    failures: list[RecordError] = field(default_factory=list)
    skipped: list = field(default_factory=list)  # keys filtered out by the flow's `filter`
    read: int = 0
    mapped: int = 0


def dry_run(plan: Plan, flow: FlowPlan, inputs: list[tuple[str | None, Path]],
            max_input_bytes: int | None = None, related_memory: int = RELATED_MEMORY,
            workers: bool | None = False) -> DryRunResult:
    counts, outcomes = stream_dry_run(plan, flow, inputs, max_input_bytes, related_memory=related_memory,
                                      workers=workers, split=False)
    result = DryRunResult(flow.name, flow.target)
    result.payloads = [(outcome.key, outcome.payload) for outcome in outcomes]
    result.failures, result.skipped, result.read = counts.failures, counts.skipped, counts.read
    return result


def stream_dry_run(plan: Plan, flow: FlowPlan, inputs: list[tuple[str | None, Path]],
                   max_input_bytes: int | None = None, declared: Any = None,
                   related_memory: int = RELATED_MEMORY,
                   workers: bool | None = False, split: bool = True,
                   early: EarlyReaders | None = None) -> tuple[DryRunCounts, Iterator[Outcome]]:
    """The mapped records of a file dry-run as they come: the source file is read page by page (in
    constant memory), related files are read and typed first - indexed in memory when their files
    total at most ``related_memory`` bytes, else on disk (relspill.py: memory bounded whatever their
    size); of an XML list, only the elements the flow may read are decoded (plan/readfields.py).
    ``counts`` is filled as the outcomes are consumed; an :class:`InputError` may come from either call.
    ``workers``: each file of WORKER_BYTES or more is read in a child process (True: whatever the load;
    None: when a core is free now), all of them started at once: the related files while this one
    indexes them, the source file ahead at a lower priority, then while this one types, joins and maps
    (decodeworker.py: same records, same errors; where fork exists and there are several cores).
    With ``split`` too, a flow mapped record by record has its source's pages mapped in two processes:
    related rows in memory and read by children, the source read ahead by a child has every other page
    handed to a mapper child (fedmap.py); else a source of SPLIT_BYTES or more is parsed by both
    (splitmap.py: less CPU than two mappers reading the disk), a smaller one read ahead (earlyread.fed).
    The child's outcomes carry the key and ``payload_json`` only. ``early``: the readers started before the plan was compiled (earlyread.py),
    whose records are taken for the files they read as this function would read them."""
    connector = plan.connectors.get(flow.source_endpoint)
    singular = {r.item: name for name, r in connector.resources.items() if r.item} if connector else {}
    options = record_options(connector)
    if early is not None:
        early.agree(recipe(flow, options, singular))  # a child reading by another recipe is stopped now
    by_resource: dict[str, list[Iterator[dict]]] = {}
    skip = Skip()  # the source pages another process maps are parsed here, not decoded
    related_files: set[Path] = set()
    files: dict[str, set[Path]] = {}
    by_recipe: set[Path] = set()  # files read as an early reader reads them: one record set, no declared format
    for name, path in inputs:
        text = _declared(declared, connector, name, flow.source_resource)
        found = stream_input(path, name=name, default_resource=flow.source_resource, xml_options=options,
                             max_bytes=max_input_bytes, fields=lambda found: fields_read(flow, singular.get(found, found)),
                             text=text, skip=skip)
        if text is None and len(found) == 1:
            by_recipe.add(path)
        for resource, rows in found:
            by_resource.setdefault(singular.get(resource, resource), []).append(rows)
            files.setdefault(singular.get(resource, resource), set()).add(path)
            if singular.get(resource, resource) != flow.source_resource:
                related_files.add(path)
    counts = DryRunCounts(flow.name, flow.target)
    fork = workers is not False and available() and (workers or (early is not None and early.reading) or core_free())
    two = split and fork and flow.group is None and xref_resolver() is None and flow.source_resource in files
    on_disk = _size(related_files) > related_memory  # (indexed from raw rows: no early reader of theirs)
    split = two and not fed(_size(files[flow.source_resource]), None if on_disk else _size(related_files))

    def elsewhere(resource: str) -> Iterator[dict]:  # a file worth a second process: read there
        rows, mine = chain.from_iterable(by_resource[resource]), resource == flow.source_resource
        if not fork or _size(files[resource]) < WORKER_BYTES or (split and mine):
            return rows
        path = next(iter(files[resource]))
        ahead = early.claim(path, resource, rows, flow.types.get(resource)) if early is not None and len(
            by_resource[resource]) == 1 and path in by_recipe and (mine or not on_disk) else None
        return ahead or decoded_elsewhere(rows, spare=mine and len(by_resource) > 1)

    # every reader starts now: the source file's child reads ahead while the related files are indexed
    source = elsewhere(flow.source_resource) if flow.source_resource in by_resource else iter(())
    others = {r: elsewhere(r) for r in by_resource if r != flow.source_resource}
    if early is not None:
        early.close()  # the early readers of files read otherwise (a format given...) stop now
    spill = _spill(flow) if on_disk else None  # joined page by page from disk
    related = RelatedData()
    if fork:
        warm(flow)  # the first record's loading done while the children parse
    try:  # related files first: an unreadable one is reported before anything is printed
        for resource, rows in others.items():
            coerce = None if early is not None and resource in early.typed else flow.types.get(resource)
            if spill is not None:
                spill.load(resource, rows, coerce)
            else:
                related.add(resource, typed_rows(coerce, rows))
        _check_present(flow, by_resource)
        if spill is not None:
            spill.ready()
    except BaseException:
        if spill is not None:
            spill.close()
        for rows in (source, *others.values()):
            _close(rows)  # a child still reading is stopped
        raise
    joiner = Joiner(preloaded=related) if spill is None else Joiner(read_all=spill.read_all, fetch=spill.fetch)
    if split:
        pages = split_pages(source, skip, PAGE, lambda page: list(_mapped(flow, (page,), joiner)),
                            spill.reopen if spill is not None else None)
        return counts, _tallied(counts, pages, source, spill)
    if two and spill is None and _size(files[flow.source_resource]) >= WORKER_BYTES:  # read by a child
        joiner.ready(flow)  # indexed once, before the mapper child is forked
        pages = fed_pages(source, PAGE, lambda page: list(_mapped(flow, (page,), joiner)))
        return counts, _tallied(counts, pages, source, spill)
    return counts, _outcomes(flow, counts, source, joiner, spill)


def _spill(flow: FlowPlan) -> RelatedSpill | None:
    """An index on disk for the related files of ``flow``, None when its joins need them in memory."""
    from engine.runtime import relspill

    return relspill.RelatedSpill(flow) if relspill.spillable(flow) else None


def _close(rows: Iterator[Any]) -> None:
    close = getattr(rows, "close", None)
    if close is not None:
        close()


def _size(paths: set[Path]) -> float:
    """The bytes of the related files (the estimate of their index in memory; unknown: unbounded)."""
    try:
        return sum(path.stat().st_size for path in paths)
    except (OSError, ValueError):
        return float("inf")


def _check_present(flow: FlowPlan, by_resource: dict[str, list[Iterator[dict]]]) -> None:
    if flow.source_resource not in by_resource:
        raise InputError(f"no input holds '{flow.source_resource}' records (the source of flow "
                         f"'{flow.name}'); name a file with --input {flow.source_resource}=FILE")
    missing = sorted({spec.resource for spec in flow.related if spec.resource not in by_resource})
    if missing:
        for rows in by_resource[flow.source_resource]:  # an unreadable source file is reported first
            for _ in rows:
                pass
        raise InputError(f"flow '{flow.name}' joins related records from {', '.join(missing)}: give "
                         f"each as --input FILE (a list response names its resource, or write "
                         f"--input {missing[0]}=FILE)")


def _mapped(flow: FlowPlan, pages: Iterable[list], joiner: Joiner) -> Iterator[Outcome]:
    for outcome in records(flow, pages, joiner, render=False):
        if outcome.ok:  # rendered once, as shown (`payload_json` holds the indented text here)
            try:
                outcome.payload_json = dumps(outcome.payload, indent=2)
            except OutputError as exc:  # a value with no JSON form (a date left unformatted...)
                outcome.error = failure(flow, outcome.key, exc, "map", flow.item.loc("map"))
        yield outcome


def _tally(counts: DryRunCounts, outcome: Outcome) -> bool:
    """Counts the outcome; whether it is a payload to show."""
    if outcome.error is not None:
        counts.failures.append(_detached(outcome.error))
    elif outcome.skipped:
        counts.skipped.append(outcome.key)
    else:
        counts.mapped += 1
        return True
    return False


def _tallied(counts: DryRunCounts, pages: Iterator[tuple[int, list[Outcome]]], rows: Iterator[dict],
             spill: RelatedSpill | None) -> Iterator[Outcome]:
    try:
        for read, outcomes in pages:
            counts.read += read
            yield from (outcome for outcome in outcomes if _tally(counts, outcome))
    finally:
        _close(pages)  # the child mapping the other pages is stopped
        _close(rows)
        if spill is not None:
            spill.close()


def _outcomes(flow: FlowPlan, counts: DryRunCounts, rows: Iterator[dict], joiner: Joiner,
              spill: RelatedSpill | None) -> Iterator[Outcome]:
    try:
        for outcome in _mapped(flow, _counted(counts, rows), joiner):
            if _tally(counts, outcome):
                yield outcome
    finally:
        _close(rows)  # a child still reading (the consumer stopped early) is stopped
        if spill is not None:
            spill.close()


def _detached(error: RecordError) -> RecordError:
    """The error without its traceback (nor those of the errors it was raised from): kept to the end of
    the run, a traceback would keep the frames' locals alive, a whole page of records each."""
    seen: set[int] = set()
    exc: BaseException | None = error
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        exc.__traceback__ = None
        exc = exc.__cause__ or exc.__context__
    return error


def _counted(counts: DryRunCounts, rows: Iterator[dict], size: int = PAGE) -> Iterator[list]:
    while True:
        page = list(islice(rows, size))
        if not page:
            return
        counts.read += len(page)
        yield page


@mutable
class LiveDryRun:
    flow: str
    requests: list = field(default_factory=list)  # (key, [request dicts]) in read order
    payloads: list = field(default_factory=list)  # (key, payload)
    failures: list[RecordError] = field(default_factory=list)
    skipped: int = 0
    read: int = 0
    removals: Any = None  # target.remove: a dryrun_removals.RemovalPreview (the whole source was read)


def live_dry_run(plan: Plan, flow: FlowPlan, environ=None, limit: int = 20,
                 token_store: TokenStore | None = None, state: Any = None) -> LiveDryRun:
    """Read up to ``limit`` records through the live source endpoint (reads only), map them, and
    describe the writes a run would send — target and acknowledgements — without sending them. A flow
    with ``target.remove`` is read whole, and the removals a run would send are described from a
    private copy of the project's state (``state``: its store_open.StateLocation; dryrun_removals.py);
    ``limit`` bounds the writes shown."""
    from engine.runtime.dryrun_removals import preview, state_copy, tracked
    from engine.runtime.endpoints import open_endpoints
    from engine.runtime.runner import FlowRunner
    from engine.runtime.state import SqliteStore

    endpoints = open_endpoints(plan, flow.endpoint_names(), environ, token_store=token_store)
    result = LiveDryRun(flow.name)
    removing = flow.remove is not None
    with ExitStack() as stack:
        for endpoint in endpoints.values():
            stack.callback(endpoint.close)
        # nothing on disk: a dry-run touches no state (removals: a private copy of it, deleted after)
        scratch = stack.enter_context(state_copy(state, flow.name)) if removing else SqliteStore(":memory:")
        if not removing:
            stack.callback(scratch.close)
        reader = FlowRunner(plan, flow, endpoints, scratch)  # reads and joins exactly as a run does
        if removing:  # what is gone is told by the complete read: every record, `limit` of them shown
            pages = endpoints[flow.source_endpoint].read(flow.source_resource, where=dict(flow.where) or None,
                                                         page_size=flow.page_size)
            _describe(flow, endpoints, tracked(reader, flow, pages), limit, result)
            result.removals = preview(reader, flow, endpoints[flow.target_endpoint])
        else:
            _describe(flow, endpoints, records(flow, _first_pages(flow, endpoints, limit), reader.joiner,
                                               reader.unique_keys), None, result)
    return result


def _first_pages(flow: FlowPlan, endpoints: dict, limit: int) -> Iterator[list]:
    left = limit if flow.group is None else 1 << 62  # a group needs all its members: read them all
    for page in endpoints[flow.source_endpoint].read(flow.source_resource, where=dict(flow.where) or None,
                                                      page_size=min(limit, flow.page_size or limit)):
        yield page[:left]
        left -= len(page[:left])
        if left <= 0:
            return


def _describe(flow: FlowPlan, endpoints: dict, outcomes: Iterator[Outcome], limit: int | None,
              result: LiveDryRun) -> None:
    """The writes of the records described (``limit``: of the first ones only, the others only read)."""
    from engine.runtime.acks import describe as describe_acks  # (with the run state's module: live only)
    from engine.runtime.reserve import describe as describe_reserve

    for outcome in outcomes:
        result.read += 1
        if limit is not None and result.read > limit:
            continue
        if outcome.error is not None:
            result.failures.append(outcome.error)
            continue
        if outcome.skipped:
            result.skipped += 1
            continue
        try:  # the reservation first (a flow's `reserve`), then the document
            requests = describe_reserve(endpoints, flow, outcome.record) + [endpoints[
                flow.target_endpoint].describe_write(flow.target_operation, outcome.payload, outcome.values)]
        except (RecordError, TransformError) as exc:
            result.failures.append(failure(flow, outcome.key, exc, "reserve", flow.item.loc("reserve")))
            continue
        except EndpointError as exc:
            result.failures.append(failure(flow, outcome.key, exc, "", flow.item.loc("target")))
            continue
        if flow.acks:
            try:  # every acknowledgement due for the record, in order
                requests.extend(describe_acks(endpoints, flow, outcome.record))
            except (RecordError, TransformError, EndpointError) as exc:
                result.failures.append(failure(flow, outcome.key, exc, "acknowledge",
                                               flow.item.loc("acknowledge")))
                continue
        result.payloads.append((outcome.key, outcome.payload))
        result.requests.append((outcome.key, requests))
