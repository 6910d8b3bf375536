"""PROTOTYPE (measurement only, not used by the engine): how fast ``orders_to_sage`` gets with
fast paths in the transforms it uses and two small codegen changes.

Nothing in engine/ is modified: the faster transform factories are put in a private registry passed
to ``compile_project``, and the codegen changes are applied to the generated source text. Every
variant is checked to give the same JSON text as the current engine on every record, then timed
like bench/mapping.py (median of rounds). Delete this file once the engine has the fast paths.

    .venv/bin/python bench/speedup_prototype.py [--records 2000] [--rounds 7]
"""
from __future__ import annotations

import argparse
import copy
import dataclasses
import re
import statistics
import sys
from datetime import datetime
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import mapping as bench  # noqa: E402  (bench/mapping.py)

from engine.codegen import CodeGen, _missing, iter_list, truthy, with_parent  # noqa: E402
from engine.compiler import compile_project  # noqa: E402
from engine.context import SimpleContext  # noqa: E402
from engine.errors import TransformError  # noqa: E402
from engine.expr import compile_expression  # noqa: E402
from engine.jsonout import dumps  # noqa: E402
from engine.lookups import MISSING, build_lookup  # noqa: E402
from engine.mapping import MappingBuilder  # noqa: E402
from engine.project import load_project  # noqa: E402
from engine.registry import Registry, default_registry  # noqa: E402
from engine.transforms import dates, text as text_module  # noqa: E402
from engine.transforms._common import show, stringify, to_number  # noqa: E402

# -- fast transform factories (same results; the slow closure handles every unusual input) ---------

_PS_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2}) ([0-9]{2}):([0-9]{2}):([0-9]{2})\Z")


def fast_parse_date(original):
    """Fixed-width ``%Y-%m-%d %H:%M:%S`` read with a regex + datetime() instead of strptime."""
    def factory(arg, ctx):
        slow = original(arg, ctx)
        if arg.get("format") != "%Y-%m-%d %H:%M:%S" or "tz" not in arg:
            return slow
        zone, utc = dates.get_zone(arg["tz"]), dates.UTC

        def parse(value):
            if value.__class__ is str:
                match = _PS_DATE.match(value)
                if match is not None:
                    try:
                        naive = datetime(*map(int, match.groups()))
                    except ValueError:  # 0000-00-00 00:00:00, month 13, ...: the slow path decides
                        return slow(value)
                    return naive.replace(tzinfo=zone).astimezone(utc).astimezone(zone)
            return slow(value)
        return parse
    return factory


def fast_template(original):
    """Placeholders that are plain field names read with dict.get instead of a JMESPath visit."""
    def factory(arg, ctx):
        class FieldContext:
            base_dir = ctx.base_dir
            lookup = ctx.lookup

            def expression(self, source):
                path = compile_expression(source).simple_path
                if path is not None and len(path) == 1:
                    key = path[0]
                    return lambda value: value.get(key) if value.__class__ is dict else None
                return ctx.expression(source)

        parts = text_module.parse_template(arg, FieldContext())
        literal = [part if isinstance(part, str) else "" for part in parts]
        holes = [(i, part[0], part[1]) for i, part in enumerate(parts) if not isinstance(part, str)]

        def render(value):
            if value is None:
                return None
            out = list(literal)
            for i, source, search in holes:
                found = search(value)
                if found is None:
                    continue
                if found.__class__ is str:
                    out[i] = found
                elif isinstance(found, (dict, list)):
                    raise TransformError(f"template placeholder {{{source}}} gave {show(found)}, "
                                         "not a single value")
                else:
                    out[i] = stringify(found)
            return "".join(out)
        return render
    return factory


def _on_text(fn):
    return lambda value: None if value is None else fn(value if value.__class__ is str else stringify(value))


def fast_pad(original):
    def factory(arg, ctx):
        width, char = arg["width"], arg.get("char", " ")
        if arg.get("side", "left") == "left":
            return _on_text(lambda text: text.rjust(width, char))
        return _on_text(lambda text: text.ljust(width, char))
    return factory


def fast_lookup(original):
    """A hit is one dict.get for str values (text tables) or finite Decimal/int (number tables)."""
    def factory(arg, ctx):
        slow = original(arg, ctx)
        if isinstance(arg, str):
            table = ctx.lookup(arg)
        elif "table" in arg and "default" not in arg:
            table = ctx.lookup(arg["table"])
        elif "table" not in arg:
            table = build_lookup("(inline)", arg, ctx.base_dir)
        else:
            return slow
        entries = table._table  # normalised key -> value
        if table.match == "text":
            def resolve(value):
                if value.__class__ is str:
                    found = entries.get(value, MISSING)
                    if found is not MISSING:
                        return found
                return slow(value)
            return resolve
        if table.match == "number":
            def resolve(value):
                kind = value.__class__
                if kind is int or (kind is Decimal and value.is_finite()):
                    found = entries.get(value, MISSING)  # Decimal("20.000") finds Decimal(20)
                    if found is not MISSING:
                        return found
                return slow(value)
            return resolve
        return slow
    return factory


