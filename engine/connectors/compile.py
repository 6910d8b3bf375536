"""Connector definition -> :class:`~engine.connectors.base.ConnectorPlan`, every problem located.

The generic part (settings, resource keys and types, operation flags, find/find_id) is here; each
protocol compiles its own part through the hooks of its :class:`~engine.connectors.registry.ProtocolSpec`.
Templates are parsed and their placeholders checked (``{settings.NAME}`` must be a declared setting;
an operation's other placeholders are the values a flow must give in ``with``), JMESPath expressions
are compiled: a connector mistake is a validate error, not a failure on the first record.
"""
from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from engine.connectors.base import ConnectorPlan, Endpoint, OperationPlan, ResourcePlan, SettingDecl
from engine.connectors.context import ConnectorCompiler, Locate
from engine.connectors.contract import compile_contract
from engine.connectors.errors import ConnectorError
from engine.connectors.registry import open_endpoint, protocol
from engine.connectors.webhooks import compile_webhooks
from engine.errors import Diagnostic
from engine.util.suggest import hint_for

COMMON_RESOURCE_KEYS = frozenset({"description", "key", "item", "types"})
COMMON_OPERATION_KEYS = frozenset({"description", "creates", "idempotent", "find", "find_id", "find_key",
                                   "accepts"})


def _foreign_keys(ctx: ConnectorCompiler, protocol_name: str, entry: Mapping, known: frozenset, path: tuple) -> None:
    """Keys the schema allows for some protocol but that this connector's protocol does not read."""
    for key in entry:
        if key not in known:
            ctx.error("foreign-key", f"`{key}` is not used by {protocol_name} connectors", path + (key,),
                      hint_for(key, known, "keys"))


def _settings(data: Mapping) -> dict[str, SettingDecl]:
    out = {}
    for name, decl in (data.get("settings") or {}).items():
        decl = decl if isinstance(decl, dict) else {}
        out[name] = SettingDecl(name, bool(decl.get("required")), bool(decl.get("secret")), decl.get("default"),
                                "default" in decl, decl.get("description"))
    return out


def _contract(ctx: ConnectorCompiler, op: Mapping, path: tuple, system: str):
    """The operation's `accepts:` compiled once; each mistake a located `bad-contract`."""
    if op.get("accepts") is None:  # none declared, or dropped by an endpoint's override (`accepts: null`)
        return None
    return compile_contract(op["accepts"], system, lambda message, sub, hint: ctx.error(
        "bad-contract", message, path + ("accepts",) + sub, hint))


def compile_connector(data: Mapping[str, Any], locate: Locate) -> tuple[ConnectorPlan | None, list[Diagnostic]]:
    """Compile the mapping under ``connector:`` (schema-valid). Returns the plan (None when the
    protocol part could not be built) and every diagnostic found."""
    name = str(data.get("name"))
    spec = protocol(str(data.get("protocol")))
    ctx = ConnectorCompiler(name, locate, _settings(data))
    if spec is None:  # the schema's enum names the protocols; a definition cannot get here otherwise
        ctx.error("unknown-protocol", f"protocol {data.get('protocol')!r} is not known", ("protocol",))
        return None, ctx.diagnostics
    detail = spec.compile_connector(data, ctx)
    resources = {}
    for res_name, res in (data.get("resources") or {}).items():
        res = res if isinstance(res, dict) else {}
        _foreign_keys(ctx, spec.name, res, COMMON_RESOURCE_KEYS | spec.resource_keys, ("resources", res_name))
        res_detail, supports = spec.compile_resource(res_name, res, ctx, detail)
        where, since, keys = supports
        resources[res_name] = ResourcePlan(res_name, res.get("key"), res.get("item"),
                                           MappingProxyType(dict(res.get("types") or {})), where, since, keys,
                                           res_detail)
    operations = {}
    raw_ops = data.get("operations") or {}
    for op_name, op in raw_ops.items():
        op = op if isinstance(op, dict) else {}
        _foreign_keys(ctx, spec.name, op, COMMON_OPERATION_KEYS | spec.operation_keys, ("operations", op_name))
        needs: set[str] = set()
        op_detail = spec.compile_operation(op_name, op, ctx, detail, needs)
        path = ("operations", op_name)
        find = op.get("find")
        if find is not None and find not in raw_ops:
            ctx.error("unknown-operation", f"`find` names no operation of connector '{name}': '{find}'",
                      path + ("find",), hint_for(find, raw_ops, "operations"))
        operations[op_name] = OperationPlan(op_name, frozenset(needs), bool(op.get("creates")),
                                            bool(op.get("idempotent")), find,
                                            ctx.expression(op.get("find_id"), path + ("find_id",), "find_id"),
                                            op.get("find_key"), op.get("description"), op_detail,
                                            _contract(ctx, op, path, str(data.get("system") or name)),
                                            frozenset(op.get("refused") or ()))
    for op_name, op in operations.items():  # a look-up gets only the reference
        found = operations.get(op.find) if op.find else None
        if found is not None and found.needs - {"reference"}:
            extra = ", ".join(f"{{{n}}}" for n in sorted(found.needs - {"reference"}))
            ctx.error("bad-find", f"look-up '{op.find}' needs {extra}, but a look-up by reference gets only "
                      "{reference}", ("operations", op_name, "find"))
    plan = ConnectorPlan(name, spec.name, MappingProxyType(ctx.settings), MappingProxyType(resources),
                         MappingProxyType(operations), detail, data.get("summary"),
                         MappingProxyType(dict(data)), compile_webhooks(data, ctx))
    return plan, ctx.diagnostics


def open_connector(name: str, definition: Mapping[str, Any], settings: Mapping[str, Any], **options) -> Endpoint:
    """Compile a connector definition (the mapping under ``connector:``) and open it: for scripts and
    tests that hold a definition rather than a project. Raises ConnectorError when it does not compile."""
    plan, diags = compile_connector(definition, lambda path: None)
    errors = [d for d in diags if d.is_error]
    if plan is None or errors:
        raise ConnectorError(errors)
    return open_endpoint(name, plan, settings, **options)
