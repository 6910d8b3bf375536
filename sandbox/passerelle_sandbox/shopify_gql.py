"""A small, real GraphQL engine for the Shopify simulator: parse, validate, cost, execute.

Parsing lives in :mod:`.shopify_gqlparse`. Here: variable coercion (``operationName``, defaults,
``INVALID_VARIABLE``), validation against the schema, cost, and execution returning only the requested
fields (aliases, ``__typename``, inline fragments on interfaces, ``@include``/``@skip``).

The schema is a dict ``type name -> {field name: F}`` (see :mod:`.shopify_schema`). Validation errors use
Shopify's codes (``undefinedField``, ``argumentNotAccepted``, ``selectionMismatch``) and the error shape
``{"message", "locations": [{"line", "column"}], "path", "extensions": {"code"}}``.

A real Admin API field the simulator does not serve (``F(simulated=False)``) answers ``NOT_SIMULATED``,
never Shopify's own ``undefinedField``: a connector bug must not look like a genuine vendor answer. The
simulator knows every field of the types it models, so an unknown field there is ``undefinedField`` as
Shopify says it; but it serves few of the root's fields, so any root (query or mutation) field it does not
know is ``NOT_SIMULATED`` (HTTP 501, see :mod:`.shopify`).

Cost, as shopify.dev "GraphQL Admin API rate limits" describes it: scalars and enums 0, an object 1, a
connection 2 + (``first``/``last``) × the cost of one node; a mutation field costs 10. ``requested``
is computed before running from the arguments; ``actual`` counts what was really returned.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from passerelle_sandbox.shopify_gqlparse import EnumValue, Field, GqlError, Inline, Operation, Var, parse

__all__ = ["F", "GqlError", "Typed", "Connection", "execute", "parse", "SCALARS"]

SCALARS = frozenset({"String", "ID", "Int", "Float", "Boolean", "DateTime", "Decimal", "URL", "Money",
                     "UnsignedInt64", "JSON", "Enum"})
MUTATION_COST = 10


@dataclass
class F:
    """A schema field: return ``type`` (scalar, enum or object type name), resolver, shape, arguments."""

    type: str
    resolve: Callable[[Any, dict, Any], Any]
    list: bool = False
    connection: bool = False
    args: tuple[str, ...] = ()
    simulated: bool = True  # False: a real Admin API field the simulator does not serve (NOT_SIMULATED)


@dataclass
class Typed:
    """A value whose concrete type differs from the field's declared (interface) type."""

    typename: str
    value: Any


@dataclass
class Connection:
    """What a connection resolver returns: ``(cursor, node)`` pairs and the page flags."""

    edges: list[tuple[str, Any]]
    has_next: bool = False
    has_previous: bool = False


# -- variables and arguments ----------------------------------------------------------------------

def _coerce(vtype: str, value: Any) -> bool:
    """Does ``value`` fit the variable type text (``Int!``, ``[String!]!``, input objects)?"""
    if vtype.endswith("!"):
        return value is not None and _coerce(vtype[:-1], value)
    if value is None:
        return True
    if vtype.startswith("["):
        items = value if isinstance(value, list) else [value]
        return all(_coerce(vtype[1:-1], item) for item in items)
    checks = {"Int": lambda v: isinstance(v, int) and not isinstance(v, bool),
              "Float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
              "String": lambda v: isinstance(v, str), "ID": lambda v: isinstance(v, (str, int)),
              "Boolean": lambda v: isinstance(v, bool), "URL": lambda v: isinstance(v, str),
              "DateTime": lambda v: isinstance(v, str), "Decimal": lambda v: isinstance(v, (str, int, float))}
    check = checks.get(vtype)
    return check(value) if check else isinstance(value, (dict, str))


def _resolve_value(value: Any, variables: dict[str, Any]) -> Any:
    if isinstance(value, Var):
        return variables.get(value.name)
    if isinstance(value, EnumValue):
        return value.name
    if isinstance(value, list):
        return [_resolve_value(v, variables) for v in value]
    if isinstance(value, dict):
        return {k: _resolve_value(v, variables) for k, v in value.items()}
    return value


def _included(directives: list, variables: dict[str, Any]) -> bool:
    for name, args in directives:
        flag = _resolve_value(args.get("if"), variables)
        if (name == "skip" and flag) or (name == "include" and not flag):
            return False
    return True


# -- validation + requested cost ------------------------------------------------------------------