def _positive(value, name):
    if value is None:
        return None
    kind = value.__class__
    if kind is int or (kind is Decimal and value.is_finite()):
        return value if value > 0 else None
    number = to_number(value, name)
    return number if number > 0 else None


FAST = {
    "parse_date": fast_parse_date,
    "template": fast_template,
    "trim": lambda original: lambda arg, ctx: _on_text(str.strip),
    "prefix": lambda original: lambda arg, ctx: _on_text(lambda text: arg + text),
    "pad": fast_pad,
    "lookup": fast_lookup,
    "flag_if_positive": lambda original: lambda arg, ctx: (
        lambda value: None if _positive(value, "flag_if_positive") is None else 1),
    "if_positive": lambda original: lambda arg, ctx: (lambda value: _positive(value, "if_positive")),
}


def registry_with(names) -> Registry:
    registry = Registry()
    for spec in default_registry().all("transform"):
        if spec.name in names:
            spec = dataclasses.replace(spec, factory=FAST[spec.name](spec.factory))
        registry.add(spec)
    return registry


# -- codegen changes, applied to the generated text ------------------------------------------------

def codegen_variant(plan, flow, registry, edits):
    item = flow.item
    builder = MappingBuilder(item.doc, item.path, registry, SimpleContext(plan.lookups, item.base_dir), [])
    generator = CodeGen(flow.name)
    _, source = generator.build(builder.build_object(item.data["map"], ("map",)))
    for pattern, replacement in edits:
        source = re.sub(pattern, replacement, source)
    helpers = [truthy, iter_list, with_parent, _missing, (int, Decimal, float), copy.deepcopy, generator._fail]
    namespace = {"__builtins__": {"len": len, "dict": dict, "locals": locals, "Exception": Exception}}
    exec(compile(source, "<prototype>", "exec"), namespace)  # noqa: S102
    return namespace["make"](*helpers, *generator.args)


NO_F = (r"\n *F = \d+", "")  # (the field index would then come from the traceback line)
FIRST_GET = (r"(\w+) = (s\d+)\n *\1 = \1\.get\((K\d+)\) if \1\.__class__ is dict else None",
             r"\1 = \2.get(\3)")  # the first step on a scope known to be a dict


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    plan = bench.load_plan(bench.EXAMPLE)
    flow = bench.select_flow(plan, bench.FLOW)
    records = bench.build_records(bench.enriched_samples(plan, flow), args.records)
    reference = bench.import_reference()

    def compiled_with(names):
        fast_plan, _ = compile_project(load_project(bench.EXAMPLE), registry_with(names))
        return fast_plan.flows[bench.FLOW].map

    everything = registry_with(set(FAST))
    contenders = {
        "engine today": flow.map,
        "+ fast parse_date": compiled_with({"parse_date"}),
        "+ fast template": compiled_with({"template", "trim"}),
        "+ fast lookup": compiled_with({"lookup"}),
        "+ fast rules/text": compiled_with({"flag_if_positive", "if_positive", "prefix", "pad", "trim"}),
        "all but parse_date": compiled_with(set(FAST) - {"parse_date"}),
        "all transforms": compiled_with(set(FAST)),
        "all + codegen edits": codegen_variant(plan, flow, everything, [NO_F, FIRST_GET]),
        "hand-written": reference.map_order,
        "naive": bench.NaiveMapper(plan, flow).map,
    }
    for record in records:
        texts = {dumps(fn(record)) for fn in contenders.values()}
        assert len(texts) == 1, f"outputs differ for order {record['id']}"
    seconds = {name: [] for name in contenders}
    for _ in range(args.rounds):
        for name, fn in contenders.items():
            seconds[name].append(bench.time_once(fn, records))
    median = {name: statistics.median(times) for name, times in seconds.items()}
    print(f"{len(records)} records, {args.rounds} rounds, outputs identical; median per record:")
    for name, spent in median.items():
        print(f"  {name:<22}{1e6 * spent / len(records):7.2f} µs   vs hand-written "
              f"{median['hand-written'] / spent:4.2f}x   vs naive {median['naive'] / spent:5.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
