"""Files a spec names stay inside the project: a lookup `file:` (absolute, `..`, a symbolic link out,
`/proc/self/environ`, a hidden `.env`) and `use:` are refused with a located `outside-project` error
before anything is opened; a canary written in the outside file never appears in any output, and no
message about a CSV inside the project shows a data row."""
from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pytest

from runtime.runtime_support import copy_project
from support import ROOT, run_cli


def _canary() -> str:
    return "CANARY" + uuid.uuid4().hex


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project(tmp_path)


def _use_file(project: Path, file: str) -> int:
    """Point the `payments` lookup at ``file``; returns the line of `file:` in lookups.yaml."""
    path = project / "lookups.yaml"
    text = path.read_text().replace("file: payments.csv", f"file: {json.dumps(file)}")
    path.write_text(text)
    return next(n for n, line in enumerate(text.splitlines(), 1) if "file:" in line)


def _validate(project: Path, *canaries: str) -> str:
    outputs = []
    for fmt in ("text", "json", "github"):
        code, out, err = run_cli(["validate", str(project), "--format", fmt], ROOT)
        assert code == 1, out + err
        for canary in canaries:
            assert canary not in out + err, f"the outside file's content was shown:\n{out}{err}"
        outputs.append(out + err)
    return outputs[0]


def _outside(tmp_path: Path, canary: str) -> Path:
    folder = tmp_path / "outside"
    folder.mkdir(exist_ok=True)
    secret = folder / "secret.csv"
    secret.write_text(f"{canary}_header,module,mode_reglement\n{canary},ps_checkout,CB\n")
    return secret


def test_absolute_path_out_of_the_project(project, tmp_path):
    canary = _canary()
    line = _use_file(project, str(_outside(tmp_path, canary)))
    out = _validate(project, canary)
    assert f"lookups.yaml:{line}:" in out and "error[outside-project] lookups.payments" in out, out
    assert "is outside the project folder" in out


def test_way_up_with_dot_dot(project, tmp_path):
    canary = _canary()
    _outside(tmp_path, canary)
    line = _use_file(project, "../outside/secret.csv")
    out = _validate(project, canary)
    assert f"lookups.yaml:{line}:" in out and "error[outside-project]" in out, out


@pytest.mark.parametrize("link", ["file", "folder"])
def test_symbolic_link_leading_out(project, tmp_path, link):
    canary = _canary()
    secret = _outside(tmp_path, canary)
    if link == "file":
        (project / "tables.csv").symlink_to(secret)
        line = _use_file(project, "tables.csv")
    else:
        (project / "tables").symlink_to(secret.parent, target_is_directory=True)
        line = _use_file(project, "tables/secret.csv")
    out = _validate(project, canary)
    assert f"lookups.yaml:{line}:" in out and "error[outside-project]" in out, out


def test_a_link_inside_the_project_is_fine(project):
    (project / "tables").mkdir()
    (project / "payments.csv").rename(project / "tables" / "payments.csv")
    (project / "current.csv").symlink_to(project / "tables" / "payments.csv")
    _use_file(project, "current.csv")
    code, out, err = run_cli(["validate", str(project)], ROOT)
    assert code == 0, out + err


def test_proc_self_environ(project, monkeypatch):
    canary = _canary()
    monkeypatch.setenv("PASSERELLE_TEST_CANARY", canary)
    line = _use_file(project, "/proc/self/environ")
    out = _validate(project, canary, "PASSERELLE_TEST_CANARY")
    assert f"lookups.yaml:{line}:" in out and "error[outside-project]" in out, out


def test_a_path_outside_is_refused_whether_or_not_it_exists(project, tmp_path):
    _use_file(project, str(tmp_path / "nothing-here.csv"))
    out = _validate(project)
    assert "error[outside-project]" in out and "not found" not in out, out


def test_hidden_file_in_the_project(project):
    canary = _canary()
    (project / ".env").write_text(f"ACME_PS_KEY={canary}\n")
    (project / "visible.csv").symlink_to(project / ".env")
    for file in (".env", "visible.csv"):
        _use_file(project, file)
        out = _validate(project, canary)
        assert "error[outside-project]" in out and "hidden" in out, out
        (project / "lookups.yaml").write_text((project / "lookups.yaml").read_text().replace(
            f"file: {json.dumps(file)}", "file: payments.csv"))


def test_inline_lookup_of_a_transform(project, tmp_path):
    canary = _canary()
    secret = _outside(tmp_path, canary)
    flow = project / "orders_to_sage.yaml"
    text = flow.read_text().replace("transform: [{ lookup: payments }]",
                                    f'transform: [{{ lookup: {{ file: "{secret}" }} }}]')
    flow.write_text(text)
    line = next(n for n, row in enumerate(text.splitlines(), 1) if str(secret) in row)
    out = _validate(project, canary)
    assert f"orders_to_sage.yaml:{line}:" in out and "error[outside-project]" in out, out


def test_csv_errors_inside_the_project_show_no_data_row(project):
    canary = _canary()
    (project / "payments.csv").write_text(f"module,mode_reglement\n{canary},A\n{canary},B\n")
    out = _validate(project, canary)
    assert "rows 2 and 3 of lookup file 'payments.csv' have the same key" in out, out
    (project / "payments.csv").write_text(f"mod,mode\n{canary},A\n")
    out = _validate(project, canary)
    assert "columns present: mod, mode" in out, out  # the header may be named, never a data row


def test_use_is_a_name_not_a_path(project, tmp_path):
    canary = _canary()
    (tmp_path / "evil.yaml").write_text(f"connector:\n  name: evil\n  {canary}: 1\n")
    endpoints = project / "endpoints.yaml"
    endpoints.write_text(endpoints.read_text().replace("use: prestashop", "use: ../evil"))
    out = _validate(project, canary)
    assert "error[outside-project] endpoints.shop.use" in out, out


def test_a_project_connector_linked_from_outside(project, tmp_path):
    canary = _canary()
    (tmp_path / "evil.yaml").write_text(f"connector:\n  name: prestashop\n  {canary}: 1\n")
    (project / "connectors").mkdir()
    os.symlink(tmp_path / "evil.yaml", project / "connectors" / "prestashop.yaml")
    out = _validate(project, canary)
    assert "error[outside-project] endpoints.shop.use" in out and "connectors/prestashop.yaml" in out, out


@pytest.mark.parametrize("state_dir", ["/tmp", "../state", "link/state"])
def test_state_dir_stays_in_the_project(project, tmp_path, state_dir):
    (project / "link").symlink_to(tmp_path, target_is_directory=True)
    endpoints = project / "endpoints.yaml"
    text = endpoints.read_text().replace("project:\n", f"project:\n  state_dir: {state_dir}\n", 1)
    endpoints.write_text(text)
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "state_dir:" in row)
    out = _validate(project)
    assert f"endpoints.yaml:{line}:" in out and "error[outside-project] project.state_dir" in out, out
