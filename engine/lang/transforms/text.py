"""Text transforms: prefixes, case, trimming, padding, replacing, joining, templates.

Every transform here stringifies its input first (Decimal written plainly, ``true``/``false``), so
``{prefix: "PS_"}`` on the order id ``1042`` gives ``"PS_1042"``. ``None`` in gives ``None`` out.
"""
from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from engine.errors import TransformError
from engine.lang.expr import bracket_depths, compile_expression
from engine.lang.patterns import TIMEOUT, BoundedPattern
from engine.lang.registry import ArgError, CompileContext, Example as E, Registry
from engine.lang.transforms._common import expect_list, parse_number, same_value, show, stringify, to_decimal, to_number

CATEGORY = "text"
MAX_WIDTH = 1_000  # pad: a code or a number padded for a target field, never a page of text
MAX_LENGTH = 1_000_000  # truncate: beyond, there is nothing left to cut


def _text(description: str, **keywords: Any) -> dict:
    return {"type": "string", "description": description, **keywords}


def _on_text(fn):
    """A closure applying ``fn`` to the stringified value; None stays None."""
    def apply(value):
        if value.__class__ is str:  # the common case first: no conversion
            return fn(value)
        return None if value is None else fn(stringify(value))

    return apply


def register(reg: Registry) -> None:
    @reg.transform("prefix", category=CATEGORY, args=_text("Text put before the value."),
                   summary="Put a text before the value (stringified first).",
                   examples=[E("PS_", 1042, "PS_1042"), E("WEB-", "C56", "WEB-C56"), E("PS_", None, None)])
    def prefix(arg: str, ctx: CompileContext):
        def apply(value):
            cls = value.__class__
            if cls is str:
                return arg + value
            if cls is int:
                return arg + str(value)
            return None if value is None else arg + stringify(value)

        setattr(apply, "inline", ("{0} + {v} if {v}.__class__ is str else {0} + str({v}) if {v}.__class__ is int "
                                  "else {F}({v})", (arg,)))
        return apply

    @reg.transform("suffix", category=CATEGORY, args=_text("Text put after the value."),
                   summary="Put a text after the value (stringified first).",
                   examples=[E("-PS", 1042, "1042-PS"), E(" EUR", "12.50", "12.50 EUR"),
                             E("-PS", None, None)])
    def suffix(arg: str, ctx: CompileContext):
        return _on_text(lambda text: text + arg)

    @reg.transform("upper", category=CATEGORY, summary="Upper-case the text.",
                   examples=[E(None, "Claire Martin", "CLAIRE MARTIN"),
                             E(None, "rue de l'Église", "RUE DE L'ÉGLISE"),
                             E(None, None, None)])
    def upper(arg: None, ctx: CompileContext):
        return _on_text(str.upper)

    @reg.transform("lower", category=CATEGORY, summary="Lower-case the text.",
                   examples=[E(None, "CLAIRE.MARTIN@EXAMPLE.FR", "claire.martin@example.fr"),
                             E(None, None, None)])
    def lower(arg: None, ctx: CompileContext):
        return _on_text(str.lower)

    @reg.transform("trim", category=CATEGORY, summary="Remove spaces (and tabs, line breaks) at both ends.",
                   examples=[E(None, "  BAGUE-OR-18K \n", "BAGUE-OR-18K"), E(None, "   ", ""),
                             E(None, None, None)])
    def trim(arg: None, ctx: CompileContext):
        apply = _on_text(str.strip)
        setattr(apply, "inline", ("{v}.strip() if {v}.__class__ is str else {F}({v})", ()))
        return apply

    @reg.transform("truncate", category=CATEGORY,
                   args={"type": "integer", "minimum": 0, "maximum": MAX_LENGTH,
                         "description": "Maximum number of characters (Sage AR_Ref: 19, CT_Num: 17)."},
                   summary="Cut the text to at most N characters.",
                   examples=[E(19, "BAGUE-SOLITAIRE-OR-BLANC-18K", "BAGUE-SOLITAIRE-OR-"),
                             E(17, "C56", "C56"), E(17, None, None)])
    def truncate(arg: int, ctx: CompileContext):
        return _on_text(lambda text: text[:arg])

    @reg.transform("pad", category=CATEGORY,
                   args={"type": "object", "description": "Padding to a fixed width.",
                         "properties": {
                             "width": {"type": "integer", "minimum": 1, "maximum": MAX_WIDTH,
                                       "description": "Width to reach."},
                             "char": {"type": "string", "minLength": 1, "maxLength": 1,
                                      "description": "Padding character (default: a space)."},
                             "side": {"enum": ["left", "right"],
                                      "description": "Where the padding goes (default: left)."}},
                         "required": ["width"], "additionalProperties": False},
                   summary="Pad the text to a width (longer text is left unchanged).",
                   examples=[E({"width": 6, "char": "0"}, 56, "000056"),
                             E({"width": 8, "side": "right", "char": "_"}, "C56", "C56_____"),
                             E({"width": 2, "char": "0"}, "1042", "1042")])
    def pad(arg: dict, ctx: CompileContext):
        width, char = arg["width"], arg.get("char", " ")
        left = arg.get("side", "left") == "left"

        def apply(value):
            cls = value.__class__
            if cls is int:
                text = str(value)
            elif cls is str:
                text = value
            elif value is None:
                return None
            else:
                text = stringify(value)
            return text.rjust(width, char) if left else text.ljust(width, char)

        if left:
            setattr(apply, "inline", ("str({v}).rjust({0}, {1}) if {v}.__class__ is int else {F}({v})",
                                      (width, char)))
        return apply

    @reg.transform("replace", category=CATEGORY,
                   args={"type": "object", "description": "Plain text replacement (every occurrence).",
                         "properties": {"old": _text("Text to find.", minLength=1),
                                        "new": _text("Replacement text.")},
                         "required": ["old", "new"], "additionalProperties": False},
                   summary="Replace every occurrence of a text by another.",
                   examples=[E({"old": ",", "new": "."}, "12,50", "12.50"),
                             E({"old": " ", "new": ""}, "06 12 34 56 78", "0612345678")])
    def replace(arg: dict, ctx: CompileContext):
        old, new = arg["old"], arg["new"]
        return _on_text(lambda text: text.replace(old, new))

    @reg.transform("regex_replace", category=CATEGORY,
                   args={"type": "object", "description": "Regular expression replacement (Python syntax).",
                         "properties": {
                             "pattern": _text(f"Regular expression to find (Python re syntax; it may run "
                                              f"at most {TIMEOUT} s on a value, or the record fails)."),
                             "replace": _text("Replacement; \\1 or \\g<name> insert a captured group.")},
                         "required": ["pattern", "replace"], "additionalProperties": False},
                   summary="Replace every match of a regular expression.",
                   examples=[E({"pattern": "[^0-9+]", "replace": ""}, "+33 (0)6 12-34-56-78",
                               "+330612345678"),
                             E({"pattern": "^(\\d{2})/(\\d{2})/(\\d{4})$", "replace": "\\3-\\2-\\1"},
                               "14/05/2024", "2024-05-14")])
    def regex_replace(arg: dict, ctx: CompileContext):
        template = arg["replace"]  # checked with the pattern (see engine.lang.patterns)
        regex = BoundedPattern(arg["pattern"], replacement=template)  # run with a time bound
        return _on_text(lambda text: regex.sub(template, text))

    @reg.transform("join", category=CATEGORY, args=_text("Separator put between the items."),
                   summary="Join a list into a text; null items are skipped.",
                   examples=[E(", ", ["12 rue des Lilas", None, "Bât. B"], "12 rue des Lilas, Bât. B"),
                             E("-", ["PS", 1042, 3], "PS-1042-3"),
                             E(", ", "12 rue des Lilas", raises="join expects a list")])
    def join(arg: str, ctx: CompileContext):
        return lambda value: _join(arg, value, "join")

    @reg.transform("concat", category=CATEGORY,
                   summary="Join a list into a text with no separator; null items are skipped.",
                   examples=[E(None, ["PS", "_", 1042], "PS_1042"), E(None, ["C", None, 56], "C56"),
                             E(None, None, None)])
    def concat(arg: None, ctx: CompileContext):
        return lambda value: _join("", value, "concat")

    @reg.transform("split", category=CATEGORY, args=_text("Separator.", minLength=1),
                   summary="Split a text into a list of texts (an empty text gives an empty list).",
                   examples=[E(",", "12,15,27", ["12", "15", "27"]),
                             E(" | ", "Or | Argent", ["Or", "Argent"]),
                             E(",", "", [])])
    def split(arg: str, ctx: CompileContext):
        return _on_text(lambda text: text.split(arg) if text else [])

    @reg.transform("template", category=CATEGORY,
                   args=_text("Text with {expression} placeholders evaluated on the value "
                              "({{ and }} are literal braces).", minLength=1),
                   summary="Build a text from the value: {expr} placeholders are JMESPath expressions on it.",
                   examples=[E("{firstname} {lastname}", {"firstname": "Claire", "lastname": "Martin"},
                               "Claire Martin"),
                             E("Commande {id} ({reference})", {"id": 1042, "reference": "XKBKNABJK"},
                               "Commande 1042 (XKBKNABJK)"),
                             E("{{PS}} {company}", {"company": None}, "{PS} ")])
    def template(arg: str, ctx: CompileContext):
        parts = parse_template(arg, ctx)
        fill = template_renderer(parts)
        return _fields_template(parts, fill) or (lambda value: None if value is None else fill(value))

    @reg.transform("default", category=CATEGORY,
                   args={"description": "Value used when the input is null or an empty text (any value)."},
                   summary="Replace a null or empty value by a fixed value.",
                   examples=[E("DIVERS", None, "DIVERS"), E("DIVERS", "", "DIVERS"),
                             E(Decimal("0.00"), Decimal("4.90"), Decimal("4.90"))])
    def default(arg: Any, ctx: CompileContext):
        return lambda value: arg if value is None or value == "" else value

    @reg.transform("coalesce", category=CATEGORY,
                   summary="The first item of a list that is neither null nor an empty text.",
                   examples=[E(None, [None, "", "06 12 34 56 78", "01 23 45 67 89"], "06 12 34 56 78"),
                             E(None, [None, ""], None),
                             E(None, "06 12 34 56 78", raises="coalesce expects a list")])
    def coalesce(arg: None, ctx: CompileContext):
        def first(value: Any) -> Any:
            if value is None:
                return None
            return next((item for item in expect_list(value, "coalesce")
                         if item is not None and item != ""), None)

        return first

    @reg.transform("null_if", category=CATEGORY,
                   args={"description": "Value (or list of values) that means null; numbers compare "
                                        "numerically, so 0 also matches 0.00 and '0.000000'."},
                   summary="Turn a placeholder value (0, '', '0000-00-00', ...) into null.",
                   examples=[E(0, Decimal("0.000000"), None), E(0, Decimal("4.90"), Decimal("4.90")),
                             E(["", "0000-00-00"], "0000-00-00", None), E("", "C56", "C56")])
    def null_if(arg: Any, ctx: CompileContext):
        candidates = list(arg) if isinstance(arg, list) else [arg]

        def nullify(value: Any) -> Any:
            return None if any(same_value(value, c) for c in candidates) else value

        return nullify

    @reg.transform("cast", category=CATEGORY,
                   args={"enum": ["int", "decimal", "string", "bool"],
                         "description": "Target type: int (whole numbers only), decimal, string or bool."},
                   summary="Convert the value to an int, a decimal, a text or a boolean.",
                   examples=[E("int", "12.000", 12), E("decimal", "12.500000", Decimal("12.500000")),
                             E("string", Decimal("4.90"), "4.90"), E("bool", "1", True),
                             E("int", "12.5", raises="not a whole number"),
                             E("bool", "oui", raises="true/false")])
    def cast(arg: str, ctx: CompileContext):
        convert = _CASTS[arg]
        return lambda value: None if value is None else convert(value)


