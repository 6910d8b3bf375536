"""The endpoint protocol every transport implements, and the compiled plans of connector definitions.

A connector definition (``specs/connectors/*.yaml``) is compiled once, at validate, into a
:class:`ConnectorPlan`: typed resource and operation plans whose templates, placeholders and JMESPath
expressions are parsed and checked. An :class:`Endpoint` is one connector plan opened with one
client's settings; the runtime talks to HTTP, ODBC and file endpoints through the same methods.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import field
from typing import Any, Protocol

from engine.lang.expr import CompiledExpr
from engine.util.records import frozen, mutable


@frozen
class SettingDecl:
    """A setting an endpoint supplies (base_url, credentials...)."""

    name: str
    required: bool = False
    secret: bool = False
    default: Any = None
    has_default: bool = False
    description: str | None = None


@frozen
class FilterSupport:
    """What a resource can be filtered on: ``fields`` None means any field."""

    fields: frozenset[str] | None = None

    def accepts(self, name: str) -> bool:
        return self.fields is None or name in self.fields


@frozen
class ResourcePlan:
    """A readable resource. ``where``/``since``/``keys`` say which filters the system understands
    (None: that filter cannot be asked for); ``detail`` is the protocol's own compiled part."""

    name: str
    key: str | None
    item: str | None
    types: Mapping[str, str]
    where: FilterSupport | None
    since: FilterSupport | None
    keys: FilterSupport | None
    detail: Any = None

    def key_support(self) -> FilterSupport | None:
        """Fetching records by key values (related joins): ``keys`` when declared, else ``where``."""
        return self.keys or self.where


@frozen
class OperationPlan:
    """A write or look-up. ``needs`` are the values its templates take from the flow (``with``)."""

    name: str
    needs: frozenset[str]
    creates: bool = False
    idempotent: bool = False
    find: str | None = None
    find_id: CompiledExpr | None = None
    find_key: str | None = None
    description: str | None = None
    detail: Any = None
    contract: Any = None  # engine.connectors.contract.Contract: the payload it accepts (`accepts:`)
    refused: frozenset[int] = frozenset()  # a reservation's answers (statuses) that mean "refused" (`refused:`)


@frozen
class ConnectorPlan:
    """A compiled connector definition: its settings, resources and operations."""

    name: str
    protocol: str
    settings: Mapping[str, SettingDecl]
    resources: Mapping[str, ResourcePlan]
    operations: Mapping[str, OperationPlan]
    detail: Any = None
    summary: str | None = None
    source: Mapping[str, Any] = field(default_factory=dict)  # the definition as written, for display
    webhooks: Any = None  # the webhooks it sends (engine.connectors.webhooks.WebhookDecl), None: none

    def setting_names(self) -> list[str]:
        return list(self.settings)


class IncompleteRecord(dict):
    """A record an endpoint could not read whole: a nested list (an order's lines) with more entries
    than it could fetch. It stays the record, in its place in the page (its key can be named), but the
    record pipeline sets it aside with ``reason``, naming ``field``: a record is never passed on
    truncated. The same for every protocol."""

    __slots__ = ("reason", "field")

    def __init__(self, record: Mapping[str, Any], reason: str, field: str = ""):
        super().__init__(record)
        self.reason, self.field = reason, field


@mutable
class WriteResult:
    """What one write gave back: the HTTP status (if any), the body, the created id."""

    status: int | None
    body: Any
    result: Any  # the created id (e.g. the Sage piece number), or None


class TokenStore(Protocol):
    """Where a rotated credential (a refresh token a server spends on use) survives the run; the run
    state implements it."""

    def get(self, name: str) -> str | None: ...

    def set(self, name: str, value: str) -> None: ...


class Endpoint(Protocol):
    """One connector plan opened with one client's settings."""

    name: str

    def read(self, resource: str, *, where: Mapping[str, Any] | None = None,
             since: tuple[str, Any] | None = None, keys: tuple[str, list] | None = None,
             page_size: int | None = None) -> Iterator[list[dict]]:
        """Pages of raw records. ``since`` = (field, value); ``keys`` = (field, values). A record that
        could not be read whole is an :class:`IncompleteRecord`."""
        ...

    def write(self, operation: str, payload: Any, values: Mapping[str, Any] | None = None) -> WriteResult:
        """Send one mapped payload; raises EndpointError (``transient``/``outcome_unknown`` say what
        the runtime may do next)."""
        ...

    def find(self, operation: str, values: Mapping[str, Any]) -> list:
        """Run a look-up operation; an answer that cannot be read raises (never "absent")."""
        ...

    def describe_write(self, operation: str, payload: Any, values: Mapping[str, Any] | None = None) -> dict:
        """What a write would send, every credential masked: {method, url, headers, body}."""
        ...

    def location(self) -> str:
        """Where the endpoint points, credentials masked (for messages and `check`)."""
        ...

    def close(self) -> None:
        ...


@frozen
class ProtocolSpec:
    """A transport. Its hooks compile the protocol's part of a definition; ``open`` makes an endpoint."""

    name: str
    summary: str
    compile_connector: Callable[..., Any]  # (definition, ConnectorCompiler) -> connector detail
    compile_resource: Callable[..., Any]  # (name, resource, ctx, detail) -> (detail, (where, since, keys))
    compile_operation: Callable[..., Any]  # (name, operation, ctx, detail, needs) -> detail
    open: Callable[..., Endpoint]  # (endpoint name, ConnectorPlan, settings, **options) -> Endpoint
    resource_keys: frozenset[str] = frozenset()  # keys of a resource definition the protocol reads
    operation_keys: frozenset[str] = frozenset()  # keys of an operation definition the protocol reads
    concurrent: bool = False  # its endpoints take requests from several threads (an endpoint's `concurrency`)