class _Checker:
    def __init__(self, schema: dict[str, dict[str, F]], variables: dict[str, Any], op: Operation) -> None:
        self.schema, self.variables = schema, variables
        self.errors: list[GqlError] = []
        self.op_path = f"{op.kind} {op.name}" if op.name else op.kind
        self.mutation = op.kind == "mutation"

    def cost(self, selections: list, type_name: str, path: list, top: bool = False) -> int:
        total = 0
        fields = self.schema.get(type_name, {})
        for sel in selections:
            if isinstance(sel, Inline):
                target = sel.on or type_name
                if target not in self.schema:
                    self.errors.append(GqlError(f"No such type {target}, so it can't be a fragment condition",
                                                sel.loc, "undefinedType", [*path, f"... on {target}"]))
                    continue
                total += self.cost(sel.selections, target, path)
                continue
            here = [*path, sel.alias]
            if sel.name == "__typename":
                continue
            spec = fields.get(sel.name)
            if spec is None and top:  # the root has hundreds of real fields: an unknown one is not simulated
                self.errors.append(GqlError(f"Field '{sel.name}' on type '{type_name}' is not simulated (the "
                                            "Shopify simulator serves a subset of the Admin API)", sel.loc,
                                            "NOT_SIMULATED", here, typeName=type_name, fieldName=sel.name))
                continue
            if spec is None:
                self.errors.append(GqlError(f"Field '{sel.name}' doesn't exist on type '{type_name}'", sel.loc,
                                            "undefinedField", here, typeName=type_name, fieldName=sel.name))
                continue
            if not spec.simulated:  # never the vendor's "doesn't exist" for a field Shopify has
                self.errors.append(GqlError(f"Field '{sel.name}' on type '{type_name}' is not simulated (the "
                                            "Shopify simulator serves a subset of the Admin API)", sel.loc,
                                            "NOT_SIMULATED", here, typeName=type_name, fieldName=sel.name))
                continue
            for arg in sel.args:
                if arg not in spec.args:
                    self.errors.append(GqlError(f"Field '{sel.name}' doesn't accept argument '{arg}'", sel.loc,
                                                "argumentNotAccepted", here, name=sel.name, typeName="Field",
                                                argumentName=arg))
            scalar = spec.type in SCALARS or spec.type not in self.schema
            if scalar and sel.selections:
                names = ", ".join(s.alias for s in sel.selections if isinstance(s, Field))
                self.errors.append(GqlError(f"Selections can't be made on scalars (field '{sel.name}' returns "
                                            f"{spec.type} but has selections [{names}])",
                                            sel.loc, "selectionMismatch", here, nodeName=f"field '{sel.name}'",
                                            typeName=spec.type))
                continue
            if not scalar and not sel.selections:
                self.errors.append(GqlError(f"Field must have selections (field '{sel.name}' returns {spec.type} "
                                            "but has no selections. Did you mean '" + sel.name + " { ... }'?)",
                                            sel.loc, "selectionMismatch", here, nodeName=f"field '{sel.name}'",
                                            typeName=spec.type))
                continue
            if scalar:
                continue
            if spec.connection:
                args = {k: _resolve_value(v, self.variables) for k, v in sel.args.items()}
                size = args.get("first") or args.get("last") or 0
                per_item = self.connection_item(sel.selections, spec.type, here)
                total += 2 + (size if isinstance(size, int) else 0) * per_item
            else:
                total += 1 + self.cost(sel.selections, spec.type, here)
            if top and self.mutation:
                total += MUTATION_COST - 1
        return total


    def connection_item(self, selections: list, conn_type: str, path: list) -> int:
        """Validate a connection's selections; return the cost of one node (1 + its selections)."""
        node_type = self.schema[conn_type]["nodes"].type
        per_item = 0
        for child in selections:
            if isinstance(child, Inline) or child.name == "__typename":
                continue
            here = [*path, child.alias]
            if child.name == "nodes":
                per_item += 1 + self.cost(child.selections or [], node_type, here)
            elif child.name == "pageInfo":
                self.cost(child.selections or [], "PageInfo", here)
            elif child.name == "edges":
                for part in child.selections or []:
                    if isinstance(part, Field) and part.name == "node":
                        per_item += 1 + self.cost(part.selections or [], node_type, [*here, part.alias])
                    elif isinstance(part, Field) and part.name not in ("cursor", "__typename"):
                        edge = conn_type.replace("Connection", "Edge")
                        self.errors.append(GqlError(f"Field '{part.name}' doesn't exist on type '{edge}'",
                                                    part.loc, "undefinedField", [*here, part.alias],
                                                    typeName=edge, fieldName=part.name))
            else:
                self.errors.append(GqlError(f"Field '{child.name}' doesn't exist on type '{conn_type}'", child.loc,
                                            "undefinedField", here, typeName=conn_type, fieldName=child.name))
        return per_item


# -- execution ------------------------------------------------------------------------------------

