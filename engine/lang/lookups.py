"""Lookup tables: a mapping written in the spec or read from a CSV file beside it.

```yaml
lookups:
  carriers: { map: { "UPS Ground": UPS_GND, Colissimo: COLI }, default: DIVERS }
  payments: { file: payments.csv, key_column: module, value_column: mode, default: Autre }
  tax_codes: { match: number, map: { "20": S_20, "5.5": S_5, "0": EXO } }   # no default: strict
```

Matching (``match``):

* ``number`` — keys and values are compared as exact decimals, so ``20``, ``"20.000"``,
  ``Decimal("20.0")`` all find key ``"20"``; a value that is not a number never matches;
* ``text`` — the value is stringified (Decimal written plainly, ``true``/``false``) and compared exactly;
* ``text_ci`` — like text, trimmed and case-insensitive;
* ``auto`` (default) — ``number`` when every key is a plain decimal number without a leading zero
  (``20``, ``5.5``, ``0``; not ``007``), else ``text``.

A table with a ``default`` (even ``default: null``) never fails; without one it is *strict*: a miss is
a record error listing the known keys.
"""
from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from engine.errors import TransformError
from engine.lang.registry import ArgError
from engine.util.suggest import did_you_mean, hint_for, known_list
from engine.lang.values import parse_number, show

MATCH_MODES = ("auto", "number", "text", "text_ci")
MAX_CSV_BYTES = 5_000_000
_PLAIN_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?\Z")
_SPEC_KEYS = ("map", "file", "key_column", "value_column", "match", "default")
MISSING = object()

LOOKUP_SPEC_SCHEMA: dict = {
    "type": "object",
    "description": "A lookup table: an inline map or a CSV file beside the spec.",
    "properties": {
        "map": {
            "type": "object",
            "description": "Key -> value pairs (keys are written as text; values are scalars).",
            "additionalProperties": {"type": ["string", "number", "boolean", "null"]},
        },
        "file": {"type": "string", "minLength": 1,
                 "description": "CSV file beside the spec (UTF-8, header row; delimiter , ; or tab)."},
        "key_column": {"type": "string", "minLength": 1,
                       "description": "Header of the key column (default: the first column)."},
        "value_column": {"type": "string", "minLength": 1,
                         "description": "Header of the value column (default: the second column)."},
        "match": {"enum": list(MATCH_MODES),
                  "description": "How values are compared to keys: auto (number when every key is a "
                                 "number), number, text or text_ci (trimmed, case-insensitive)."},
        "default": {"description": "Result when no key matches (null is a real default); without it "
                                   "a miss is an error."},
    },
    "oneOf": [{"required": ["map"]}, {"required": ["file"]}],
    "additionalProperties": False,
}


class LookupTable:
    """A compiled lookup table. ``get(value)`` returns ``(found, result)`` without applying the
    default; ``resolve(value)`` applies the default or raises for a strict table."""

    def __init__(self, name: str, entries: dict[Any, Any], match: str = "auto",
                 default: Any = MISSING, source: str = "map", rows: dict[str, int] | None = None):
        if match not in MATCH_MODES:
            raise ArgError(f"unknown match mode '{match}'", hint=hint_for(match, MATCH_MODES, "modes"),
                           at=("match",))
        self.name = name
        self.source = source
        self.has_default = default is not MISSING
        self.default = None if default is MISSING else default
        texts = {_key_text(k): k for k in entries}
        if match == "auto":
            match = "number" if texts and all(
                k is None or _PLAIN_NUMBER.match(t) for t, k in texts.items()) else "text"
        self.match = match
        self._keys = [t for t in texts]
        self._table: dict[Any, Any] = {}
        seen: dict[Any, str] = {}
        # a key read from a CSV file is named by its row: a message never shows a file's data
        for text, key in texts.items():
            norm = self._normalise(key)
            if norm is MISSING:
                what = f"key '{text}' of lookup '{name}'" if rows is None else \
                    f"the key in row {rows[text]} of lookup file '{source}'"
                raise ArgError(f"{what} is not a number",
                               hint="use match: text for a table of text keys", at=("map", text))
            if norm in seen:
                what = f"keys '{seen[norm]}' and '{text}' of lookup '{name}'" if rows is None else \
                    f"the keys in rows {rows[seen[norm]]} and {rows[text]} of lookup file '{source}'"
                raise ArgError(f"{what} are the same with match: {match}", at=("map", text))
            seen[norm] = text
            self._table[norm] = entries[key]

    def _normalise(self, value: Any) -> Any:
        """The dict key a value is looked up under, or MISSING when it can never match."""
        if value is None:
            return None
        if self.match == "number":
            number = parse_number(value)
            return MISSING if number is None else Decimal(number)
        if isinstance(value, (dict, list, tuple)):
            return MISSING
        text = _key_text(value)
        return text.strip().casefold() if self.match == "text_ci" else text

    def keys(self) -> list[str]:
        """The keys as written (None for a null key)."""
        return list(self._keys)

    def get(self, value: Any) -> tuple[bool, Any]:
        norm = self._normalise(value)
        if norm is MISSING or norm not in self._table:
            return False, None
        return True, self._table[norm]

    def resolve(self, value: Any, default: Any = MISSING) -> Any:
        """The mapped value; else ``default`` (the argument, then the table's); else a TransformError."""
        found, result = self.get(value)
        if found:
            return result
        if default is not MISSING:
            return default
        if self.has_default:
            return self.default
        known = [k for k in self._keys if k is not None]
        note = "; the table matches numbers" if self.match == "number" and value is not None \
            and self._normalise(value) is MISSING else ""
        listing = known_list(known, limit=10) if known else "none"
        raise TransformError(f"no entry for {show(value)} in lookup '{self.name}' "
                             f"(known keys: {listing}{note})")

    def resolver(self, default: Any = MISSING):
        """``resolve`` as a closure with a fast path: an exact hit (a text in a text table, an int or
        Decimal in a number table — equal numbers hash alike) skips normalisation."""
        table, slow = self._table, self.resolve
        if self.match == "number":
            def fast(value: Any) -> Any:
                cls = value.__class__
                if cls is Decimal or cls is int:
                    try:
                        return table[value]
                    except (KeyError, TypeError):
                        pass
                return slow(value, default)
        elif self.match == "text":
            # a text missing from a text table is looked up as itself: the default answers at once
            miss = default if default is not MISSING else self.default if self.has_default else MISSING

            def fast(value: Any) -> Any:
                if value.__class__ is str:
                    found = table.get(value, miss)
                    if found is not MISSING:
                        return found
                return slow(value, default)
            if miss is not MISSING:  # the same, written into the generated mapper (plan/fuse.py)
                setattr(fast, "inline", ("{0}.get({v}, {1}) if {v}.__class__ is str else {F}({v})", (table, miss)))
        else:
            def fast(value: Any) -> Any:
                return slow(value, default)
        return fast

    def __len__(self) -> int:
        return len(self._table)

    def __repr__(self) -> str:
        return f"LookupTable({self.name!r}, {len(self)} keys, match={self.match!r})"


