"""JSON-Schema validation of spec documents, with every error placed on the YAML node it concerns.

The schemas in ``schemas/`` are the single source of truth for the spec language. Valid documents
(the common case, and what CI runs thousands of times) take the fast path through jsonschema-rs;
only an invalid document is walked by python-jsonschema's ``iter_errors``, whose rich error objects
let us report an unknown key at the key with a "did you mean", a missing key at its mapping, and so
on — all errors at once.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.errors import Diagnostic
from engine.util.digest import blake2b
from engine.util.resources import schemas_dir
from engine.util.suggest import closest, hint_for, known_list
from engine.spec import yamlcache
from engine.spec.fastcheck import passes, rs  # jsonschema-rs, the accelerator; the python validator is the reference
from engine.spec.yamlsrc import YamlDoc, format_path

if TYPE_CHECKING:  # python-jsonschema is imported only to explain an invalid document (start-up time)
    import jsonschema
    from referencing import Registry

_BASE = "https://passerelle.invalid/schemas/"
SCHEMA_FILES = ("project.schema.json", "connector.schema.json", "transforms.schema.json",
                "protocols.schema.json")



def schema_dir() -> Path:
    return schemas_dir()


@lru_cache(maxsize=None)
def load_schema(name: str) -> dict:
    return json.loads((schemas_dir() / name).read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def _registry() -> Registry:
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012 as _DRAFT

    resources = []
    for name in SCHEMA_FILES:
        resource = Resource.from_contents(load_schema(name), default_specification=_DRAFT)
        resources += [(name, resource), (_BASE + name, resource)]
    return Registry().with_resources(resources)




@lru_cache(maxsize=None)
def python_validator(name: str) -> jsonschema.Draft202012Validator:
    import jsonschema

    return jsonschema.Draft202012Validator(load_schema(name), registry=_registry())


@lru_cache(maxsize=None)
def _fast_validator(name: str):
    if rs() is None:
        return None
    registry = rs().Registry([(_BASE + n, load_schema(n)) for n in SCHEMA_FILES])
    return rs().validator_for(load_schema(name), registry=registry, base_uri=_BASE + name)


def schema_errors(schema_name: str, data: Any) -> list:
    """The reference validator's errors for ``data`` (none without asking it when jsonschema-rs
    accepts the document: the common case needs neither the python validator nor its import)."""
    if passes("spec schema", (_check_stamp(schema_name), data), lambda: _fast_valid(schema_name, data)):
        return []  # (under `validate`'s cache, remembered when it passed before: engine/spec/fastcheck.py)
    return list(python_validator(schema_name).iter_errors(data))


def _fast_valid(schema_name: str, data: Any) -> bool:
    """jsonschema-rs accepts ``data`` (False: refused, or a value it cannot take, or not installed)."""
    fast = _fast_validator(schema_name)
    if fast is not None:
        try:
            return bool(fast.is_valid(data))
        except Exception:  # values the accelerator cannot take: the reference decides
            pass
    return False


@lru_cache(maxsize=None)
def _check_stamp(schema_name: str) -> bytes:
    """Everything jsonschema-rs's verdict on a document depends on besides the document: the schemas'
    bytes, this module's source, the validator's binary (the cache of parsed files keeps verdicts)."""
    digest = blake2b(schema_name.encode(), digest_size=32)
    for name in sorted({*SCHEMA_FILES, schema_name}):
        digest.update((schemas_dir() / name).read_bytes())
    digest.update(Path(__file__).read_bytes())
    digest.update(yamlcache.package_stamp("jsonschema_rs").encode())
    return digest.digest()


def validate_doc(doc: YamlDoc, schema_name: str, skip=None) -> list[Diagnostic]:
    """Validate a parsed document; ``skip(error)`` may drop errors reported better elsewhere.
    ``doc`` is as it was parsed (a document read through the cache of parsed files may have its
    passed check remembered there)."""
    if doc.data is None and not doc.ok:
        return []
    cache = yamlcache.active() if doc.digest is not None else None
    if cache is not None and doc.digest is not None:
        if cache.knows_valid(doc.digest, _check_stamp(schema_name)):
            return []
        if _fast_valid(schema_name, doc.data):
            cache.remember_valid(doc.digest, _check_stamp(schema_name))
            return []
    diags = []
    for error in schema_errors(schema_name, doc.data):
        if skip is not None and skip(error):
            continue
        diags.extend(error_to_diagnostics(error, doc, ()))
    return diags


def error_to_diagnostics(error, doc: YamlDoc, prefix: tuple) -> list[Diagnostic]:
    """Turn one jsonschema error into located diagnostics (``prefix``: where the instance sits)."""
    path = prefix + tuple(error.absolute_path)
    kind = error.validator
    schema = error.schema if isinstance(error.schema, dict) else {}
    instance = error.instance
    if kind == "additionalProperties" and isinstance(instance, dict):
        known = list(schema.get("properties", {}))
        extra = [k for k in instance if k not in known]
        return [Diagnostic("unknown-key", f"unknown key '{key}'", doc.key_loc(path + (key,)),
                           format_path(path + (key,)),
                           hint_for(key, known, "keys") if known else None)
                for key in extra]
    if kind == "required":
        missing = [k for k in error.validator_value if isinstance(instance, dict) and k not in instance]
        return [Diagnostic("missing-key", f"missing required key '{key}'", doc.loc(path),
                           format_path(path), _missing_hint(key))
                for key in missing]
    if kind == "type":
        return [Diagnostic("wrong-type", f"expected {_type_words(error.validator_value)}, got "
                           f"{_describe(instance)}", doc.loc(path), format_path(path),
                           _type_hint(error, instance))]
    if kind == "enum":
        options = [o for o in error.validator_value if isinstance(o, str)]
        hint = hint_for(str(instance), options, "values") if isinstance(instance, str) else \
            f"one of: {known_list(options)}"
        return [Diagnostic("bad-value", f"{_describe(instance)} is not one of: {known_list(options)}",
                           doc.loc(path), format_path(path), hint)]
    if _is_property_name(error):
        return [_bad_name(doc, path, instance)]
    return [Diagnostic("bad-value", _plain_message(error), doc.loc(path), format_path(path))]


def _bad_name(doc, path, instance):
    key = instance if isinstance(instance, str) else str(instance)
    return Diagnostic("bad-name", f"invalid name '{key}'", doc.key_loc(path + (key,)),
                      format_path(path + (key,)),
                      "names use letters, digits, '_' and '-', start with a letter or '_', "
                      "at most 64 characters")


def _is_property_name(error) -> bool:
    return "propertyNames" in error.absolute_schema_path


def _missing_hint(key: str) -> str | None:
    hints = {
        "map": "a flow needs `map:` describing the target payload",
        "source": "a flow needs `source: {endpoint: ..., read: ...}`",
        "target": "a flow needs `target: {endpoint: ..., write: ...}`",
        "use": "an endpoint names its connector definition: `use: prestashop`",
    }
    return hints.get(key)


_TYPE_WORDS = {"object": "a mapping", "array": "a list", "string": "a text", "number": "a number",
               "integer": "a whole number", "boolean": "true or false", "null": "null"}


def _type_words(types) -> str:
    if isinstance(types, str):
        types = [types]
    words = [_TYPE_WORDS.get(t, t) for t in types]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else text[:37] + "…"


FIELD_SPEC_KEYS = ("from", "value", "map", "each", "when", "transform", "else", "required", "omit_null")


def _type_hint(error, instance) -> str | None:
    is_field = isinstance(error.schema, dict) and error.schema.get("$comment") == "fieldEntry"
    if is_field and not isinstance(instance, (dict, list)):
        key = error.absolute_path[-1] if error.absolute_path else None
        guess = closest(key, FIELD_SPEC_KEYS) if isinstance(key, str) and key.islower() else None
        if guess and guess != key:
            return f"did you mean '{guess}'? (a field is written {{{guess}: ...}})"
        shown = _describe(instance)
        return (f"write {{from: {instance}}} for a source field, or {{value: {shown}}} for a constant"
                if isinstance(instance, str) else f"write {{value: {shown}}} for a constant")
    if instance in ("yes", "no", "on", "off", "True", "False", "YES", "NO"):
        return "write true or false"
    return None


def _plain_message(error) -> str:
    message = error.message
    return message if len(message) <= 200 else message[:197] + "…"
