"""The whole outcome of ``passerelle validate`` for one project or one connector file, kept on disk.

Editors and CI validate the same unchanged projects again and again. As ruff's, mypy's and
eslint's ``--cache`` do, what ``validate`` found for a unit — a project folder or a standalone
connector file — is stored, and a later run replays it without loading, checking or compiling
anything (the compiler is not even imported when every unit is known) as long as nothing it
depends on changed:

* what validating the unit read, as it read it (engine/util/readlog.py): every file opened — the
  spec files, the connector definitions it used (shipped, ``--connectors``/``PASSERELLE_CONNECTORS``
  or the project's own), the lookup CSV files its specs name —, every folder listed, and every
  "is this path inside the project, links followed" answer. Before an entry is used each is taken
  again (a file's bytes digested, a folder's names and kinds, the confinement asked again) and
  must be the same;
* the entry's key, a BLAKE2b digest of: the unit (its kind, its path as given and as resolved), the
  working directory (messages name files relative to it), the names and kinds in the folders a
  ``use:`` looks into (the project's ``connectors/``, the ``--connectors`` and
  ``PASSERELLE_CONNECTORS`` folders — that variable is the only one whose value validate reads:
  ``${env:NAME}`` references are checked as names, never resolved — and the shipped connectors),
  the engine (the size and date of every module of the ``engine`` package, the bytes of the JSON
  Schemas), the size and date of the files of the libraries whose verdicts appear in an outcome
  (PyYAML, jsonschema-rs, regex, jmespath, tzdata), the time-zone database's folders (a
  connector's ``timezone:`` is checked against it), Python's version and the entry format.

Options that only change how the outcome is shown (``--format``, ``--strict``) are not in the key:
what is stored is the diagnostics (with their locations) and the counts, which the command formats
as for a fresh run. A unit whose files changed while it was validated is not stored, nor one that
read a file too large to digest. The outcomes known under one context (everything in the key but
the unit) are kept in one entry (a ``Memo`` of engine/spec/yamlcache.py: read with one unpickling,
written once per run, merged with what another run wrote meanwhile; a digest of the content first,
a temporary file renamed): a damaged entry is ignored and written again; a unit's outcome is
replaced when the unit changes. ``validate --no-cache`` neither reads nor writes them.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from engine.errors import Diagnostic
from engine.spec.yamlcache import Memo, package_stamp
from engine.util import readlog
from engine.util.digest import blake2b
from engine.util.resources import schemas_dir, shipped_connectors_dir

FORMAT = b"passerelle-validate-results 1\n"
FOLDER = "results-1"
_ENGINE = Path(__file__).resolve().parent.parent  # the engine package folder
LIBRARIES = ("yaml", "jsonschema_rs", "regex", "jmespath", "tzdata")
Unit = tuple[str, Path]  # ("project", folder) or ("connector", file)


class Outcome:
    """What validate found for one unit — its diagnostics (in the order found), how many projects and
    connector files it counted — and what it read to find it (None: not known, not to be stored)."""

    __slots__ = ("diagnostics", "projects", "connectors", "reads")

    def __init__(self, diagnostics: list[Diagnostic], projects: int = 0, connectors: int = 0,
                 reads: readlog.ReadLog | None = None):
        self.diagnostics, self.projects, self.connectors, self.reads = diagnostics, projects, connectors, reads


class ResultCache:
    """Outcomes stored under ``folder``/results-1 (see the module's documentation)."""

    def __init__(self, folder: Path, extra_dirs: list[Path]):
        self.cache_folder = folder
        self.folder = folder / FOLDER
        self.extra_dirs = list(extra_dirs)  # engine.project.discover.extra_connector_dirs
        self._context: bytes | None = None
        self._memo: Memo | None = None
        self._states: dict[tuple[str, str], object] = {}  # states taken this run (shared by units)
        self.hits = self.misses = 0

    def key(self, unit: Unit) -> str:
        kind, path = unit
        digest = blake2b(self.context(), digest_size=32)
        _text(digest, kind, str(path), readlog.real_path(str(path)))
        if kind == "project":
            _text(digest, repr(readlog.folder_state(str(path / "connectors"))))
        return digest.hexdigest()

    def ignored(self) -> tuple[str, ...]:
        """Where reads are not noted: this cache, the engine's code, Python's standard library and the
        installed libraries (the key covers them otherwise)."""
        import site
        import sysconfig

        installed = sysconfig.get_paths()
        prefixes = {str(self.cache_folder), str(_ENGINE), *site.getsitepackages(), site.getusersitepackages(),
                    *(installed[name] for name in ("stdlib", "platstdlib", "purelib", "platlib") if name in installed)}
        if sys.pycache_prefix:
            prefixes.add(sys.pycache_prefix)  # (PYTHONPYCACHEPREFIX: the bytecode of the above)
        return tuple(sorted({os.path.join(os.path.realpath(p), "") for p in prefixes}
                            | {os.path.join(os.path.abspath(p), "") for p in prefixes}))

    def get(self, key: str) -> Outcome | None:
        outcome = _outcome(self.memo().get(key))
        if outcome is None or not self._still(outcome.reads):
            self.misses += 1
            return None
        self.hits += 1
        return outcome

    def put(self, key: str, outcome: Outcome) -> None:
        log = outcome.reads
        if log is None or log.unsteady:
            return
        self.memo().put(key, (list(outcome.diagnostics), outcome.projects, outcome.connectors,
                              log.files, log.folders, log.confined))

    def flush(self) -> None:
        """Write what was learnt (merged with what another run wrote meanwhile)."""
        if self._memo is not None:
            self._memo.flush()

    def memo(self) -> Memo:
        """The outcomes known under this context: one entry, read with one unpickling."""
        if self._memo is None:
            self._memo = Memo(self.folder / f"outcomes-{self.context().hex()[:32]}.pickle")
        return self._memo

    def _still(self, log: readlog.ReadLog | None) -> bool:
        """Whether everything ``log`` noted is as it was."""
        if log is None:
            return False
        from engine.util.fileio import confine_answer

        checks = [(("file", path), state, readlog.file_state) for path, state in log.files.items()]
        checks += [(("folder", path), state, readlog.folder_state) for path, state in log.folders.items()]
        for seen, state, take in checks:
            if seen not in self._states:
                self._states[seen] = take(seen[1])
            if self._states[seen] != state:
                return False
        return all(confine_answer(Path(folder), relative) == answer
                   for (folder, relative), answer in log.confined.items())

    def context(self) -> bytes:
        """The part of every key that is not the unit's own (computed once per process)."""
        if self._context is None:
            digest = blake2b(FORMAT, digest_size=32)
            _text(digest, sys.version, sys.implementation.cache_tag, os.path.realpath(os.getcwd()))
            _text(digest, _engine_stamp(), *(package_stamp(name) for name in LIBRARIES), _zones_stamp())
            for schema in sorted(schemas_dir().glob("*.json")):
                _text(digest, schema.name, repr(readlog.file_state(str(schema))))
            for folder in [*self.extra_dirs, shipped_connectors_dir()]:
                _text(digest, str(folder), repr(readlog.folder_state(str(folder))))
            self._context = digest.digest()
        return self._context


def _text(digest, *parts: str) -> None:
    for part in parts:
        encoded = part.encode("utf-8", "surrogatepass")
        digest.update(len(encoded).to_bytes(8, "little"))
        digest.update(encoded)


def _engine_stamp() -> str:
    """The size and date of every module of the engine package (a changed engine: other keys)."""
    stamp: list[str] = []
    pending = [str(_ENGINE)]
    while pending:
        folder = pending.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        except OSError:
            continue
        for entry in entries:
            if entry.name.endswith(".py") and entry.is_file():
                info = entry.stat()
                stamp.append(f"{entry.path}:{info.st_size}:{info.st_mtime_ns}")
            elif entry.is_dir(follow_symlinks=False) and entry.name not in ("__pycache__", "_data"):
                pending.append(entry.path)
    return "|".join(stamp)


def _zones_stamp() -> str:
    """The time-zone database's folders (and their sub-folders: Europe/, America/...) as dated, found
    where ``zoneinfo`` looks (``PYTHONTZPATH``, else the build's ``TZPATH``) without importing it."""
    import sysconfig

    listed = os.environ.get("PYTHONTZPATH") or sysconfig.get_config_var("TZPATH") or ""
    stamp: list[str] = [f"PYTHONTZPATH={os.environ.get('PYTHONTZPATH')}"]
    for top in listed.split(os.pathsep):
        try:
            stamp.append(f"{top}:{os.stat(top).st_mtime_ns}")
            with os.scandir(top) as entries:
                stamp += sorted(f"{e.name}:{e.stat().st_mtime_ns}" for e in entries if e.is_dir())
        except OSError:
            stamp.append(f"{top}:none")
    return "|".join(stamp)


def _outcome(found: object) -> Outcome | None:
    if not (isinstance(found, tuple) and len(found) == 6):
        return None
    diagnostics, projects, connectors, files, folders, confined = found
    if not (isinstance(diagnostics, list) and all(isinstance(d, Diagnostic) for d in diagnostics)
            and isinstance(projects, int) and isinstance(connectors, int)
            and isinstance(files, dict) and isinstance(folders, dict) and isinstance(confined, dict)):
        return None
    reads = readlog.ReadLog(())
    reads.files, reads.folders, reads.confined = files, folders, confined
    return Outcome(diagnostics, projects, connectors, reads)


__all__ = ["Outcome", "ResultCache", "Unit"]
