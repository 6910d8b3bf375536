"""A file dry-run's large input files read while its plan is still being compiled.

Before a file dry-run maps anything it imports the compiler, loads and compiles the project: about
0.2 s, on one core. Reading its input files (lxml's parse, elements -> dicts) needs only a few facts
of that plan - the flow's source resource, the XML reading options of its connector, the names of its
list elements, the top-level fields of each resource the flow may read (plan/readfields.py) - and
those facts are the same from one dry-run of a flow to the next as long as its specs are. So the last
dry-run of the same project and flow leaves them, as a *recipe*, in the cache of parsed specs
(``PASSERELLE_CACHE_DIR``, ``reads-1/``; ``--no-cache`` neither reads nor writes it), and the next one
forks, before compiling anything, one reader child per large input file (decodeworker.py's: pages of
records through a pipe) that reads it by that recipe while this process compiles.

Nothing rests on the recipe being current: once the plan is compiled, the dry-run works the recipe out
again (:func:`recipe`) and takes a child's records only when both are the same and the file was asked
to be read as the child read it (:meth:`EarlyReaders.claim`); otherwise the children are stopped and
every file is read as without them, and the recipe of the day is kept for the next run. A claimed
child is one of decodeworker's readers: same records in the same order, and an error met in the file
is met again by this process, with its own text, after the same records.

Children are forked only where the dry-run would read in children anyway (``--parallel-read`` not
refused, ``fork`` available, several cores, one free) and for the inputs it would give a child
(``WORKER_BYTES`` or more) when the related files will be indexed in memory: all but the largest (taken
as the source) within ``RELATED_MEMORY`` (or ``--related-memory``). Rows indexed on disk go there raw, and
such a source is mapped by two processes each parsing it (splitmap.py): a reader started early for them
would not be taken (a related file read early is not taken then either, whatever the guess said). The
source's reader gives way (nice 19) to this process's compile and to the related files' readers, whose
records are needed first. Whatever happens to the dry-run - a spec error, an unreadable file, an
interruption, a file read otherwise - :meth:`EarlyReaders.close` stops and reaps every child not claimed.
"""
from __future__ import annotations

import os
from pathlib import Path

from engine.runtime.decodeworker import SPARE_NICE, available, core_free, forked_reader, reap, received
from engine.spec.yamlcache import read_entry, write_entry
from engine.util.digest import blake2b

WORKER_BYTES = 1_000_000  # a smaller file is read in the dry-run's process: a second one costs more than it saves
# a source file this size or more may be mapped by two processes each parsing it (splitmap.py; see fed()), a
# smaller one is read ahead by a child: at 1,000 orders (3.7 MB) parsing it twice cost more than it saved
SPLIT_BYTES = 8_000_000
# related files up to this size (bytes, all together) are indexed in memory, larger ones on disk (a dry-run's
# --related-memory); readers are started early only where they will be in memory (their rows come typed)
RELATED_MEMORY = 32_000_000
FOLDER = "reads-1"
VERSION = 1
Recipe = dict  # plain values only: the cache's reader unpickles nothing else
TYPE_CHECKING = False  # (typing's; this module is imported before the CLI's, its start-up is on the readers' path)
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any
_prestarted: list[tuple[tuple, EarlyReaders | None]] = []  # prestart()'s arguments and readers, not taken yet


class NotStreamed(Exception):
    """The file is not one list of records read one at a time: this process reads it itself."""