class _Runner:
    def __init__(self, schema: dict[str, dict[str, F]], variables: dict[str, Any], ctx: Any) -> None:
        self.schema, self.variables, self.ctx = schema, variables, ctx
        self.errors: list[GqlError] = []
        self.actual = 0

    def selections(self, selections: list, type_name: str, parent: Any, path: list) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for sel in selections:
            if not _included(sel.directives, self.variables):
                continue
            if isinstance(sel, Inline):
                if sel.on is None or sel.on == type_name:
                    out.update(self.selections(sel.selections, type_name, parent, path))
                continue
            if sel.name == "__typename":
                out[sel.alias] = type_name
                continue
            spec = self.schema[type_name][sel.name]
            args = {k: _resolve_value(v, self.variables) for k, v in sel.args.items()}
            here = [*path, sel.alias]
            try:
                value = spec.resolve(parent, args, self.ctx)
            except GqlError as error:
                error.path = error.path or here
                error.loc = error.loc or sel.loc
                self.errors.append(error)
                out[sel.alias] = None
                continue
            out[sel.alias] = self.complete(spec, sel, value, here)
        return out

    def complete(self, spec: F, sel: Field, value: Any, path: list) -> Any:
        if value is None:
            return None
        if spec.type in SCALARS or spec.type not in self.schema:
            return value
        if spec.connection:
            self.actual += 2
            return self.connection(spec.type, sel, value, path)
        if spec.list:
            return [self.obj(spec.type, sel.selections, item, [*path, i]) for i, item in enumerate(value)]
        return self.obj(spec.type, sel.selections, value, path)

    def obj(self, type_name: str, selections: list, value: Any, path: list) -> Any:
        if isinstance(value, Typed):
            type_name, value = value.typename, value.value
        self.actual += 1
        return self.selections(selections, type_name, value, path)

    def connection(self, conn_type: str, sel: Field, conn: Connection, path: list) -> dict[str, Any]:
        node_type = self.schema[conn_type]["nodes"].type
        out: dict[str, Any] = {}
        for child in sel.selections or []:
            if isinstance(child, Inline) or not _included(child.directives, self.variables):
                continue
            key = child.alias
            if child.name == "__typename":
                out[key] = conn_type
            elif child.name == "pageInfo":
                info = {"hasNextPage": conn.has_next, "hasPreviousPage": conn.has_previous,
                        "startCursor": conn.edges[0][0] if conn.edges else None,
                        "endCursor": conn.edges[-1][0] if conn.edges else None}
                out[key] = {s.alias: (info.get(s.name) if s.name != "__typename" else "PageInfo")
                            for s in child.selections or [] if isinstance(s, Field)}
            elif child.name == "nodes":
                out[key] = [self.obj(node_type, child.selections, node, [*path, key, i])
                            for i, (_, node) in enumerate(conn.edges)]
            elif child.name == "edges":
                edges = []
                for i, (cursor, node) in enumerate(conn.edges):
                    edge: dict[str, Any] = {}
                    for part in child.selections or []:
                        if not isinstance(part, Field):
                            continue
                        if part.name == "cursor":
                            edge[part.alias] = cursor
                        elif part.name == "node":
                            edge[part.alias] = self.obj(node_type, part.selections, node, [*path, key, i, "node"])
                        elif part.name == "__typename":
                            edge[part.alias] = conn_type.replace("Connection", "Edge")
                    edges.append(edge)
                out[key] = edges
        return out


def execute(schema: dict[str, dict[str, F]], document: list[Operation], operation_name: str | None,
            variables: dict[str, Any] | None, ctx: Any, *, run: Callable[[int], Any] | None = None
            ) -> tuple[dict[str, Any], int | None, int | None]:
    """Validate and run. Returns (body without ``extensions``, requested cost, actual cost).

    ``run(requested)`` is called between validation and execution (the throttle check): it may raise
    :class:`GqlError` to stop (actual cost is then None).
    """
    if operation_name:
        ops = [op for op in document if op.name == operation_name]
        if not ops:
            raise GqlError(f'No operation named "{operation_name}"')
        op = ops[0]
    elif len(document) > 1:
        raise GqlError("An operation name is required")
    else:
        op = document[0]
    given = dict(variables or {})
    values: dict[str, Any] = {}
    for name, (vtype, default) in op.variables.items():
        value = given.get(name, _resolve_value(default, {}))
        if not _coerce(vtype, value):
            raise GqlError(f"Variable ${name} of type {vtype} was provided invalid value", op.loc,
                           "INVALID_VARIABLE", value=value, problems=[{"path": [], "explanation":
                                                                      "Expected value to not be null" if value is None
                                                                      else f"Could not coerce value to {vtype}"}])
        values[name] = value
    root = "Mutation" if op.kind == "mutation" else "QueryRoot"
    checker = _Checker(schema, values, op)
    requested = checker.cost(op.selections, root, [checker.op_path], top=True)
    if checker.errors:
        return {"errors": [e.render() for e in checker.errors]}, None, None
    if run is not None:
        run(requested)
    runner = _Runner(schema, values, ctx)
    data = runner.selections(op.selections, root, None, [])
    actual = runner.actual + (MUTATION_COST - 1) * sum(1 for s in op.selections if isinstance(s, Field)) \
        if op.kind == "mutation" else runner.actual
    body: dict[str, Any] = {}
    if runner.errors:
        body["errors"] = [e.render() for e in runner.errors]
    body["data"] = data
    return body, requested, actual
