"""A password in a URL's user info (``base_url: http://user:password@host``) is a secret even when the
setting is not declared secret: it never appears in `check`, run logs (text and JSON), `failures`,
`dry-run`, the state database, whatever goes wrong; written literally in a spec it is refused."""
from __future__ import annotations

import json
import socket
import uuid
from urllib.parse import quote

import pytest

from engine.connectors.http.retry import RetryPolicy
from engine.spec.env import Scrubber
from engine.util.urls import mask_userinfo, userinfo_secrets
from runtime.runtime_support import copy_project, simulators
from secrets_support import assert_clean, canary, state_files
from support import ROOT, run_cli


class UrlCanary:
    def __init__(self, tmp_path, monkeypatch):
        self.project = copy_project(tmp_path)
        self.state = tmp_path / "state"
        self.monkeypatch = monkeypatch
        self.password = canary(40)  # holds ' ', '/', '+', '&', '=': percent-encoded in the URL
        self.secrets = {"URL password": self.password}

    def with_userinfo(self, url: str) -> str:
        return url.replace("http://", f"http://passerelle:{quote(self.password, safe='')}@", 1)

    def use(self, env: dict) -> None:
        for name, value in env.items():
            self.monkeypatch.setenv(name, self.with_userinfo(value) if name.endswith("_URL") else value)

    def cli(self, *argv: str) -> tuple[int, str, str]:
        code, out, err = run_cli(list(argv), ROOT)
        assert_clean(f"stdout of passerelle {argv[0]}", out, self.secrets)
        assert_clean(f"stderr of passerelle {argv[0]}", err, self.secrets)
        assert "internal error" not in err, err
        return code, out, err

    def commands(self) -> dict[str, tuple[int, str, str]]:
        project, state = str(self.project), str(self.state)
        results = {
            "check": self.cli("check", project),
            "run json": self.cli("run", project, "--state", state, "--log-format", "json"),
            "run text": self.cli("run", project, "--state", state),
            "failures": self.cli("failures", project, "--state", state),
            "failures json": self.cli("failures", project, "--state", state, "--format", "json"),
            "replay": self.cli("replay", project, "--state", state, "--log-format", "json"),
            "dry-run live": self.cli("dry-run", project, "--flow", "orders_to_sage", "--limit", "5"),
        }
        for name, data in state_files(self.state).items():
            assert_clean(f"state file {name}", data, self.secrets)
        return results


@pytest.fixture
def url_canary(tmp_path, monkeypatch):
    monkeypatch.setattr(RetryPolicy, "delay", lambda self, retry, retry_after=None: 0.0)
    return UrlCanary(tmp_path, monkeypatch)


@pytest.mark.slow
def test_userinfo_never_shown_nor_kept(url_canary):
    c = url_canary
    lookups = c.project / "lookups.yaml"  # a tax code Sage refuses: failures whose reasons hold the URL
    lookups.write_text(lookups.read_text().replace("10: S_10", "10: S_99"))
    with simulators(orders=20) as (_, env):
        c.use(env)
        results = c.commands()
    assert results["check"][0] == 0 and "http://***@127.0.0.1" in results["check"][1], results["check"]
    assert results["run json"][0] == 3
    failed = json.loads(results["failures json"][1])
    assert any("rejected by the target: POST http://***@127.0.0.1" in f["reason"] for f in failed), failed


@pytest.mark.slow
def test_userinfo_never_shown_when_the_server_is_unreachable(url_canary):
    c = url_canary
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    with simulators(orders=4) as (_, env):
        c.use({**env, "ACME_PS_URL": closed, "ACME_SAGE_URL": closed + "/WebServices100/BIJOU"})
        results = c.commands()
    assert results["check"][1].count("FAIL") == 2 and "http://***@127.0.0.1" in results["check"][1]
    assert results["run json"][0] == 1 and "ConnectError" in results["run json"][2]


def test_a_password_written_in_a_url_of_the_spec_is_refused(tmp_path):
    project = copy_project(tmp_path)
    password = "S3cret-" + uuid.uuid4().hex
    endpoints = project / "endpoints.yaml"
    endpoints.write_text(endpoints.read_text().replace('"${env:ACME_PS_URL}"', f'"http://bob:{quote(password)}@shop/"'))
    code, out, err = run_cli(["validate", str(project)], ROOT)
    assert code == 1 and "error[literal-secret] endpoints.shop.settings.base_url" in out, out + err
    assert "holds a password in a URL" in out and password not in out + err
    endpoints.write_text(endpoints.read_text().replace(quote(password), "${env:SHOP_PASSWORD}"))
    assert run_cli(["validate", str(project)], ROOT)[0] == 0


@pytest.mark.parametrize("text, masked, secrets", [
    ("GET http://bob:pw-123@host:8080/api?x=1", "GET http://***@host:8080/api?x=1", ["pw-123"]),
    ("https://tok3n@api.example.com/v1", "https://***@api.example.com/v1", ["tok3n"]),
    ('{"next": "https:\\/\\/u:p%40ss@h\\/y"}', '{"next": "https:\\/\\/***@h\\/y"}', ["p%40ss", "p@ss"]),
    ("see https://medium.com/@someone or mail bob@example.com", None, []),
    ("https://host/path?email=a@b.c", None, []),
    ("two: http://a:one1@h1/ and ftp://b:two2@h2", "two: http://***@h1/ and ftp://***@h2", ["one1", "two2"]),
    ("odbc:DRIVER=X;SERVER=http://sa:pw9@db;", "odbc:DRIVER=X;SERVER=http://***@db;", ["pw9"]),
])
def test_mask_userinfo(text, masked, secrets):
    assert mask_userinfo(text) == (masked if masked is not None else text)
    assert userinfo_secrets(text) == secrets


def test_every_scrubbed_text_loses_url_userinfo():
    scrub = Scrubber()
    assert scrub("POST http://user:secret-1@host/x failed") == "POST http://***@host/x failed"


def test_a_token_url_with_userinfo_is_masked_in_auth_errors():
    from engine.connectors.compile import open_connector
    from engine.connectors.errors import EndpointError
    from engine.project.load import ConnectorStore
    from engine.spec.env import Secret

    password = canary(40)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://app:{quote(password, safe='')}@127.0.0.1:{probe.getsockname()[1]}"
    found = ConnectorStore().load(ROOT / "specs" / "connectors" / "sage-accounting.yaml").data["connector"]
    settings = {"base_url": closed + "/v3.1", "token_url": closed + "/oauth/token", "client_id": "app",
                "client_secret": Secret("client-secret-123"), "refresh_token": Secret("refresh-token-456"),
                "business_id": ""}
    with open_connector("sage-accounting", found, settings, retry=RetryPolicy(attempts=1)) as endpoint:
        shown = [endpoint.location()]
        with pytest.raises(EndpointError) as info:
            next(iter(endpoint.read("contacts", page_size=5)))
    shown += [info.value.message, str(info.value)]
    assert "token request to http://***@127.0.0.1" in info.value.message, info.value.message
    for text in shown:
        assert_clean("sage-accounting message", text, {"URL password": password})
