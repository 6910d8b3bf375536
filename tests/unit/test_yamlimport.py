"""engine.spec.yamlimport: ``yaml`` imported with its own patterns compiled on first use behaves as
PyYAML does (Passerelle itself only reads libyaml's events; anything else may still load YAML)."""
from __future__ import annotations

import datetime
import re
import subprocess
import sys
from decimal import Decimal

import pytest

from engine.spec.yamlimport import import_yaml
from engine.spec.yamlsrc import load_text
from support import ROOT


def test_pyyaml_pure_python_loading_is_unchanged():
    yaml = import_yaml()
    text = "a: 2001-12-14t21:59:43.10-05:00\nb: yes\nc: 1_000\nd: 0x1F\ne: .5\nf: ~\ng: 2002-12-14\nh: 1:30\n"
    loaded = yaml.load(text, Loader=yaml.SafeLoader)  # the pure-Python reader, resolver, constructor
    tz = datetime.timezone(datetime.timedelta(hours=-5))
    assert loaded == {"a": datetime.datetime(2001, 12, 14, 21, 59, 43, 100000, tzinfo=tz), "b": True, "c": 1000,
                      "d": 31, "e": 0.5, "f": None, "g": datetime.date(2002, 12, 14), "h": 90}
    with pytest.raises(yaml.reader.ReaderError):
        yaml.load("a: \x07\n", Loader=yaml.SafeLoader)
    assert yaml.reader.Reader.NON_PRINTABLE.search("ok\x07") is not None
    assert yaml.reader.Reader.NON_PRINTABLE.pattern.startswith("[^")


def test_re_compile_is_left_as_it_was():
    import_yaml()
    assert re.compile.__module__ == "re" and isinstance(re.compile("a+"), re.Pattern)


def test_passerelle_values_are_unchanged():
    doc = load_text("a: 0123\nb: 1.50\nc: yes\nd: [x, 2]\n", "t.yaml")
    assert doc.data == {"a": "0123", "b": Decimal("1.50"), "c": "yes", "d": ["x", 2]}


def test_in_a_fresh_process_the_reader_pattern_is_not_compiled_at_import():
    code = ("from engine.spec.yamlimport import import_yaml; y = import_yaml(); "
            "import re; print(type(y.reader.Reader.NON_PRINTABLE).__name__, re.compile.__module__)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["_LazyPattern", "re"], done.stderr
