"""The public fixture API (Sandbox) and the ``sandbox`` command line."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from passerelle_sandbox import Sandbox, generate
from passerelle_sandbox.cli import main
from sandbox_helpers import started_lines

ROOT = Path(__file__).resolve().parents[2]


def test_urls_credentials_and_sims() -> None:
    with Sandbox(seed=3, orders=4) as sb:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", sb.url("prestashop"))
        assert sb.api_url("prestashop") == sb.url("prestashop") + "/api/"
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/WebServices100/BIJOU", sb.url("sage100"))
        assert sb.api_url("sage100") == sb.url("sage100") + "/"
        assert len(sb.credentials("prestashop")["key"]) == 32 and sb.credentials("sage100")["token"]
        assert sb.sim("prestashop").dataset is sb.dataset is sb.sim("sage100").dataset
        assert len(sb.dataset.orders) == 4
        url = sb.api_url("prestashop")
    with pytest.raises(httpx.TransportError):
        httpx.get(url + "orders", timeout=2)  # stopped on exit
    again = Sandbox(seed=3, orders=4)
    assert again.dataset.to_json() == sb.dataset.to_json()
    with again:
        assert again.credentials("prestashop") == sb.credentials("prestashop")  # keys derive from the seed


def test_subset_of_systems_and_errors() -> None:
    with Sandbox(systems="sage100", orders=1) as sb:
        assert sb.systems == ("sage100",)
        with pytest.raises(KeyError):
            sb.api_url("prestashop")
    with pytest.raises(ValueError):
        Sandbox(systems=("shopifi",))


def test_dataset_from_files_and_fixed_ports(tmp_path: Path) -> None:
    generate(seed=9, orders=7).write(tmp_path)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with Sandbox(systems=("prestashop",), dataset=tmp_path, ports={"prestashop": port}) as sb:
        assert sb.base_url("prestashop") == f"http://127.0.0.1:{port}"
        assert sb.dataset.seed == 9 and len(sb.sim("prestashop").orders) == 7
        key = sb.credentials("prestashop")["key"]
        assert httpx.get(sb.api_url("prestashop") + "orders/1042", auth=(key, "")).status_code == 200


def test_cli_rejects_bad_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--systems", "shopifi"]) == 2
    assert main(["--orders", "0"]) == 2
    assert "unknown system" in capsys.readouterr().err


def test_cli_serves_until_interrupted(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "passerelle_sandbox", "--orders", "5", "--seed", "2", "--write-dataset", str(tmp_path)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = started_lines(process)
        urls = {m.group(1): (m.group(2), m.group(3), m.group(4)) for m in
                (re.match(r"(\w+) url=(\S+) \w+=(\S+) api=(\S+)", l) for l in lines) if m}
        ps_root, key, ps_url = urls["prestashop"]
        sage_root, token, sage_url = urls["sage100"]
        assert ps_url == ps_root + "/api/" and sage_root.endswith("/WebServices100/BIJOU")
        assert httpx.get(ps_url + "orders", auth=(key, ""), params={"output_format": "JSON"}).json()["orders"][-1] == {
            "id": 1042}
        assert httpx.get(sage_url + "TiersService/rest/Clients/WEB000056", headers={"Authorization": token}).status_code == 200
        assert (tmp_path / "orders.json").exists()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
        assert "stopped" in process.stdout.read()
    finally:
        if process.poll() is None:
            process.kill()
