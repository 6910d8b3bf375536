"""SQL text of connector definitions, parsed once: every ``{placeholder}`` becomes a bound ``?``.

``UPDATE F_ARTSTOCK SET AS_QteSto = {payload.quantity} WHERE AR_Ref = {ref}`` is sent as
``UPDATE F_ARTSTOCK SET AS_QteSto = ? WHERE AR_Ref = ?`` with the two values bound as parameters:
a value is never pasted into the SQL text, so ``'; DROP TABLE F_ARTICLE; --`` stays data.

The scanner knows SQL's quoted parts — string literals ``'...'`` (``''`` inside), quoted identifiers
``"..."`` and ``[...]``, comments ``-- ...`` and ``/* ... */`` — because a placeholder inside one of
them cannot be a parameter (``'{ref}'`` would be the text ``?``): it is refused, as are a raw ``?``
(write a placeholder instead), an unbalanced brace (write ``{{`` or ``}}`` for a literal brace), an
unterminated quote, and a second statement after a ``;`` (a driver such as SQL Server's runs a whole
batch: one text is one statement; several go in ``statements``).
"""
from __future__ import annotations

import re
from dataclasses import field

from engine.util.records import frozen

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_PIPE = re.compile(r"\s*\|\s*([A-Za-z_][A-Za-z0-9_]*)\s*")
_CLOSERS = {"'": "'", '"': '"', "[": "]"}
_QUOTED = {"'": "a quoted SQL string literal", '"': "a quoted identifier", "[": "a bracketed identifier",
           "--": "an SQL comment", "/*": "an SQL comment"}


class SqlTextError(ValueError):
    """SQL text that cannot be compiled; ``offset`` is the 0-based position of the problem."""

    def __init__(self, message: str, offset: int):
        super().__init__(message)
        self.message, self.offset = message, offset


@frozen
class SqlText:
    """``text`` is what the driver gets (one ``?`` per placeholder); ``params`` are the placeholders'
    dotted paths in order (``("payload", "quantity")``, ``("ref",)``)."""

    source: str
    text: str
    params: tuple[tuple[str, ...], ...]
    pipes: tuple[tuple[str, ...], ...] = ()  # per parameter, the transforms its value goes through
    apply: tuple = field(default=(), compare=False)  # per parameter, the pipes compiled (None: no pipe)

    def __repr__(self) -> str:
        return f"SqlText({self.source!r})"


def parse_sql(source: str) -> SqlText:
    out: list[str] = []
    params: list[tuple[str, ...]] = []
    pipes: list[tuple[str, ...]] = []
    pos, size = 0, len(source)
    while pos < size:
        char = source[pos]
        two = source[pos:pos + 2]
        if char in "{}":
            pos = _brace(source, pos, out, params, inside=None, pipes=pipes)
        elif char == "?":
            raise SqlTextError("a raw `?` parameter: write a {placeholder} instead (its value is bound "
                               "as a parameter)", pos)
        elif char in _CLOSERS or two in ("--", "/*"):
            pos = _quoted(source, pos, "--" if two == "--" else "/*" if two == "/*" else char, out)
        elif char == ";" and _more_after(source, pos + 1):
            raise SqlTextError("a second statement after `;`: one SQL text is one "
                               "statement; write each in its own `statements` entry", pos)
        else:
            out.append(char)
            pos += 1
    return SqlText(source, "".join(out), tuple(params), tuple(pipes) if any(pipes) else ())


def _more_after(source: str, pos: int) -> bool:
    """Whether anything but blanks and comments follows ``pos``."""
    while pos < len(source):
        if source[pos].isspace():
            pos += 1
        elif source.startswith("--", pos):
            end = source.find("\n", pos)
            pos = len(source) if end < 0 else end
        elif source.startswith("/*", pos):
            end = source.find("*/", pos + 2)
            pos = len(source) if end < 0 else end + 2
        else:
            return True
    return False


def _brace(source: str, pos: int, out: list[str], params: list | None, inside: str | None,
           pipes: list | None = None) -> int:
    """A brace at ``pos``: a literal ``{{``/``}}``, a placeholder (``{path}``, or ``{path | transform}``
    whose value goes through registered transforms), or an error. Returns the next position."""
    pair = source[pos:pos + 2]
    if pair in ("{{", "}}"):
        out.append(pair[0])
        return pos + 2
    if source[pos] == "{":
        match = _NAME.match(source, pos + 1)
        end, names = (match.end(), []) if match else (pos, [])
        while match and (pipe := _PIPE.match(source, end)):
            names.append(pipe.group(1))
            end = pipe.end()
        if match and source[end:end + 1] == "}":
            if inside is not None:
                raise SqlTextError(f"placeholder {{{match.group(0)}}} inside {_QUOTED[inside]}: a value is "
                                   f"bound as a parameter, never pasted into the text; write {{{match.group(0)}}} "
                                   "without quotes around it", pos)
            assert params is not None and pipes is not None
            params.append(tuple(match.group(0).split(".")))
            pipes.append(tuple(names))
            out.append("?")
            return end + 1
    raise SqlTextError(f"unbalanced brace at character {pos + 1} (write {{{{ or }}}} for a literal brace)", pos)


def _quoted(source: str, start: int, opener: str, out: list[str]) -> int:
    """Copy a string literal, quoted identifier or comment; placeholders inside are refused."""
    if opener == "--":
        end = source.find("\n", start)
        end = len(source) if end < 0 else end
        closing = ""
    elif opener == "/*":
        end = source.find("*/", start + 2)
        if end < 0:
            raise SqlTextError("unterminated comment `/*`", start)
        closing = "*/"
    else:
        closing = _CLOSERS[opener]
        end = start + 1
        while True:
            end = source.find(closing, end)
            if end < 0:
                what = _QUOTED[opener].split(" ", 1)[1]
                raise SqlTextError(f"unterminated {what} (opened at character {start + 1})", start)
            if source[end + 1:end + 2] == closing:  # '' inside '...', "" inside "...", ]] inside [...]
                end += 2
                continue
            break
    pos = start
    body_end = end
    while pos < body_end:
        if source[pos] in "{}":
            pos = _brace(source, pos, out, None, opener)
        else:
            out.append(source[pos])
            pos += 1
    out.append(closing)
    return end + len(closing)