def _key_text(key: Any) -> Any:
    if key is None:
        return None
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, Decimal):
        return format(key, "f")
    if isinstance(key, float):
        return format(Decimal(repr(key)), "f")
    return str(key)


def build_lookup(name: str, spec: Any, base_dir: Path) -> LookupTable:
    """Compile a lookup spec as written in YAML; raises ArgError (located with ``at``) when invalid."""
    if not isinstance(spec, dict):
        raise ArgError(f"lookup '{name}' must be a mapping with 'map' or 'file'",
                       hint="e.g. carriers: { map: { \"UPS Ground\": UPS_GND }, default: DIVERS }")
    for key in spec:
        if key not in _SPEC_KEYS:
            raise ArgError(f"unknown key '{key}' in lookup '{name}'" + did_you_mean(str(key), _SPEC_KEYS),
                           hint=f"allowed keys: {', '.join(_SPEC_KEYS)}", at=(key,))
    match = spec.get("match", "auto")
    if not isinstance(match, str) or match not in MATCH_MODES:
        raise ArgError(f"unknown match mode {match!r} in lookup '{name}'",
                       hint=f"use one of: {', '.join(MATCH_MODES)}", at=("match",))
    default = spec.get("default", MISSING)
    if ("map" in spec) == ("file" in spec):
        raise ArgError(f"lookup '{name}' needs exactly one of 'map' or 'file'",
                       hint="write the pairs inline under map:, or name a CSV file with file:")
    if "map" in spec:
        for key in ("key_column", "value_column"):
            if key in spec:
                raise ArgError(f"'{key}' only applies to a lookup read from a file", at=(key,))
        entries = spec["map"]
        if not isinstance(entries, dict):
            raise ArgError(f"'map' of lookup '{name}' must be a mapping of keys to values", at=("map",))
        for key, value in entries.items():
            if isinstance(value, (dict, list, tuple)):
                raise ArgError(f"value of key '{_key_text(key)}' in lookup '{name}' must be a scalar "
                               "(text, number, true/false or null)", at=("map", key))
        return LookupTable(name, entries, match, default, source="map")
    entries, rows = _read_csv(name, spec, Path(base_dir))
    file = spec["file"]
    try:
        return LookupTable(name, entries, match, default, source=file, rows=rows)
    except ArgError as exc:  # a key problem found after normalisation: point at the file
        raise ArgError(exc.message, hint=exc.hint, at=("file",)) from None