def recipe(flow: Any, options: Any, singular: dict[str, str]) -> Recipe:
    """What reading an input file of ``flow`` depends on, as plain values: its source resource, its
    connector's XML options (``None``: not XML by the connector), the resource names of its singular
    list elements, the fields of each resource the flow may read (any other: all of them), and the
    type declarations of the related resources (their rows are typed by their reader: plan/coerce.py)."""
    from dataclasses import fields as dataclass_fields

    from engine.plan.readfields import fields_read  # (once the plan is compiled: not before the fork)

    names = {flow.source_resource, *singular.values(), *flow.related_fields,
             *(spec.resource for spec in flow.related)}
    declared = {name: getattr(flow.types.get(name), "declared", None) for name in sorted(names - {flow.source_resource})}
    return {"version": VERSION, "source": flow.source_resource, "singular": dict(singular),
            "xml": None if options is None else {f.name: _plain(getattr(options, f.name))
                                                 for f in dataclass_fields(options)},
            "fields": {name: fields_read(flow, name) for name in sorted(names)},
            "types": {name: types for name, types in declared.items() if types is not None}}


def _plain(value: Any) -> Any:
    return dict(value) if hasattr(value, "keys") else value  # the item names' read-only mapping


def fed(source: float, related: float | None) -> bool:
    """Whether a source file of ``source`` bytes is read ahead by a child (feeding a mapper child,
    fedmap.py, where its related rows are in memory), not parsed by two processes (splitmap.py): when it is
    below SPLIT_BYTES, or when its related files (``related`` bytes in memory; None: on disk) are read by
    children meanwhile (WORKER_BYTES or more: at 10,000 orders the split took 1/0.87 the time, one core
    idle while they were read)."""
    return source < SPLIT_BYTES or (related is not None and related >= WORKER_BYTES)


def prestart(project: Path, flow: str, inputs: list[tuple[str | None, Path]], workers: bool | None,
             cache: Path | None) -> None:
    """A console entry point's :func:`start`, from a plain command line read before the CLI's modules are
    imported (engine/cli/quickargs.py): the readers begin ~35 ms sooner (the readers' modules are loaded
    first, here: each child loading them itself cost more CPU time than it saved). The dry-run's own
    :func:`start` takes them when it asks for the same arguments, and stops them otherwise."""
    _prestarted.append((_arguments(project, flow, inputs, None, workers, cache, None),
                        start(project, flow, inputs, None, workers, cache)))


def _arguments(*given: Any) -> tuple:
    """:func:`start`'s arguments as one value (what a prestart is taken for), the inputs' list as a tuple."""
    return tuple(tuple(value) if isinstance(value, list) else value for value in given)


def start(project: Path, flow: str, inputs: list[tuple[str | None, Path]], max_bytes: int | None,
          workers: bool | None, cache: Path | None, related_memory: int | None = None) -> EarlyReaders | None:
    """The readers of the files of a dry-run of ``flow`` started now from the recipe its last dry-run
    left in the folder ``cache`` (``None``: no cache, no readers, nothing kept); none when the inputs
    may exceed ``related_memory`` (``--related-memory``: related rows indexed on disk, from raw rows).
    Those :func:`prestart` started for the same arguments, if any."""
    if _prestarted:
        asked, early = _prestarted.pop()
        if early is not None and early.reading and \
                asked == _arguments(project, flow, inputs, max_bytes, workers, cache, related_memory):
            return early
        if early is not None:  # other arguments, or none started (no core was free then): asked again now
            early.close()
    if cache is None:
        return None
    key = blake2b(f"{project.resolve()}\0{flow}".encode(), digest_size=16).hexdigest()
    entry = cache / FOLDER / f"{key}.pickle"
    found = read_entry(entry)
    early = EarlyReaders(entry, found if isinstance(found, dict) and found.get("version") == VERSION else None)
    if early.recipe is None or workers is False or not available():
        return early
    try:
        sizes = [os.stat(path).st_size for _, path in inputs]
    except (OSError, ValueError):
        return early  # reported by the dry-run itself
    source = max(sizes)  # (the largest file taken as the source: the others are the related ones)
    related = sum(sizes) - source
    if related > (RELATED_MEMORY if related_memory is None else related_memory) or \
            not fed(source, related) or not (workers or core_free()):
        return early
    import engine.connectors.codecs.instream  # noqa: F401 - the readers' modules, loaded once for all (needed here later)
    try:
        for (name, path), size in zip(inputs, sizes):
            if size >= WORKER_BYTES and str(path) not in early.children:
                early.children[str(path)] = forked_reader(_records(early.recipe, name, path, max_bytes,
                                                                   len(inputs) > 1), False)
    except BaseException:  # no pipe or process left (too many open files...): none left behind either
        early.close()
        raise
    return early


