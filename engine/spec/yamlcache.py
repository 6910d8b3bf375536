"""A content-addressed disk cache of parsed spec files, for ``passerelle validate``.

Editors and CI start ``validate`` again and again on files that have not changed; building each
file's values and locations from libyaml's events is about a third of its work. As Python's ``.pyc``
files, mypy's and ruff's caches do, a file's parse is kept on disk and reused while nothing it
depends on has changed:

* the key is a BLAKE2b digest of the file's bytes, of the name it is shown under in messages (its
  locations carry it), and of the parser itself: the cache format, the Python version, the
  engine's version (the bytes of ``engine/__init__.py``, which states it), the bytes of the modules
  that build a document (``engine/spec/yaml*.py``, ``engine/errors.py``) and the size and date of
  PyYAML's files (libyaml's events). A change to any of them is another key: a stale entry is never
  read;
* an entry holds the whole parsed document — values, every value's and key's ``line:col``, scalar
  styles and the parser's own warnings and errors — so messages point at the spec exactly as an
  uncached parse does;
* an entry starts with a digest of what follows: a truncated, corrupted or foreign file is ignored
  without a word and written again; entries are written to a temporary file then renamed
  (``os.replace``), so a reader sees a whole entry or none, whatever runs at the same time;
* only the classes a document is made of (``Decimal``, ``Loc``, ``Diagnostic``) are unpickled;
* a cache that cannot be written (read-only home, full disk) only costs the parse;
* a check that passed is remembered too — a document's schema check (engine/schema/validate.py),
  a ``regex_replace`` pattern's (engine/lang/patterns.py), jsonschema-rs's other answers
  (engine/spec/fastcheck.py) — as the digest of what was checked, in one entry per kind of check
  keyed by what the check depends on (schemas' bytes, the checking module's source, the validator's
  files), so a warm ``validate`` neither builds the schemas' validators nor imports
  ``regex``. What was refused is checked again each time (its messages are not stored);
* so is the parse of each JMESPath expression text that parsed (``Memo``: one entry per parser,
  keyed by the parser's files; engine/lang/exprmemo.py, engine/lang/exprnames.py).

Where: ``$PASSERELLE_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/passerelle``, else
``~/.cache/passerelle``; ``passerelle validate --no-cache`` neither reads nor writes it. Entries are
small (the parsed file, ~1.2× its size) and one is added per edited version of a file: delete the
folder at any time to reclaim the space.
"""
from __future__ import annotations

import io
import os
import pickle
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

from engine.util.digest import blake2b

TYPE_CHECKING = False  # (as typing's: a validate whose outcomes are all known imports neither typing nor YamlDoc)
if TYPE_CHECKING:
    from engine.spec.yamldoc import YamlDoc

FORMAT = b"passerelle-yaml-cache 1\n"
_DIGEST = 32  # bytes of a BLAKE2b digest, for the key and for an entry's content
_ENGINE = Path(__file__).resolve().parent.parent  # the engine package folder
_PARSER_SOURCES = ("__init__.py", "spec/yamlbuild.py", "spec/yamlsrc.py", "spec/yamldepth.py", "spec/yamldoc.py",
                   "spec/yamlcache.py", "errors.py")
_ALLOWED = {("decimal", "Decimal"), ("engine.errors", "Loc"), ("engine.errors", "Diagnostic")}
_ACTIVE: ContextVar[DocCache | None] = ContextVar("passerelle_yaml_cache", default=None)


