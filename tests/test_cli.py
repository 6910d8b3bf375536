"""The command line: formats, exit codes, messages, and what dry-run never shows."""
import json
import os
import re
import subprocess
import sys

import pytest

from support import ROOT, run_cli

EXAMPLE = "specs/examples/prestashop-sage100"
SAMPLES = [f"{EXAMPLE}/samples/{n}.xml" for n in ("orders", "order_details", "carriers", "customers", "taxes")]
MISSPELT = ROOT / "tests/cases/invalid/misspelt_keys"


def inputs(files):
    return [arg for f in files for arg in ("--input", f)]


def test_validate_clean_exits_0():
    code, out, err = run_cli(["validate", "specs/"], ROOT)
    assert code == 0 and out == "" and re.match(r"ok: \d+ project\(s\), \d+ connector file\(s\): 0 error\(s\), 0 warning", err)


def test_validate_json_format():
    code, out, _ = run_cli(["validate", "project", "--format", "json"], MISSPELT)
    assert code == 1
    items = json.loads(out)
    target = [i for i in items if i["path"] == "flows.orders.targt"][0]
    assert target == {"file": "project/flows.yaml", "line": 8, "col": 5, "severity": "error",
                      "code": "unknown-key", "path": "flows.orders.targt",
                      "message": "unknown key 'targt'", "hint": "did you mean 'target'?"}


def test_validate_github_annotations():
    code, out, _ = run_cli(["validate", "project", "--format", "github"], MISSPELT)
    assert code == 1
    assert ("::error file=project/flows.yaml,line=8,col=5,title=unknown-key::flows.orders.targt: "
            "unknown key 'targt' (hint: did you mean 'target'?)") in out.splitlines()


def test_warnings_fail_only_with_strict(tmp_path):
    (tmp_path / "p.yaml").write_text("lookups:\n  c: { map: { norway: NO } }\n")
    assert run_cli(["validate", str(tmp_path)], ROOT)[0] == 0
    assert run_cli(["validate", "--strict", str(tmp_path)], ROOT)[0] == 1


def test_validate_missing_path():
    code, out, _ = run_cli(["validate", "no/such/dir"], ROOT)
    assert code == 1 and "no/such/dir:1:1: error[not-found]" in out


def test_dry_run_text_format_and_summary():
    code, out, err = run_cli(["dry-run", EXAMPLE, "--flow", "orders_to_sage", *inputs(SAMPLES)], ROOT)
    assert code == 3
    assert out.startswith("# orders_to_sage record 1042 -> sage.insert_document\n{\n  \"doc\": {")
    assert "6 read, 5 mapped, 0 skipped by filter, 1 failed (nothing was sent)" in err
    assert "record 1047: field lignes[0].CodeTaxe: no entry for 19.600 in lookup 'tax_codes'" in err


def test_dry_run_named_input_for_a_bare_json_list(tmp_path):
    orders = json.loads((ROOT / "tests/fixtures/prestashop/orders.json").read_text())["orders"][:1]
    (tmp_path / "list.json").write_text(json.dumps(orders))
    code, out, err = run_cli(["dry-run", EXAMPLE, "--flow", "orders_to_sage", "--format", "json",
                              "--input", f"orders={tmp_path / 'list.json'}", *inputs(SAMPLES[1:])], ROOT)
    assert code == 0, err
    assert json.loads(out)[0]["doc"]["Reference"] == "PS_1042"


def test_dry_run_says_which_related_inputs_are_missing():
    code, _, err = run_cli(["dry-run", EXAMPLE, "--flow", "orders_to_sage", "--input", SAMPLES[0]], ROOT)
    assert code == 1
    assert "joins related records from carriers, customers, order_details, taxes" in err


def test_dry_run_unknown_flow_suggests():
    code, _, err = run_cli(["dry-run", EXAMPLE, "--flow", "order_to_sage", *inputs(SAMPLES)], ROOT)
    assert code == 1 and "error[unknown-flow]" in err and "did you mean 'orders_to_sage'?" in err


def test_dry_run_never_shows_secrets(monkeypatch):
    secrets = {"ACME_PS_KEY": "S3CR3T-PS-KEY-0123456789abcdef01", "ACME_SAGE_TOKEN": "S3CR3T-SAGE-TOKEN",
               "ACME_PS_URL": "http://user:pw-S3CR3T@shop", "ACME_SAGE_URL": "http://sage"}
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    code, out, err = run_cli(["dry-run", EXAMPLE, "--flow", "orders_to_sage", *inputs(SAMPLES)], ROOT)
    assert code == 3 and "S3CR3T" not in out + err


def test_dry_run_refuses_a_billion_laughs_input():
    code, out, err = run_cli(["dry-run", EXAMPLE, "--flow", "orders_to_sage", "--input",
                              "tests/fixtures/prestashop/billion_laughs.xml", *inputs(SAMPLES[1:])], ROOT)
    assert code == 1 and out == "" and "error[input]" in err and "DOCTYPE" in err


def test_schema_check_and_transforms_listing():
    assert run_cli(["schema", "--check"], ROOT)[0] == 0
    code, out, _ = run_cli(["transforms"], ROOT)
    assert code == 0 and "ms_json_date" in out and "[date]" in out


def test_usage_error_exits_2():
    with pytest.raises(SystemExit) as info:
        run_cli(["dry-run", EXAMPLE], ROOT)
    assert info.value.code == 2


def test_console_entry_points():
    result = subprocess.run([sys.executable, "-m", "engine", "validate", "specs/"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "0 error(s)" in result.stderr


@pytest.mark.parametrize("module", ["engine.cli.main", "engine.runtime.earlyread"])
def test_ctrl_c_while_the_command_loads_ends_quietly_with_130(module, tmp_path):
    """Ctrl-C before the command runs (its modules still loading, a dry-run's readers being started) ends
    as it does once the command runs: exit 130, no traceback. The interruption is raised by an import hook
    at the import of ``module``, the moment a person's Ctrl-C may land."""
    script = (
        "import importlib.abc, runpy, sys\n"
        "class Stop(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name == {module!r}:\n"
        "            raise KeyboardInterrupt\n"
        "sys.meta_path.insert(0, Stop())\n"
        "sys.argv = ['passerelle', 'dry-run', 'p', '--flow', 'f', '--input', 'orders.xml']\n"
        "runpy.run_module('engine', run_name='__main__')\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "sandbox")]),
                                   PASSERELLE_CACHE_DIR=str(tmp_path / "cache")))
    assert done.returncode == 130, done.stderr
    assert "Traceback" not in done.stderr and "KeyboardInterrupt" not in done.stderr
