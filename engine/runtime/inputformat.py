"""The format of a ``dry-run --input`` file given on the command line (``--input-format csv
--delimiter ';' --encoding cp1252 --decimal ,``): for a flow whose source is not a file connector
(a CSV export handed to a flow that reads a shop's API), checked with the same rules as a connector's
``format:`` block, every problem reported at once."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.connectors.codecs.records import InputError
from engine.connectors.codecs.textformat import TextFormat, compile_format
from engine.connectors.codecs.xmlfile import XmlFileFormat, compile_xml_format

OPTIONS = {"delimiter": "--delimiter", "quote": "--quote", "encoding": "--encoding", "decimal": "--decimal",
           "header": "--no-header", "columns": "--columns", "root": "--root", "record": "--record",
           "newline": "--newline"}


def input_format(spec: Mapping[str, Any], types: Mapping[str, str] | None = None) -> TextFormat | XmlFileFormat:
    """The declared format; InputError naming the options at fault."""
    problems: list[str] = []

    def error(message: str, path: tuple) -> None:
        option = OPTIONS.get(str(path[0]), "--input-format") if path else "--input-format"
        problems.append(f"{option}: {message}")

    kind = spec.get("type")
    extra = [OPTIONS[k] for k in spec if k in ("root", "record") and kind != "xml"] + \
        [OPTIONS[k] for k in spec if k in ("delimiter", "quote", "decimal", "header", "columns") and kind != "csv"]
    if extra:
        problems.append(f"{', '.join(extra)} apply to --input-format {'xml' if 'root' in spec else 'csv'}, "
                        f"not {kind}")
    found: Any = compile_xml_format(spec, error) if kind == "xml" else compile_format(spec, error)
    if problems or found is None:
        raise InputError("the --input format cannot be used: " + "; ".join(problems or ["invalid"]))
    return found.typed(types or {}) if isinstance(found, TextFormat) else found