def default_dir() -> Path:
    """Where the cache lives unless told otherwise (see the module's documentation)."""
    explicit = os.environ.get("PASSERELLE_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base and os.path.isabs(base) else Path.home() / ".cache") / "passerelle"


class DocCache:
    """Parsed documents stored under ``folder`` by content digest."""

    def __init__(self, folder: Path):
        self.folder = folder / "yaml-1"
        self._parser: bytes | None = None
        self._memos: dict[tuple[str, bytes], Memo] = {}
        self.hits = self.misses = 0

    def memo(self, kind: str, stamp: bytes) -> Memo:
        """The values of a pure function remembered under ``kind`` (``stamp``: what it depends on)."""
        found = self._memos.get((kind, stamp))
        if found is None:
            name = f"{kind}-{blake2b(stamp, digest_size=16).hexdigest()}.pickle"
            found = self._memos[(kind, stamp)] = Memo(self.folder.parent / "memo-1" / name)
        return found

    def flush(self) -> None:
        """Write the memos that learnt something (merged with what another process wrote meanwhile)."""
        for memo in self._memos.values():
            memo.flush()

    def key(self, raw: bytes, name: str) -> str:
        digest = blake2b(self.parser_fingerprint(), digest_size=_DIGEST)
        encoded = name.encode("utf-8", "surrogatepass")
        digest.update(len(encoded).to_bytes(8, "little"))
        digest.update(encoded)
        digest.update(raw)
        return digest.hexdigest()

    def parser_fingerprint(self) -> bytes:
        """What a parse depends on besides the file (computed once per process); empty when the
        parser's sources cannot be read (an install without them): documents are then not cached."""
        if self._parser is None:
            digest = blake2b(FORMAT, digest_size=_DIGEST)
            digest.update(f"{sys.version}|{sys.implementation.cache_tag}\n".encode())
            try:
                for relative in _PARSER_SOURCES:
                    digest.update((_ENGINE / relative).read_bytes())
            except OSError:
                self._parser = b""
                return self._parser
            digest.update(package_stamp("yaml").encode())
            self._parser = digest.digest()
        return self._parser

    def get(self, raw: bytes, name: str) -> YamlDoc | None:
        """The parsed document stored for these bytes under this name, or None (never an error)."""
        if not self.parser_fingerprint():
            return None
        key = self.key(raw, name)
        try:
            with open(self._path(key), "rb") as handle:
                blob = handle.read()
            doc = _decode(blob)
        except Exception:  # noqa: BLE001 - missing, unreadable, truncated, corrupted: parse instead
            doc = None
        if doc is None or doc.file != name:
            self.misses += 1
            return None
        self.hits += 1
        doc.digest = key
        return doc

    def put(self, raw: bytes, name: str, doc: YamlDoc) -> None:
        """Store ``doc`` (parsed from ``raw``); silently nothing when the folder cannot be written."""
        if not self.parser_fingerprint():
            return
        try:
            payload = pickle.dumps((doc.file, doc.data, doc.locs, doc.key_locs, doc.styles, doc.diagnostics),
                                   protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # noqa: BLE001 - a value pickle cannot take: nothing to store
            return
        doc.digest = self.key(raw, name)
        _write(self._path(doc.digest), FORMAT + blake2b(payload, digest_size=_DIGEST).digest() + payload)

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}.pickle"

    # -- verdicts: "this was checked and passed", one memo per kind of check --------------------
    def knows_valid(self, digest: str, check: bytes) -> bool:
        """Whether ``digest`` (what was checked) passed ``check`` (the digest of everything the check
        depends on besides it) in an earlier run."""
        return self.memo("valid", check).has(digest)

    def remember_valid(self, digest: str, check: bytes) -> None:
        self.memo("valid", check).mark(digest)


class Memo:
    """A pure function's results by argument text, kept in one entry (read with one unpickling). A
    value is pickled when it is learnt (later changes to the caller's object do not reach it), and
    a stored value is handed out once per process (the caller keeps its own; asked again, it
    computes it again): nobody shares an object another may change."""

    def __init__(self, path: Path):
        self.path = path
        self._known: dict[str, object] | None = None
        self._learnt: dict[str, bytes | None] = {}

    def get(self, text: str) -> object | None:
        if self._known is None:
            self._known = self._read()
        value = self._known.pop(text, None)
        return None if value is True else value  # (True: a verdict, not a value)

    def has(self, text: str) -> bool:
        if self._known is None:
            self._known = self._read()
        return text in self._known or text in self._learnt

    def mark(self, text: str) -> None:
        """Remember ``text`` with no value (a verdict)."""
        self._learnt[text] = None

    def put(self, text: str, value: object) -> None:
        try:
            self._learnt[text] = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # noqa: BLE001 - a value pickle cannot take: not remembered
            pass

    def flush(self) -> None:
        if not self._learnt:
            return
        merged = self._read()
        for text, blob in self._learnt.items():
            merged[text] = True if blob is None else pickle.loads(blob)
        self._learnt = {}
        write_entry(self.path, merged)

    def _read(self) -> dict[str, object]:
        value = read_entry(self.path)  # missing, damaged: start afresh
        if not isinstance(value, dict):
            return {}
        return {k: v for k, v in value.items() if isinstance(k, str)}


def _write(target: Path, blob: bytes) -> None:
    """``blob`` into ``target`` whole or not at all (a temporary file renamed); nothing when the
    folder cannot be written."""
    temporary = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    try:
        _folder(target.parent)
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(blob)
            os.replace(temporary, target)
        except BaseException:
            try:
                os.unlink(temporary)
            except OSError:
                pass
            raise
    except OSError:
        pass


_MADE: set[Path] = set()  # folders this process made or found (one mkdir each, not one per entry)


def _folder(path: Path) -> None:
    if path not in _MADE:
        path.mkdir(parents=True, exist_ok=True)
        _MADE.add(path)


def _checked(blob: bytes) -> memoryview | None:
    """An entry's payload when its digest matches, else None."""
    head = len(FORMAT) + _DIGEST
    if len(blob) <= head or not blob.startswith(FORMAT):
        return None
    payload = memoryview(blob)[head:]
    if blake2b(payload, digest_size=_DIGEST).digest() != blob[len(FORMAT):head]:
        return None
    return payload


class _Unpickler(pickle.Unpickler):
    """Unpickles plain values and the few classes a parsed document holds, nothing else."""

    def find_class(self, module: str, name: str):
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not part of a parsed document")
        return super().find_class(module, name)


def write_entry(target: Path, value: object) -> None:
    """``value`` pickled into the entry ``target``, behind a digest of its content (written whole or
    not at all; nothing when it cannot be pickled or written): engine/plan/resultcache.py's entries."""
    try:
        payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - a value pickle cannot take: nothing to store
        return
    _write(target, FORMAT + blake2b(payload, digest_size=_DIGEST).digest() + payload)


def read_entry(path: Path) -> object | None:
    """What :func:`write_entry` stored in ``path``, or None when it is missing, damaged or holds a
    class a parsed document is not made of."""
    try:
        with open(path, "rb") as handle:
            found = _checked(handle.read())
        return None if found is None else _Unpickler(io.BytesIO(found)).load()
    except Exception:  # noqa: BLE001 - missing, unreadable, truncated, corrupted: as if absent
        return None


def _decode(blob: bytes) -> YamlDoc | None:
    from engine.spec.yamldoc import YamlDoc  # (not for a validate whose outcomes are all known)

    payload = _checked(blob)
    if payload is None:
        return None
    file, data, locs, key_locs, styles, diagnostics = _Unpickler(io.BytesIO(payload)).load()
    if not (isinstance(file, str) and isinstance(locs, dict) and isinstance(key_locs, dict)
            and isinstance(styles, dict) and isinstance(diagnostics, list)):
        return None
    return YamlDoc(file, data, locs, key_locs, styles, diagnostics)


@lru_cache(maxsize=None)
def package_stamp(package: str) -> str:
    """The size and date of an installed package's code files (PyYAML's: its libyaml binding gives the
    events), found without importing it."""
    from importlib.machinery import PathFinder

    spec = PathFinder.find_spec(package)
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    stamp = []
    for folder in folders:
        try:
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        except OSError:
            continue
        for entry in entries:
            if entry.is_file() and entry.name.endswith((".py", ".so", ".pyd")):
                info = entry.stat()
                stamp.append(f"{entry.name}:{info.st_size}:{info.st_mtime_ns}")
    return f"{folders}|{'|'.join(stamp)}"


def active() -> DocCache | None:
    """The cache documents are read through in this context, if any."""
    return _ACTIVE.get()


@contextmanager
def using(cache: DocCache | None) -> Iterator[None]:
    """Within the block (in this thread and the processes it forks), spec files are parsed through
    ``cache`` (None: not cached); what it learnt is written when the block ends (a forked process
    that never leaves the block calls :meth:`DocCache.flush` itself)."""
    token = _ACTIVE.set(cache)
    try:
        yield
    finally:
        _ACTIVE.reset(token)
        if cache is not None:
            cache.flush()


__all__ = ["DocCache", "Memo", "active", "default_dir", "package_stamp", "read_entry", "using", "write_entry"]