def _cast_int(value: Any) -> int:
    number = to_number(value, "cast int")
    if isinstance(number, int):
        return number
    if number != number.to_integral_value():
        raise TransformError(f"cannot cast {show(value)} to int: not a whole number (round it first)")
    return int(number)


def _cast_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    key = value.strip().lower() if isinstance(value, str) else parse_number(value)
    if key in ("true", "1", 1):
        return True
    if key in ("false", "0", 0):
        return False
    raise TransformError(f"cannot cast {show(value)} to bool: expected true/false, 1/0, "
                         "'true'/'false' or '1'/'0'")


_CASTS = {"int": _cast_int, "decimal": lambda v: to_decimal(v, "cast decimal"), "string": stringify,
          "bool": _cast_bool}


def _join(separator: str, value: Any, name: str) -> Any:
    if value is None:
        return None
    return separator.join(stringify(item) for item in expect_list(value, name) if item is not None)


def parse_template(text: str, ctx: CompileContext, spans: list | None = None) -> list:
    """Literal strings and ``(expression text, compiled search)`` pairs; ArgError on bad syntax.
    ``spans``: receives ``(offset, expression text)`` of each placeholder (for located name checks)."""
    parts: list = []
    literal: list[str] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == "}":
            if text.startswith("}}", i):
                literal.append("}")
                i += 2
                continue
            raise ArgError("single '}' in template", offset=i, hint="write '}}' for a literal brace")
        if char != "{":
            literal.append(char)
            i += 1
            continue
        if text.startswith("{{", i):
            literal.append("{")
            i += 2
            continue
        end = _closing_brace(text, i)
        if end < 0:
            raise ArgError("unclosed '{' in template", offset=i, hint="write '{{' for a literal brace")
        source = text[i + 1:end]
        try:
            search = ctx.expression(source)
        except ArgError as exc:
            raise ArgError(f"in placeholder {{{source}}}: {exc.message}", hint=exc.hint,
                           offset=i + 1 + exc.offset) from None
        if literal:
            parts.append("".join(literal))
            literal = []
        parts.append((source, search))
        if spans is not None:
            spans.append((i + 1, source))
        i = end + 1
    if literal:
        parts.append("".join(literal))
    return parts


