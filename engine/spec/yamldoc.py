"""A parsed YAML file: plain values, and the location of every value and key by its path."""
from __future__ import annotations

from dataclasses import field
from typing import Any

from engine.errors import Loc
from engine.util.records import mutable

Path_ = tuple  # a path inside a document: keys (str) and list indexes (int)


@mutable
class YamlDoc:
    """One parsed YAML file."""

    file: str
    data: Any = None
    # path -> where its value (``locs``) or the key holding it (``key_locs``) is written: a ``Loc``, or
    # a (line, column) pair the parser stores instead (one object less per value); read them through
    # ``loc``/``key_loc``, which always give a ``Loc``
    locs: dict = field(default_factory=dict)
    key_locs: dict = field(default_factory=dict)
    styles: dict = field(default_factory=dict)  # path -> scalar style for quoted/block strings
    diagnostics: list = field(default_factory=list)
    # the key of the parse in the cache of parsed files when read or stored there
    # (engine/spec/yamlcache.py): a schema check of this very document may be remembered under it
    digest: str | None = None

    def loc(self, path: Path_) -> Loc:
        """The location of the value at ``path``, or of its nearest located ancestor."""
        path = tuple(path)
        while path:
            found = self.locs.get(path)
            if found is not None:
                return self._as_loc(found)
            path = path[:-1]
        found = self.locs.get(())
        return Loc(self.file, 1, 1) if found is None else self._as_loc(found)

    def key_loc(self, path: Path_) -> Loc:
        """The location of the key that holds ``path`` (falls back to the value's location)."""
        found = self.key_locs.get(tuple(path))
        return self.loc(path) if found is None else self._as_loc(found)

    def _as_loc(self, found: Loc | tuple[int, int]) -> Loc:
        return found if isinstance(found, Loc) else Loc(self.file, found[0], found[1])

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)


def format_path(path: Path_) -> str:
    """``('flows', 'x', 'map', 'lignes', 0)`` -> ``flows.x.map.lignes[0]``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif out:
            out += f".{part}"
        else:
            out = str(part)
    return out