def _read_csv(name: str, spec: dict, base_dir: Path) -> tuple[dict[str, str], dict[str, int]]:
    """The entries of a lookup's CSV file and the row each key was read from. The file must be in
    the project folder (``base_dir``, where the spec files are), links followed: anything else is
    refused before it is opened, and no message ever shows a data row (only header cells)."""
    file = spec["file"]
    if not isinstance(file, str) or not file:
        raise ArgError(f"'file' of lookup '{name}' must be a file name", at=("file",))
    for key in ("key_column", "value_column"):
        if key in spec and not (isinstance(spec[key], str) and spec[key]):
            raise ArgError(f"'{key}' of lookup '{name}' must be a column header", at=(key,))
    from engine.util.fileio import FileTooLarge, NotRegularFile, OutsideFolder, confine, read_limited

    outside = ArgError(f"lookup file '{file}' is outside the project folder (symbolic links followed): "
                       "refused", at=("file",), code="outside-project",
                       hint="keep lookup CSV files in the project folder or a sub-folder of it, named "
                            "relative to it")
    try:
        folder = base_dir.resolve()
        real = confine(folder, file)
        if any(part.startswith(".") for part in real.relative_to(folder).parts):
            raise ArgError(f"lookup file '{file}' is hidden or in a hidden folder (a name starting with "
                           "'.', such as .env), links followed: refused", at=("file",), code="outside-project",
                           hint="keep lookup CSV files in visible files of the project folder")
        raw = read_limited(real, MAX_CSV_BYTES, inside_of=folder)
    except OutsideFolder:
        raise outside from None
    except NotRegularFile as exc:
        raise ArgError(f"lookup file '{file}' {exc}", at=("file",)) from None
    except FileTooLarge:
        raise ArgError(f"lookup file '{file}' is too large (at most {MAX_CSV_BYTES} bytes)", at=("file",)) from None
    except FileNotFoundError:
        raise ArgError(f"lookup file '{file}' not found", at=("file",),
                       hint=f"the path is relative to the spec directory ({base_dir})") from None
    except OSError as exc:
        raise ArgError(f"cannot read lookup file '{file}': {exc.strerror or exc}", at=("file",)) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ArgError(f"lookup file '{file}' is not UTF-8 (byte {exc.start})", at=("file",),
                       hint="save it as 'CSV UTF-8' from Excel") from None
    lines = text.splitlines()
    header_line = next((line for line in lines if line.strip()), None)
    if header_line is None:
        raise ArgError(f"lookup file '{file}' is empty", at=("file",),
                       hint="a header row is required, e.g. key;value")
    delimiter = max(",;\t", key=header_line.count)
    try:
        return _parse_csv(name, file, spec, text, delimiter)
    except csv.Error as exc:  # e.g. a cell above the csv module's field size limit
        raise ArgError(f"lookup file '{file}' is not valid CSV: {exc}", at=("file",)) from None


def _parse_csv(name: str, file: str, spec: dict, text: str, delimiter: str
               ) -> tuple[dict[str, str], dict[str, int]]:
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, skipinitialspace=True)
    header: list[str] | None = None
    entries: dict[str, str] = {}
    first_row: dict[str, int] = {}
    key_index = value_index = 0
    for row in rows:
        line = rows.line_num
        if not any(cell.strip() for cell in row):
            continue
        if header is None:
            header = [cell.strip() for cell in row]
            key_index = _column(name, file, header, spec, "key_column", 0)
            value_index = _column(name, file, header, spec, "value_column", 1)
            continue
        if len(row) <= max(key_index, value_index):
            raise ArgError(f"row {line} of lookup file '{file}' has {len(row)} column(s), expected "
                           f"at least {max(key_index, value_index) + 1}", at=("file",),
                           hint=f"the delimiter was read as {delimiter!r} from the header row")
        key, value = row[key_index].strip(), row[value_index].strip()
        if not key:
            raise ArgError(f"empty key in row {line} of lookup file '{file}'", at=("file",))
        if key in entries:
            raise ArgError(f"rows {first_row[key]} and {line} of lookup file '{file}' have the same key",
                           at=("file",), hint="keep one row per key")
        entries[key] = value
        first_row[key] = line
    return entries, first_row


def _column(name: str, file: str, header: list[str], spec: dict, option: str, position: int) -> int:
    wanted = spec.get(option)
    if wanted is None:
        if len(header) <= position:
            raise ArgError(f"lookup file '{file}' has {len(header)} column(s); a key and a value "
                           "column are needed", at=("file",),
                           hint=f"columns present: {_columns(header)}")
        return position
    if wanted in header:
        return header.index(wanted)
    guess = did_you_mean(wanted, header)
    raise ArgError(f"column '{wanted}' not found in lookup file '{file}'{guess}", at=(option,),
                   hint=f"columns present: {_columns(header)}")


def _columns(header: list[str], limit: int = 20, width: int = 40) -> str:
    """The header's cells for a hint, each cut, at most ``limit`` of them (a file whose first line
    is not a header must not be shown at length)."""
    shown = [cell if len(cell) <= width else cell[:width - 1] + "…" for cell in header[:limit]]
    more = f", … ({len(header) - limit} more)" if len(header) > limit else ""
    return (", ".join(shown) or "none") + more