def _records(recipe: Recipe, name: str | None, path: Path, max_bytes: int | None, others: bool) -> Iterator[dict]:
    """The records of one input file read by ``recipe`` (a generator: it starts in the child). The
    source's records are needed last when ``others`` (files) are joined to them: their reader then
    gives way (nice 19) to this process's compile and the related files' readers."""
    from engine.connectors.codecs.instream import stream_input
    from engine.connectors.codecs.xmlcodec import XmlOptions

    fields, singular = recipe["fields"], recipe["singular"]
    found = stream_input(path, name=name, default_resource=recipe["source"],
                         xml_options=None if recipe["xml"] is None else XmlOptions(**recipe["xml"]),
                         max_bytes=max_bytes, fields=lambda found: fields.get(singular.get(found, found)))
    if len(found) != 1:
        raise NotStreamed(str(path))
    resource, rows = found[0]
    resource = singular.get(resource, resource)
    if others and resource == recipe["source"]:
        try:
            os.nice(SPARE_NICE)
        except OSError:
            pass
    elif _typed_by_reader(recipe, resource):
        from engine.plan.coerce import compile_types
        from engine.plan.related import typed_row

        coerce = compile_types(recipe["types"][resource])
        rows = (typed_row(coerce, row) for row in rows)
    yield from rows


def _typed_by_reader(recipe: Recipe, resource: str) -> bool:
    """Whether a reader of ``resource``'s file types its rows (a related resource the plan types)."""
    return resource != recipe.get("source") and resource in recipe.get("types", ())


class EarlyReaders:
    """The readers started for one dry-run, by path, and the recipe they read by."""

    def __init__(self, entry: Path, recipe: Recipe | None):
        self.entry, self.recipe = entry, recipe
        self.children: dict[str, tuple[int, int]] = {}  # path -> (pid, read end), not claimed yet
        self.typed: set[str] = set()  # the related resources whose claimed rows come typed

    @property
    def reading(self) -> bool:
        """Whether children read for this dry-run (the choice to read in several processes is made)."""
        return bool(self.children)

    def agree(self, current: Recipe) -> None:
        """The recipe of the compiled plan: the children stop when they read by another one (before
        the dry-run forks its own), and it is kept for the next run when it is new."""
        if current == self.recipe:
            return
        self.close()
        self.recipe = current
        write_entry(self.entry, current)

    def claim(self, path: Path, resource: str, rows: Iterator[dict], coerce: Any) -> Iterator[dict] | None:
        """The records of ``path`` as its child reads them, or None without a child; ``rows``: this
        process's own reader of the file, asked exactly as the child's, for an error to be met here.
        A related resource's rows come typed (by ``coerce``, the plan's typing of ``resource``, when they
        are read here): its name is then in :attr:`typed`."""
        found = self.children.pop(str(path), None)
        if found is None:
            return None
        if _typed_by_reader(self.recipe or {}, resource):  # (the recipe is set: children were started by it)
            from engine.plan.related import typed_row

            self.typed.add(resource)
            rows = (typed_row(coerce, row) for row in rows)
        return received(*found, rows)

    def close(self) -> None:
        """Stops and reaps every child not claimed."""
        for pid, read_end in self.children.values():
            os.close(read_end)
            reap(pid, kill=True)
        self.children.clear()


__all__ = ["EarlyReaders", "RELATED_MEMORY", "SPLIT_BYTES", "WORKER_BYTES", "fed", "prestart", "recipe", "start"]
