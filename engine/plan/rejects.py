"""``reject:`` — rules that set a record aside, with a reason, before anything is mapped or sent.

::

    reject:
      - when: "length(Reference) > `19`"
        reason: "reference {Reference} is {length(Reference)} characters, Sage accepts 19"

Rules are checked in order after ``filter`` (and after ``let``, whose names they may read); the first
whose condition is true fails the record: dead letter in a run, the failed list in a dry-run (exit
3). The reason is a template with ``{JMESPath}`` placeholders, parsed once by the same parser as the
``template`` transform. A flow without ``reject`` gets no closure: it pays nothing.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.checks.expr_lint import check_placeholders
from engine.errors import Diagnostic, RecordError, TransformError
from engine.lang.expr import CompiledExpr, getter
from engine.lang.registry import ArgError
from engine.lang.transforms.text import parse_template, template_renderer
from engine.plan.codegen import truthy
from engine.plan.lets import scope_names
from engine.project.load import Item
from engine.spec.yamlsrc import format_path

ExprFn = Callable[[Any, tuple, str], "CompiledExpr | None"]  # reports bad-expression itself


def compile_rejects(item: Item, rules: Any, expr: ExprFn, ctx: Any,
                    diags: list[Diagnostic]) -> Callable[[Any], None] | None:
    """``scope -> None`` raising the RecordError of the first rule that holds; None without rules."""
    if not isinstance(rules, list) or not rules:
        return None
    compiled = []
    for number, rule in enumerate(rules):
        if not isinstance(rule, dict):
            continue  # the schema said what is wrong
        path = ("reject", number)
        condition = expr(rule.get("when"), path + ("when",), "condition")
        reason = _reason(item, rule.get("reason"), path + ("reason",), ctx, diags)
        if condition is not None and reason is not None:
            compiled.append((getter(condition), reason, f"reject[{number}]", item.loc(*path)))
    return _rejecter(tuple(compiled)) if compiled else None


def _reason(item: Item, text: Any, path: tuple, ctx: Any, diags: list[Diagnostic]) -> Callable | None:
    if not isinstance(text, str):
        return None  # the schema said what is wrong
    quoted = item.doc.styles.get(item.path + path) in ("'", '"')
    spans: list = []
    try:
        render = template_renderer(parse_template(text, ctx, spans))
    except ArgError as exc:
        code = "bad-expression" if exc.message.startswith("in placeholder") else "bad-template"
        diags.append(Diagnostic(code, f"reason: {exc.message}", item.loc(*path).shifted(exc.offset + quoted),
                                format_path(item.path + path),
                                exc.hint or "a placeholder is {JMESPath}: {Reference}, {length(Reference)}"))
        return None
    # was: `{_index}` or `{_keyy}` in a reason went unreported (read as null, written as "")
    diags.extend(check_placeholders(spans, scope_names(item.data), item.loc(*path).shifted(quoted),
                                    format_path(item.path + path)))
    return render


def _rejecter(rules: tuple) -> Callable[[Any], None]:
    def reject(scope: Any) -> None:
        for holds, reason, field, loc in rules:
            try:
                hit = truthy(holds(scope))
            except TransformError as exc:
                raise RecordError(str(exc), field=field, loc=loc) from None
            if not hit:
                continue
            try:
                why = reason(scope)
            except TransformError as exc:  # still rejected: the rule holds, only its text failed
                why = f"(the reason could not be written: {exc})"
            raise RecordError(f"rejected: {why}", field=field, loc=loc)

    return reject


__all__ = ["compile_rejects"]
