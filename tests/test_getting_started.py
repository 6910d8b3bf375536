"""``docs/getting-started.md`` followed command by command on a fresh copy of the repository.

Markers, on the line before a fenced block:

* ``<!-- getting-started: run [exit=N] [expect="text"]... -->`` before a ```sh block: the block runs in
  bash (``set -e``) in the folder and environment the previous block left (``cd``, ``export``,
  ``. .venv/bin/activate`` carry over); it must exit N (default 0) and print every ``expect`` text.
* ``<!-- getting-started: background until="text" [stop] -->``: a long-running command (``sandbox``,
  ``serve``), started in the background until it prints ``text``; with ``stop`` it is stopped (SIGTERM,
  as Ctrl-C) at once and must end cleanly, otherwise at the end of the guide.
* ``<!-- getting-started: output -->`` before a ```text block: each of its lines is in what the command
  before it printed (times and clock readings aside).

Every ```sh block of the guide must carry a marker: no command of the guide goes untested. The copy
gets a ``.venv`` standing for the one ``make`` builds (its python is this test's interpreter, on the
copy's sources), so ``make demo`` runs as written without installing anything. The simulators' ports
8100/8101 of the guide are replaced by two free ports.
"""
from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from support import ROOT

GUIDE = ROOT / "docs" / "getting-started.md"
COPIED = ("engine", "schemas", "specs", "sandbox", "docs", "requirements", "Makefile", "pyproject.toml",
          "README.md")
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "dist", ".passerelle",
                                 ".pytest_cache", ".hypothesis")
_MARKER = re.compile(r"^<!--\s*getting-started:\s*(.*?)\s*-->\s*$")
_VOLATILE = [(re.compile(r"\d+\.\d+ ?s\b"), "T s"), (re.compile(r"\(\d+ ms\)"), "(T ms)"),
             (re.compile(r"\[\d\d:\d\d:\d\d\]"), "[hh:mm:ss]")]


def blocks(text: str) -> list[tuple[str, dict, str, int]]:
    """(kind, options, body, line) for each marked block; fails on a ```sh block without a marker."""
    lines = text.splitlines()
    found, marker, i = [], None, 0
    while i < len(lines):
        line = lines[i]
        match = _MARKER.match(line)
        if match:
            marker = (match.group(1), i + 1)
        elif line.startswith("```"):
            lang, start = line[3:].strip(), i + 1
            end = next(j for j in range(start, len(lines)) if lines[j].startswith("```"))
            body = "\n".join(lines[start:end])
            if marker is None:
                assert lang != "sh", f"getting-started.md:{i + 1}: a sh block without a getting-started marker"
            else:
                words = shlex.split(marker[0])
                options: dict = {"expect": []}
                for word in words[1:]:
                    key, _, value = word.partition("=")
                    if key == "expect":
                        options["expect"].append(value)
                    else:
                        options[key] = value if value else True
                found.append((words[0], options, body, marker[1]))
            marker, i = None, end
        elif line.strip():
            marker = None
        i += 1
    return found


def _normal(text: str) -> str:
    for pattern, replacement in _VOLATILE:
        text = pattern.sub(replacement, text)
    return text


def _free_ports() -> int:
    for _ in range(50):
        with socket.socket() as a:
            a.bind(("127.0.0.1", 0))
            base = a.getsockname()[1]
            if base >= 65535:
                continue
            with socket.socket() as b:
                try:
                    b.bind(("127.0.0.1", base + 1))
                except OSError:
                    continue
        return base
    raise RuntimeError("no two free consecutive ports")


def _fresh_copy(tmp: Path) -> Path:
    """The repository's sources as a clone has them, and a stand-in .venv."""
    copy = tmp / "passerelle"
    copy.mkdir()
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, copy / name, symlinks=True, ignore=IGNORED)
        else:
            shutil.copy2(source, copy / name)
    bin_dir = copy / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    scripts = {
        "python": f'#!/bin/sh\nPYTHONPATH="{copy}:{copy}/sandbox" exec "{sys.executable}" "$@"\n',
        "passerelle": f'#!/bin/sh\nexec "{bin_dir}/python" -m engine "$@"\n',
        "activate": f'export VIRTUAL_ENV="{copy}/.venv"\nexport PATH="{bin_dir}:$PATH"\n',
    }
    for name, text in scripts.items():
        (bin_dir / name).write_text(text, encoding="utf-8")
        (bin_dir / name).chmod(0o755)
    (copy / ".venv" / ".installed").touch()  # newer than the lock and the pyproject files: make installs nothing
    return copy


