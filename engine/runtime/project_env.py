"""A client project's own environment, for processes running many projects (``passerelle worker``).

Each project of a folder of projects resolves its ``${env:...}`` against ONE environment, never a
mix: its own environment file ``PROJECT/.env`` when there is one (and then nothing of the worker's
process environment: two clients' settings can never meet), else the process environment (a
deployment giving one project per container or unit sets its variables there).

The file is the usual ``.env`` format: ``NAME=value`` lines, ``#`` comments, blank lines, an
optional ``export`` prefix, values optionally in single or double quotes (double quotes understand
``\\n``, ``\\"`` and ``\\\\``). Nothing is expanded inside a value. A line that is none of these is an
error located at ``file:line`` (its value never shown: it may be a secret).
"""
from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from engine.errors import OperatorError

ENV_FILE = ".env"
_LINE = re.compile(r"\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*\Z")
_ESCAPES = {"n": "\n", '"': '"', "\\": "\\", "t": "\t"}


def parse_env_file(path: Path) -> dict[str, str]:
    """``NAME=value`` pairs of an environment file (see the module's docstring)."""
    values: dict[str, str] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise OperatorError(f"{path}: cannot read the project's environment file: {exc}") from None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None:
            raise OperatorError(f"{path}:{number}:1: not a NAME=value line (the value is not shown)")
        name, raw = match.groups()
        values[name] = _value(raw, path, number)
    return values


def _value(raw: str, path: Path, number: int) -> str:
    if raw[:1] in ("'", '"'):
        quote = raw[0]
        end = _closing(raw, quote)
        if end is None:
            raise OperatorError(f"{path}:{number}:1: the value's {quote} quote is not closed")
        inner = raw[1:end]
        if quote == '"':
            inner = re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), inner)
        return inner
    return re.sub(r"\s+#.*\Z", "", raw)  # `NAME=value  # comment`


def _closing(raw: str, quote: str) -> int | None:
    i = 1
    while i < len(raw):
        if raw[i] == "\\" and quote == '"':
            i += 2
            continue
        if raw[i] == quote:
            return i
        i += 1
    return None


def project_environ(project_dir: Path, process: Mapping[str, str] | None = None) -> Mapping[str, str]:
    """The environment ``project_dir``'s ``${env:...}`` resolve against: its ``.env`` alone, else the
    process environment."""
    path = Path(project_dir) / ENV_FILE
    if path.is_file():
        return parse_env_file(path)
    return dict(os.environ if process is None else process)


__all__ = ["ENV_FILE", "parse_env_file", "project_environ"]
