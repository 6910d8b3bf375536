"""The fast generated mapper (issue 10): dict displays, paths read once per block, fused transforms,
and the fast paths of template, text lookups and if_positive — same results and errors as before."""
from datetime import datetime
from decimal import Decimal

import pytest

from engine.errors import RecordError, TransformError
from engine.lang.context import SimpleContext
from engine.lang.lookups import LookupTable
from engine.lang.registry import Registry
from engine.lang.transforms import register_all
from engine.lang.transforms._datefast import iso_reader
from engine.plan.fuse import fuse_steps
from engine.plan.mapping import Transform
from helpers import compile_flow

REG = Registry()
register_all(REG)


def make(name, arg=None, ctx=None):
    return REG.get("transform", name).factory(arg, ctx or SimpleContext())


def test_key_order_is_the_spec_order_around_conditional_fields(tmp_path):
    flow = compile_flow(tmp_path, """
        a: { value: 1 }
        b: { when: "flag", value: 2 }
        c: { from: x.y }
        d: { from: nothing, omit_null: true }
        e: { value: 5 }
        lst: [ { value: 1 } ]
    """)
    assert list(flow.map({"flag": True, "x": {"y": 3}})) == ["a", "b", "c", "e", "lst"]
    assert list(flow.map({"flag": False, "x": {"y": 3}, "nothing": 0})) == ["a", "c", "d", "e", "lst"]
    assert "o0 = {" in flow.source_code  # the leading fields in one dict display


def test_a_path_read_in_one_branch_is_read_again_in_the_other_and_after(tmp_path):
    flow = compile_flow(tmp_path, """
        first: { when: "flag", from: a.b.c, else: { from: a.b.d } }
        second: { when: "a.b.c > `1`", from: a.b.c, else: { from: a.b.d } }
        after: { from: a.b.d }
        inner: { when: "flag", map: { deep: { from: a.b.c } } }
        last: { from: a.b.c }
    """)
    record = {"flag": False, "a": {"b": {"c": 2, "d": "D"}}}
    assert flow.map(record) == {"first": "D", "second": 2, "after": "D", "last": 2}
    record = {"flag": True, "a": {"b": {"c": 0, "d": "D"}}}
    assert flow.map(record) == {"first": 0, "second": "D", "after": "D", "inner": {"deep": 0}, "last": 0}
    assert flow.map({"flag": True, "a": "text"}) == {"first": None, "second": None, "after": None,
                                                      "inner": {"deep": None}, "last": None}
    assert flow.source_code.count(".get(") <= 12  # a path is read once per block, not once per use (26)


def test_paths_inside_each_are_read_per_item(tmp_path):
    flow = compile_flow(tmp_path, """
        lines:
          - each: rows
            map:
              p: { when: "d.r > `0`", from: price, else: { from: base } }
              r: { from: d.r }
              t: { from: d.t.rate }
    """)
    rows = [{"d": {"r": 1, "t": {"rate": 5}}, "price": 10, "base": 9}, {"d": None, "base": 8}, "odd"]
    assert flow.map({"rows": rows})["lines"] == [{"p": 10, "r": 1, "t": 5}, {"p": 8, "r": None, "t": None},
                                                  {"p": None, "r": None, "t": None}]


def test_failures_are_still_located_on_their_field(tmp_path):
    flow = compile_flow(tmp_path, """
        ok: { from: a }
        lines:
          - each: rows
            map:
              code: { from: code, required: true }
              neg: { from: n, transform: [negate] }
    """)
    with pytest.raises(RecordError) as failed:
        flow.map({"a": 1, "rows": [{"code": 1, "n": 1}, {"code": None, "n": "x"}]})
    assert failed.value.field == "lines[1].code" and "required" in failed.value.reason
    with pytest.raises(RecordError) as failed:
        flow.map({"a": 1, "rows": [{"code": 1, "n": "x"}]})
    assert failed.value.field == "lines[0].neg" and "expected a number" in failed.value.reason


def test_parse_date_then_ms_json_date_is_one_call(tmp_path):
    flow = compile_flow(tmp_path, """
        d: { from: d, transform: [{ parse_date: { format: "%Y-%m-%d %H:%M:%S", tz: Europe/Paris } }, ms_json_date] }
        e: { from: e, transform: [{ parse_date: { format: "%d/%m/%Y %H:%M:%S", tz: Europe/Paris } }, ms_json_date] }
    """)
    assert flow.map({"d": "2024-05-14 10:21:07", "e": "14/05/2024 10:21:07"}) == \
        {"d": "/Date(1715674867000+0200)/", "e": "/Date(1715674867000+0200)/"}
    assert flow.map({"d": "2024-03-31 02:30:00"})["d"] == "/Date(1711848600000+0200)/"  # the gap: general path
    assert flow.map({"d": "0000-00-00 00:00:00"})["d"] is None
    with pytest.raises(RecordError) as failed:
        flow.map({"d": "14/05/2024"})
    assert failed.value.field == "d" and "cannot read '14/05/2024' as a date" in failed.value.reason
    line = next(line for line in flow.source_code.splitlines() if "o0 = {" in line)
    assert line.count("(") == 3  # d: one fused call; e: parse_date and ms_json_date


def test_fuse_steps_only_fuses_what_offers_it():
    ctx = SimpleContext()
    iso = Transform("parse_date", make("parse_date", {"format": "%Y-%m-%d %H:%M:%S", "tz": "UTC"}), False)
    other = Transform("parse_date", make("parse_date", {"format": "%d/%m/%Y", "tz": "UTC"}), False)
    no_tz = Transform("parse_date", make("parse_date", {"format": "%Y-%m-%dT%H:%M:%S%z"}), False)
    write = Transform("ms_json_date", make("ms_json_date", None, ctx), False)
    upper = Transform("upper", make("upper"), False)
    assert [s.name for s in fuse_steps([iso, write, upper])] == ["parse_date+ms_json_date", "upper"]
    assert [s.name for s in fuse_steps([iso, upper, write])] == ["parse_date", "upper", "ms_json_date"]
    assert [s.name for s in fuse_steps([other, write])] == ["parse_date", "ms_json_date"]
    assert [s.name for s in fuse_steps([no_tz, write])] == ["parse_date", "ms_json_date"]


