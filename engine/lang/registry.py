"""The explicit plugin registry.

A plugin declares its name, an argument JSON Schema, a one-line summary and examples. The schema
fragments in ``schemas/transforms.schema.json`` are generated from these declarations
(``passerelle schema --write``) and every declared example runs as a test.

Transforms
----------
A transform *factory* is called once, at compile time, with the validated argument (or ``None``
for a transform written as a bare name) and a :class:`CompileContext`. It precomputes what it can
(regexes, time zones, lookup dicts) and returns a small closure:

* ``fn(value) -> value``                 when ``needs_scope`` is False;
* ``fn(value, scope) -> value``          when ``needs_scope`` is True (the record or list item being
  mapped; used by arguments such as ``{multiply: {from: quantity}}``).

A factory rejects arguments the schema cannot judge (a bad regex, an unknown time zone, an unknown
lookup) by raising :class:`ArgError`; the compiler turns it into a located diagnostic. A closure
rejects a value it cannot handle by raising :class:`~engine.errors.TransformError`; the runtime turns
it into a record error naming flow, field, spec location and record key. Closures never mutate their
input. By convention ``None`` in gives ``None`` out unless the transform is about nulls.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import field
from pathlib import Path
from typing import Any, Protocol

from engine.util.records import frozen, mutable


class ArgError(Exception):
    """Invalid transform arguments, found by the factory at compile time."""

    def __init__(self, message: str, hint: str | None = None, at: tuple = (), offset: int = 0,
                 code: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.at = at  # sub-path inside the argument, for a precise location
        self.offset = offset  # column offset inside that string value (JMESPath errors)
        self.code = code  # the diagnostic code when not the caller's default (e.g. outside-project)


@frozen
class Example:
    """A declared example; it runs as a test. ``raises`` is a substring of the expected error."""

    args: Any
    input: Any
    output: Any = None
    raises: str | None = None
    scope: dict | None = None
    lookups: dict | None = None  # name -> lookup spec (as written in YAML) for lookup examples


@frozen
class PluginSpec:
    """A transform plugin: its function, arguments schema, summary and examples."""

    kind: str  # "transform"
    name: str
    summary: str
    args_schema: dict | None  # None: written as a bare name, takes no argument
    factory: Callable[..., Callable]
    examples: tuple[Example, ...] = ()
    needs_scope: bool = False
    args_optional: bool = False  # may be written as a bare name and with an argument
    category: str = "misc"


class CompileContext(Protocol):
    """What a factory may ask of the compiler."""

    base_dir: Path

    def lookup(self, name: str) -> Any:
        """The compiled lookup table called ``name``; raises ArgError when unknown."""

    def expression(self, text: str) -> Callable[[Any], Any]:
        """A compiled JMESPath expression evaluated against the scope; raises ArgError on bad syntax."""


@mutable
class Registry:
    """The transform plugins, by kind and name."""

    _plugins: dict[str, dict[str, PluginSpec]] = field(default_factory=dict)
    # transform name -> words(arg) -> a sentence for the client's mapping document (transforms/words.py)
    _words: dict[str, Callable[[Any], str]] = field(default_factory=dict)

    def add(self, spec: PluginSpec) -> PluginSpec:
        bucket = self._plugins.setdefault(spec.kind, {})
        if spec.name in bucket:
            raise ValueError(f"{spec.kind} {spec.name!r} registered twice")
        bucket[spec.name] = spec
        return spec

    def transform(self, name: str, *, summary: str, args: dict | None = None,
                  examples: tuple | list = (), needs_scope: bool = False,
                  args_optional: bool = False, category: str = "misc"):
        """Decorator registering a transform factory ``factory(arg, ctx) -> closure``."""

        def decorate(factory: Callable) -> Callable:
            self.add(PluginSpec("transform", name, summary, args, factory, tuple(examples),
                                needs_scope, args_optional, category))
            return factory

        return decorate

    def words(self, name: str, fn: Callable[[Any], str]) -> None:
        """Declare how transform ``name`` is written in words, given its argument (None: bare)."""
        self._words[name] = fn

    def describe(self, name: str, arg: Any) -> str | None:
        """Transform ``name`` with argument ``arg`` in words; None when it has no words template."""
        fn = self._words.get(name)
        return None if fn is None else fn(arg)

    def get(self, kind: str, name: str) -> PluginSpec | None:
        return self._plugins.get(kind, {}).get(name)

    def names(self, kind: str) -> list[str]:
        return sorted(self._plugins.get(kind, {}))

    def all(self, kind: str) -> Iterator[PluginSpec]:
        for name in self.names(kind):
            yield self._plugins[kind][name]