def template_renderer(parts: list) -> Callable[[Any], str]:
    """``scope -> text`` for parts from :func:`parse_template` (a null placeholder gives ""; a list or
    an object is a TransformError). Shared by the ``template`` transform and the ``reject`` reasons."""

    def render(value: Any) -> str:
        out = []
        for part in parts:
            if part.__class__ is str:
                out.append(part)
                continue
            text, search = part
            found = search(value)
            if found.__class__ is str:  # the common case: no conversion
                out.append(found)
            elif found is None:
                out.append("")
            elif isinstance(found, (dict, list)):
                raise TransformError(f"template placeholder {{{text}}} gave {show(found)}, not a "
                                     "single value")
            else:
                out.append(stringify(found))
        return "".join(out)

    return render


def _fields_template(parts: list, fill: Callable[[Any], str]) -> Callable[[Any], Any] | None:
    """A faster renderer for templates whose placeholders are all plain field names
    (``{firstname} {lastname}``) on an object whose fields are texts; anything else (a null, a
    number, not an object) goes to ``fill``, the general renderer, so results are the same."""
    pairs: list[tuple[str, str]] = []
    literal = ""
    for part in parts:
        if part.__class__ is str:
            literal += part
            continue
        path = compile_expression(part[0]).simple_path
        if path is None or len(path) != 1:
            return None
        pairs.append((literal, path[0]))
        literal = ""
    tail = literal
    if len(pairs) == 2:  # "{firstname} {lastname}": the usual shape, written out
        (before1, key1), (before2, key2) = pairs

        def render2(value: Any) -> Any:
            if value.__class__ is dict:
                first, second = value.get(key1), value.get(key2)
                if first.__class__ is str and second.__class__ is str:
                    return f"{before1}{first}{before2}{second}{tail}"
            return None if value is None else fill(value)

        return render2

    def render(value: Any) -> Any:
        if value.__class__ is not dict:
            return None if value is None else fill(value)
        out = []
        for before, key in pairs:
            found = value.get(key)
            if found.__class__ is not str:
                return fill(value)
            out.append(before)
            out.append(found)
        out.append(tail)
        return "".join(out)

    return render if pairs else None


def _closing_brace(text: str, start: int) -> int:
    """Index of the brace closing the placeholder opened at ``start`` (nested braces and quoted
    JMESPath literals allowed), or -1."""
    return next((i for i, depth in bracket_depths(text, start, "{", "}") if depth == 0), -1)

