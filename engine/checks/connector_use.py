"""Checks of what a flow asks of its connectors, so a spec that validates does not fail on its first
request: every placeholder of an operation gets a value from the flow, and every filter (``where``,
``since``, a related join by key) is one the resource says it understands."""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from engine.connectors.base import OperationPlan, ResourcePlan
from engine.errors import Diagnostic
from engine.project.load import Item
from engine.spec.yamlsrc import format_path


def _label(item: Item, path: tuple) -> str:
    return format_path(("flows", item.name) + path)  # list items as [N]


def check_write_values(item: Item, path: tuple, endpoint: str, operation: OperationPlan,
                       given: Mapping | None, provided: Iterable[str] = ()) -> Iterator[Diagnostic]:
    """The operation's placeholders (``{id}`` in its path...) are all given by ``path + ('with',)``."""
    given = given if isinstance(given, Mapping) else {}
    missing = sorted(operation.needs - set(given) - set(provided))
    if not missing:
        return
    names = ", ".join(f"{{{n}}}" for n in missing)
    example = ", ".join(f"{n}: <expression>" for n in missing)
    where = path + ("with",) if "with" in _keys(item, path) else path + ("write",)
    yield Diagnostic("missing-value", f"operation '{operation.name}' of endpoint '{endpoint}' needs {names}, "
                     f"which the flow does not give", item.loc(*where), _label(item, where),
                     f"add `with: {{{example}}}` under `{_label(item, path)}` (an expression over the "
                     "record, e.g. `id`)")


def _keys(item: Item, path: tuple) -> Iterable:
    data = item.data
    for step in path:  # a step is a key, or an index in a list (`acknowledge: [...]`)
        if isinstance(data, list) and isinstance(step, int) and 0 <= step < len(data):
            data = data[step]
        else:
            data = data.get(step) if isinstance(data, dict) else None
    return data if isinstance(data, dict) else {}


def check_source_filters(item: Item, resource: ResourcePlan, endpoint: str, where: object,
                         since: object) -> Iterator[Diagnostic]:
    """``source.where`` and ``source.since`` are filters the resource can apply."""
    if isinstance(where, Mapping):
        for field in where:
            if resource.where is None:
                yield _refused(item, ("source", "where", field), resource, endpoint, "filtered",
                               "remove `where` and keep the records you want with `filter:` (applied after "
                               "reading)", key=True)
                break
            if not resource.where.accepts(field):
                yield _refused(item, ("source", "where", field), resource, endpoint, f"filtered on '{field}'",
                               f"it can be filtered on: {_fields(resource.where.fields)}", key=True)
    if isinstance(since, str):
        if resource.since is None:
            yield _refused(item, ("source", "since"), resource, endpoint, "read incrementally",
                           "remove `since`: every run then reads the whole resource")
        elif not resource.since.accepts(since):
            yield _refused(item, ("source", "since"), resource, endpoint, f"read incrementally on '{since}'",
                           f"its cursor fields: {_fields(resource.since.fields)}")


def check_join(item: Item, path: tuple, resource: ResourcePlan, endpoint: str, field: str) -> Iterator[Diagnostic]:
    """A related join that fetches records by key: the resource must be able to filter on that key."""
    support = resource.key_support()
    if support is not None and support.accepts(field):
        return
    what = "fetched by key" if support is None else f"fetched by '{field}'"
    hint = "add `reference: true` to read the whole list once per run and join in memory"
    if support is not None and support.fields:
        hint = f"it can be fetched by: {_fields(support.fields)}; or " + hint
    yield _refused(item, path + ("match",), resource, endpoint, what, hint)


def check_find(item: Item, path: tuple, resource: ResourcePlan, endpoint: str,
               fields: Iterable[str]) -> Iterator[Diagnostic]:
    """``target.find``: the resource can be read filtered on every ``match`` field (its ``where``)."""
    for field in fields:
        if resource.where is None:
            yield _refused(item, path + ("match", field), resource, endpoint, "filtered",
                           "the connector must declare `query.where` for this resource (with `fields:` "
                           f"naming '{field}')", key=True)
            return
        if not resource.where.accepts(field):
            yield _refused(item, path + ("match", field), resource, endpoint, f"filtered on '{field}'",
                           f"it can be filtered on: {_fields(resource.where.fields)}", key=True)


def _refused(item: Item, path: tuple, resource: ResourcePlan, endpoint: str, what: str, hint: str,
             key: bool = False) -> Diagnostic:
    loc = item.key_loc(*path) if key else item.loc(*path)
    return Diagnostic("unsupported-filter", f"resource '{resource.name}' of endpoint '{endpoint}' cannot be "
                      f"{what}", loc, _label(item, path), hint)


def _fields(fields: frozenset[str] | None) -> str:
    return ", ".join(sorted(fields)) if fields else "any field"