@pytest.mark.parametrize("fmt, text, expected", [
    ("%Y-%m-%d %H:%M:%S", "2024-05-14 10:21:07", datetime(2024, 5, 14, 10, 21, 7)),
    ("%Y-%m-%dT%H:%M:%S", "2024-05-14T10:21:07", datetime(2024, 5, 14, 10, 21, 7)),
    ("%Y-%m-%d %H:%M", "2024-05-14 10:21", datetime(2024, 5, 14, 10, 21)),
    ("%Y-%m-%d", "2024-05-14", datetime(2024, 5, 14)),
    ("%Y-%m-%d %H:%M:%S", "2024-05-14T10:21:07", None),   # another separator: strptime refuses it
    ("%Y-%m-%d %H:%M:%S", "2024-W20-2 10:21:07", None),   # a week date fromisoformat would read
    ("%Y-%m-%d %H:%M:%S", "2024-05-14 10:21:07.5", None),  # a fraction
    ("%Y-%m-%d %H:%M:%S", "2024-05-14 10:21:0Z", None),
    ("%Y-%m-%d %H:%M:%S", "0000-00-00 00:00:00", None),   # left to the general path (null)
    ("%Y-%m-%d %H:%M:%S", "2024-05-14 24:00:00", None),
    ("%Y-%m-%d", "20240514", None),
])
def test_iso_reader_takes_only_the_format_shape(fmt, text, expected):
    assert iso_reader(fmt)(text) == expected


def test_iso_reader_is_only_for_iso_shapes():
    assert iso_reader(None) is None and iso_reader("%d/%m/%Y") is None and iso_reader("%Y-%m-%d %H:%M:%S%z") is None


def test_template_fast_path_gives_what_the_general_renderer_gives():
    render = make("template", "{firstname} {lastname}!")
    assert render({"firstname": "Claire", "lastname": "Martin"}) == "Claire Martin!"
    assert render({"firstname": "Claire", "lastname": None}) == "Claire !"
    assert render({"firstname": 12, "lastname": Decimal("1.50")}) == "12 1.50!"
    assert render({}) == " !"
    assert render(None) is None
    assert render("text") == " !"
    with pytest.raises(TransformError, match="not a single value"):
        render({"firstname": ["a"], "lastname": "b"})
    assert make("template", "{{x}} {a.b}")({"a": {"b": "c"}}) == "{x} c"  # a path: the general renderer


def test_a_text_missing_from_a_text_table_gets_the_default_at_once():
    table = LookupTable("carriers", {"UPS Ground": "UPS_GND"}, match="text", default="DIVERS")
    fast = table.resolver()
    assert fast("UPS Ground") == "UPS_GND" and fast("Coursier") == "DIVERS" and fast(None) == "DIVERS"
    assert table.resolver("ARG")("Coursier") == "ARG"
    strict = LookupTable("strict", {"a": 1}, match="text").resolver()
    with pytest.raises(TransformError, match="no entry for 'b'"):
        strict("b")
    assert LookupTable("none", {"a": 1}, match="text", default=None).resolver()("b") is None


@pytest.mark.parametrize("value, expected", [(Decimal("2.5"), Decimal("2.5")), (Decimal("0"), None), (-1, None),
                                             (3, 3), ("4.5", Decimal("4.5")), (None, None)])
def test_if_positive(value, expected):
    assert make("if_positive")(value) == expected


VALUES = [None, "", " a b ", "Colissimo", "Coursier", 0, 7, -3, 1042, Decimal("0"), Decimal("12.50"),
          Decimal("-1"), Decimal("NaN"), Decimal("sNaN"), Decimal("-Infinity"), True, False, 1.5, "12.5",
          [], [1], {}, {"a": 1}]
INLINED = [("prefix", "PS_"), ("negate", None), ("pad", {"width": 6, "char": "0"}), ("trim", None),
           ("flag_if_positive", None), ("if_positive", None)]


def _inline_fn(fn):
    """The closure's ``inline`` pattern compiled as the code generator writes it (plan/fuse.py)."""
    from engine.plan.fuse import inline_call

    names: dict = {"F": fn}

    def bind(constant):
        name = f"K{len(names)}"
        names[name] = constant
        return name

    expr = inline_call(fn.inline, "v", "F", bind)
    code = compile(f"lambda v: {expr}", "<inline>", "eval")
    return eval(code, {"__builtins__": {"str": str, "int": int, "list": list}, **names})  # noqa: S307


@pytest.mark.parametrize("name, arg", INLINED + [("lookup", "carriers")], ids=lambda x: str(x))
def test_an_inlined_transform_gives_what_its_closure_gives(name, arg):
    ctx = SimpleContext(lookups={"carriers": LookupTable("carriers", {"Colissimo": "COLI"}, match="text",
                                                         default="DIVERS")})
    fn = make(name, arg, ctx)
    assert hasattr(fn, "inline")
    inlined = _inline_fn(fn)
    for value in VALUES:
        expected = _outcome(fn, value)
        assert _outcome(inlined, value) == expected, (name, value)


def _outcome(fn, value):
    try:
        return fn(value), None
    except Exception as exc:  # noqa: BLE001 - compared
        return None, f"{type(exc).__name__}: {exc}"
