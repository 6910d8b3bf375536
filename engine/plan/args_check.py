"""The ``args:`` of a transform checked against its schema when a mapping is compiled.

jsonschema-rs says "valid" for the common case without loading python-jsonschema (``validate`` of
valid specs starts faster); python-jsonschema, imported only then, explains a refusal with the rich
errors :func:`engine.schema.validate.error_to_diagnostics` places. Arguments holding a ``Decimal``
always go to the reference: its ``integer`` refuses ``2.0`` written in YAML, jsonschema-rs accepts it.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from engine.spec.fastcheck import passes, rs

_VALIDATORS: dict[int, ArgsValidator] = {}


def args_validator(spec: Any) -> ArgsValidator:
    """The validator of one transform's ``args_schema``, built once per transform."""
    validator = _VALIDATORS.get(id(spec))
    if validator is None:
        validator = ArgsValidator(spec.args_schema)
        _VALIDATORS[id(spec)] = validator
    return validator


class ArgsValidator:
    def __init__(self, schema: Any):
        self.schema = schema
        self.reference: Any = None  # python-jsonschema's validator, built for the first refusal
        self._fast: Any = None  # jsonschema-rs's, built when first asked (a warm `validate` never asks)

    @property
    def fast(self) -> Any:
        if self._fast is None and rs() is not None:
            try:
                self._fast = rs().validator_for(self.schema)
            except Exception:  # pragma: no cover - a schema the accelerator refuses
                self._fast = False
        return self._fast or None

    def iter_errors(self, args: Any) -> Any:
        """python-jsonschema's errors for ``args`` (none without asking it when the fast path agrees;
        a ``validate`` with its cache remembers that it agreed: engine/spec/fastcheck.py)."""
        if not _has_decimal(args) and passes("args", (self.schema, args), lambda: self.fast.is_valid(args)):
            return iter(())
        if self.reference is None:
            import jsonschema

            self.reference = jsonschema.Draft202012Validator(self.schema)
        return self.reference.iter_errors(args)


def _has_decimal(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_has_decimal(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_decimal(v) for v in value)
    return isinstance(value, Decimal)
