"""The compiled plan: immutable, typed, final. The runtime never reads raw YAML again."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import field
from typing import Any

from engine.connectors.base import ConnectorPlan, OperationPlan, ResourcePlan
from engine.errors import Loc, TransformError
from engine.lang.lookups import LookupTable
from engine.plan.expand import FanOut, Grouping
from engine.plan.find import FindPlan
from engine.plan.related import RelatedSpec
from engine.plan.removal import RemovePlan
from engine.plan.webhooks import FlowWebhooks
from engine.project.load import Item, Project
from engine.util.records import frozen

Getter = Callable[[Any], Any]


@frozen
class WritePlan:
    """One write of a flow: its operation, the payload mapping, and the operation's ``with`` values."""

    endpoint: str
    operation: str
    op: OperationPlan
    map: Callable[[dict], Any]
    values: Mapping[str, Getter] = field(default_factory=dict)
    name: str = ""  # an acknowledgement's identity in the ledger (`name`, else "<endpoint>.<write>")
    when: Callable[[dict], bool] | None = None  # an acknowledgement sent only when true (None: always)
    loc: Loc | None = None  # where it is written

    def write_values(self, scope: Any) -> dict:
        """The operation's placeholder values for one (joined) record."""
        return {name: get(scope) for name, get in self.values.items()}


AckPlan = WritePlan  # what is written back to the source once the target confirmed a record


@frozen
class ReservePlan:
    """A flow's ``reserve`` (plan/reserve.py): its write (``map`` over the source record) and the writes
    of a refusal (``on_refused``), in the order written, each recorded under its name."""

    write: WritePlan
    on_refused: tuple[WritePlan, ...]


@frozen
class FlowPlan:
    """One compiled flow. ``map(record)`` raises RecordError (without flow and key)."""

    name: str
    item: Item
    source_endpoint: str
    source_resource: str
    source: ResourcePlan
    target_endpoint: str
    target_operation: str
    target_op: OperationPlan
    key: Getter
    accept: Callable[[dict], bool]
    related: tuple[RelatedSpec, ...]
    enrich: Callable
    map: Callable[[dict], dict]
    source_code: str
    types: Mapping[str, Callable[[dict], dict]] = field(default_factory=dict)  # by resource
    acks: tuple[WritePlan, ...] = ()  # acknowledgements, in the order written (engine.plan.acks)
    reference: Getter | None = None  # payload -> document reference (for look-ups)
    update_operation: str | None = None
    where: Mapping[str, Any] = field(default_factory=dict)
    since: str | None = None
    lookback: int = 0
    page_size: int | None = None
    schedule: str | None = None
    target_values: Mapping[str, Getter] = field(default_factory=dict)
    key_path: tuple[str, ...] | None = None  # the key as a plain field path, when it is one
    lookup_first: bool = False  # search the target by reference before every create (not only after doubt)
    lets: Callable[[Any], dict] | None = None  # record -> scope with the flow's `let` values (None: no let)
    reject: Callable[[Any], None] | None = None  # raises the RecordError of the first `reject` rule that holds
    fan_out: FanOut | None = None  # one record -> several items, each with its own key (engine/plan/expand.py)
    group: Grouping | None = None  # several records -> one, keyed by the group key
    find: FindPlan | None = None  # find-or-create: search the target before creating (plan/find.py)
    xref_type: str = ""  # the type the flow's id pairs are kept under in the cross-reference store
    source_fields: frozenset[str] | None = None  # top-level source fields the flow may read, None: all (plan/usage.py)
    # related resources read only through these top-level fields (plan/usage.py); absent: every field
    related_fields: Mapping[str, frozenset[str]] = field(default_factory=dict)
    remove: RemovePlan | None = None  # a record gone from the source is removed from the target (plan/removal.py)
    reserve: ReservePlan | None = None  # stock held in the target before the document (plan/reserve.py)
    after: tuple[str, ...] = ()  # its `after:` flows and those keeping the cross-references its `xref` transforms read
    webhooks: FlowWebhooks | None = None  # records also pushed by the source's webhooks (plan/webhooks.py)

    def endpoint_names(self) -> list[str]:
        """Every endpoint a run of this flow talks to (source, target, joins, acknowledgements)."""
        names = {self.source_endpoint, self.target_endpoint, *(spec.endpoint for spec in self.related)}
        names.update(ack.endpoint for ack in self.acks)
        if self.reserve is not None:
            names.update(w.endpoint for w in (self.reserve.write, *self.reserve.on_refused))
        return sorted(names)

    def write_values(self, enriched: dict) -> dict:
        """The target operation's placeholder values for one (joined) record."""
        return {name: get(enriched) for name, get in self.target_values.items()}

    def record_key(self, record: dict) -> Any:
        try:
            return self.key(record)
        except TransformError:
            return None

    @property
    def target(self) -> str:
        return f"{self.target_endpoint}.{self.target_operation}"


@frozen
class EndpointPlan:
    """An endpoint of the project: its compiled connector and its settings as written (``${env:}``
    references are resolved only when it opens), each with where it is written."""

    name: str
    connector: ConnectorPlan
    settings: Mapping[str, Any]
    locs: Mapping[str, Loc]  # setting -> where it is written (or the endpoint, for a default)
    loc: Loc
    concurrency: int = 1  # records of a flow written to this endpoint at the same time (runtime/parallel.py)


@frozen
class Plan:
    """A compiled project: its flows, lookups, connectors and endpoints."""

    project: Project
    flows: Mapping[str, FlowPlan]
    lookups: Mapping[str, LookupTable]
    connectors: Mapping[str, ConnectorPlan]  # by endpoint name
    endpoints: Mapping[str, EndpointPlan] = field(default_factory=dict)
    settings: Mapping[str, Any] = field(default_factory=dict)  # the project's own (`project:`)

    def run_order(self) -> list[str]:
        """Every flow, each after the flows it needs, else by name: its `after:` flows and those keeping the
        cross-references its `xref` transforms read (``FlowPlan.after``: the categories before the products),
        and the flows finding or creating the items of a resource it reads (`target.find`: the products
        before the stock and prices a flow joins to them). Flows needing each other in a cycle run by name."""
        makers: dict[tuple[str, str], set[str]] = {}
        for name, flow in self.flows.items():
            if flow.find is not None:
                makers.setdefault((flow.target_endpoint, flow.find.resource), set()).add(name)
        waiting: dict[str, set[str]] = {}
        for name, flow in self.flows.items():
            reads = {(spec.endpoint, spec.resource) for spec in flow.related}
            reads.add((flow.source_endpoint, flow.source_resource))
            waiting[name] = ({a for a in flow.after if a in self.flows}
                             | {maker for read in reads for maker in makers.get(read, ())}) - {name}
        order: list[str] = []
        while waiting:  # the first by name whose needs ran: as close to name order as the needs allow
            name = next((n for n in sorted(waiting) if not waiting[n]), None) or min(waiting)
            del waiting[name]
            order.append(name)
            for needs in waiting.values():
                needs.discard(name)
        return order