class Background:
    def __init__(self, argv, cwd, env):
        self.proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True)
        self.output: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self.output.append(line)

    def text(self) -> str:
        return "".join(self.output)

    def wait_for(self, text: str, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.text():
            assert self.proc.poll() is None or text in self.text(), f"ended early:\n{self.text()}"
            assert time.monotonic() < deadline, f"{text!r} not printed within {timeout} s:\n{self.text()}"
            time.sleep(0.05)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=20)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
        self.reader.join(timeout=5)
        return code


def test_every_marked_block_is_found_and_every_sh_block_is_marked():
    found = blocks(GUIDE.read_text(encoding="utf-8"))
    kinds = [kind for kind, *_ in found]
    assert set(kinds) <= {"run", "background", "output"}
    commands = " ".join(body for kind, _, body, _ in found if kind != "output")
    for command in ("make demo", "passerelle init", "passerelle validate", "passerelle test", "passerelle dry-run",
                    "passerelle sandbox", "passerelle check", "passerelle run", "passerelle failures",
                    "passerelle replay", "passerelle docs", "passerelle serve"):
        assert command in commands, command


@pytest.mark.slow
def test_the_guide_works_on_a_fresh_copy(tmp_path):
    copy = _fresh_copy(tmp_path)
    base = _free_ports()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "VIRTUAL_ENV")) and
           k not in ("PYTHONPATH", "MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    env.update(HOME=str(tmp_path), NO_COLOR="1", PYTHONDONTWRITEBYTECODE="1")
    cwd = copy
    state_env, state_pwd = tmp_path / "env.bin", tmp_path / "pwd.txt"
    background: list[Background] = []
    last_output = ""
    try:
        for kind, options, body, line in blocks(GUIDE.read_text(encoding="utf-8")):
            where = f"getting-started.md:{line}"
            if kind == "output":
                wanted = _normal(last_output.replace(str(base), "8100").replace(str(base + 1), "8101"))
                for expected in body.splitlines():
                    assert _normal(expected.strip()) in wanted, f"{where}: {expected!r} not in\n{last_output}"
                continue
            script = body.replace("8100", str(base)).replace("8101", str(base + 1))
            if kind == "background":
                job = Background(["bash", "-c", "exec " + script.strip()], cwd, env)
                background.append(job)
                job.wait_for(options["until"])
                if options.get("stop"):
                    time.sleep(0.5)
                    code = job.stop()
                    assert code == 0, f"{where}: exit {code}\n{job.text()}"
                    assert "Traceback" not in job.text()
                last_output = job.text()
                continue
            wrapped = f"trap 'env -0 > {state_env}; pwd > {state_pwd}' EXIT\nset -e\n{script}\n"
            result = subprocess.run(["bash", "-c", wrapped], cwd=cwd, env=env, capture_output=True, text=True,
                                    timeout=120)
            last_output = result.stdout + result.stderr
            wanted_exit = int(options.get("exit", 0))
            assert result.returncode == wanted_exit, f"{where}: exit {result.returncode}, not {wanted_exit}\n" \
                f"{script}\n--- output ---\n{last_output[-4000:]}"
            assert "Traceback" not in last_output and "internal error" not in last_output, f"{where}\n{last_output}"
            for expected in options["expect"]:
                expected = expected.replace("8100", str(base)).replace("8101", str(base + 1))
                assert expected in last_output, f"{where}: {expected!r} not printed by\n{script}\n---\n{last_output[-4000:]}"
            env = dict(item.split("=", 1) for item in state_env.read_text().split("\0") if "=" in item)
            cwd = Path(state_pwd.read_text().strip())
    finally:
        for job in background:
            job.stop()
    # what the guide promises, checked on the result
    project = tmp_path / "acme"
    assert (project / "mapping" / "index.html").is_file()
    assert (project / ".env.example").is_file() and (project / ".passerelle").is_dir()
    assert "ACME Bougies" in (project / "endpoints.yaml").read_text(encoding="utf-8")
