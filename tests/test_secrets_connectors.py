"""Secrets through the connectors themselves (``open_connector``): token flows, OAuth 1, query auth.

Canary credentials are the simulators' real ones; every exception message, ``describe_write``
output and ``location()`` an endpoint produces is searched for them in every form (see
``secrets_support``) — when all is fine, when the credentials are refused (the simulator echoes
what it received), when the server answers 5xx, when the port is closed. A connector with query
auth and a token URL that itself holds a secret is driven through an httpx mock.
"""
from __future__ import annotations

import json
import socket

import httpx
import pytest
from cryptography.fernet import Fernet

from engine.connectors.errors import EndpointError
from engine.connectors.compile import open_connector
from engine.project.load import ConnectorStore
from engine.runtime.state import SqliteStore
from engine.spec.env import Secret
from passerelle_sandbox import Faults, Sandbox
from passerelle_sandbox._http import Response
from secrets_support import assert_clean, canary, echo_credentials, leak_forms, state_files
from support import ROOT


def definition(name: str) -> dict:
    doc = ConnectorStore().load(ROOT / "specs" / "connectors" / f"{name}.yaml")
    return doc.data["connector"]


def closed_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


class Probe:
    """Opens one connector with its secret settings wrapped, and collects every text it shows."""

    def __init__(self, connector: str, settings: dict, secret_names: tuple[str, ...]):
        self.connector, self.settings, self.secret_names = connector, settings, secret_names
        self.canaries = {name: settings[name] for name in secret_names}  # every secret value ever used
        self.texts: list[str] = []

    def open(self, options: dict | None = None, **override):
        settings = {**self.settings, **override}
        for name in self.secret_names:
            self.canaries.setdefault(f"{name} ({settings[name][:12]}…)", settings[name])
        wrapped = {k: Secret(v) if k in self.secret_names else v for k, v in settings.items()}
        found = definition(self.connector)
        defaults = {k: d["default"] for k, d in found["settings"].items() if isinstance(d, dict) and "default" in d}
        return open_connector(self.connector, found, {**defaults, **wrapped}, **(options or {}))

    def fails(self, action, **override) -> EndpointError:
        with self.open(**override) as ep:
            self.texts.append(ep.location())
            with pytest.raises(EndpointError) as info:
                action(ep)
        self.texts += [info.value.message, str(info.value)]
        return info.value

    def works(self, action, options: dict | None = None):
        with self.open(options) as ep:
            self.texts.append(ep.location())
            return action(ep)

    def describe(self, operation: str, payload, values: dict) -> dict:
        with self.open() as ep:
            request = ep.describe_write(operation, payload, values)
        self.texts.append(json.dumps(request))
        return request

    def assert_clean(self, users: tuple[str, ...] = ()) -> None:
        assert self.texts
        for text in self.texts:
            assert_clean(f"{self.connector} message", text, self.canaries, users)


def first_page(resource: str):
    return lambda ep: next(iter(ep.read(resource, page_size=5)))


@pytest.mark.slow
def test_sage_accounting_oauth2_refresh(tmp_path, monkeypatch):
    monkeypatch.setenv("PASSERELLE_STATE_KEY", Fernet.generate_key().decode())  # rotated tokens are kept encrypted
    secrets = {"client_secret": canary(), "refresh_token": canary()}
    options = {"sage-accounting": {"client_id": "passerelle-app", **secrets}}
    with Sandbox(systems=("sage-accounting",), orders=5, options=options) as sb:
        sim = sb.sim("sage-accounting")
        settings = {"base_url": sb.url("sage-accounting"), "token_url": sim.token_url(sb.base_url("sage-accounting")),
                    "client_id": "passerelle-app", **secrets}
        probe = Probe("sage-accounting", settings, ("client_secret", "refresh_token"))
        store = SqliteStore(tmp_path / "state.db")
        assert probe.works(first_page("contacts"), {"token_store": store})  # the canaries are the real credentials
        probe.describe("create_sales_invoice", {"sales_invoice": {"reference": "PS_1"}}, {})
        rotated = store.db.execute("SELECT name, value FROM tokens").fetchall()
        assert len(rotated) == 1 and rotated[0][1] not in secrets.values()  # the server's new token, kept
        assert "passerelle-app" not in rotated[0][0]  # its key is a digest of the token URL and client id
        store.close()
        for name, data in state_files(tmp_path).items():
            assert_clean(f"state file {name}", data, secrets)

        echo_credentials(sim)  # its refusals now quote the form it was sent
        error = probe.fails(first_page("contacts"), refresh_token=canary())
        assert error.status == 401 and "refresh_token=***" in error.message
        sim.faults = Faults(error_rate=1.0, path_contains="/oauth/token")
        assert probe.fails(first_page("contacts")).transient
        sim.faults = None

        def forbid_api(request):  # the API refuses the fresh access token and echoes it back
            if "/oauth/" in request.path:
                return handle(request)
            body = [{"$severity": "error", "$dataCode": "AuthorizationFailure",
                     "$message": f"bad token: {request.header('Authorization')}"}]
            return Response(401, json.dumps(body).encode(), [("Content-Type", "application/json")])

        handle, sim.handle = sim.handle, forbid_api
        error = probe.fails(first_page("contacts"), refresh_token=sim.credentials()["refresh_token"])
        assert "bad token: Bearer ***" in error.message, "a token the server issued is a secret too"
    probe.fails(first_page("contacts"), token_url=closed_port() + "/oauth/token")
    probe.assert_clean()


@pytest.mark.slow
def test_magento_token_login():
    password = canary()
    with Sandbox(systems=("magento",), orders=5, options={"magento": {"password": password}}) as sb:
        settings = {"base_url": sb.url("magento"), "username": "passerelle", "password": password,
                    "store": "default"}
        probe = Probe("magento", settings, ("password",))
        assert probe.works(first_page("orders"))
        request = probe.describe("add_order_comment", {"statusHistory": {"comment": "x"}}, {"id": 1042})
        assert request["headers"]["Authorization"] == "Bearer ***"
        echo_credentials(sb.sim("magento"))  # the refused login's answer quotes the JSON body it was sent
        assert probe.fails(first_page("orders"), password=canary()).status == 401
        sb.sim("magento").faults = Faults(error_rate=1.0)
        assert probe.fails(first_page("orders")).transient
    probe.fails(first_page("orders"), base_url=closed_port())
    probe.assert_clean(users=("passerelle",))


@pytest.mark.slow
def test_woocommerce_oauth1():
    secrets = {"consumer_key": "ck_" + canary(), "consumer_secret": "cs_" + canary()}
    with Sandbox(systems=("woocommerce",), orders=5, options={"woocommerce": secrets}) as sb:
        probe = Probe("woocommerce", {"base_url": sb.url("woocommerce"), **secrets}, tuple(secrets))
        assert probe.works(first_page("orders"))
        request = probe.describe("mark_exported", {"meta_data": []}, {"id": 1042})
        assert "oauth_consumer_key=%2A%2A%2A" in request["url"] or "oauth_consumer_key=***" in request["url"]
        echo_credentials(sb.sim("woocommerce"))  # the refusal quotes the signed query (consumer key in it)
        error = probe.fails(first_page("orders"), consumer_secret="cs_" + canary())
        assert error.status == 401 and "oauth_consumer_key=***" in error.message
        sb.sim("woocommerce").faults = Faults(error_rate=1.0)
        assert probe.fails(first_page("orders")).transient
    probe.fails(first_page("orders"), base_url=closed_port())
    probe.assert_clean()


QUERY_CONNECTOR = {
    "name": "echo-shop", "protocol": "http",
    "settings": {"base_url": {"required": True}, "key": {"required": True, "secret": True},
                 "password": {"required": True, "secret": True}},
    "http": {"base_url": "{settings.base_url}", "auth": {"style": "query", "params": {"api_key": "{settings.key}"}},
             "error_message": "message"},
    "format": {"type": "json"},
    "resources": {"items": {"path": "/items", "key": "id"}},
    "operations": {"create_item": {"method": "POST", "path": "/items", "body": "json", "result": "id",
                                   "creates": True}},
}
TOKEN_CONNECTOR = {
    **QUERY_CONNECTOR, "name": "echo-login",
    "http": {"base_url": "{settings.base_url}", "error_message": "message",
             "auth": {"style": "token", "token_url": "{settings.base_url}/login?key={settings.key}",
                      "form": {"user": "me", "password": "{settings.password}"}, "token_path": "token"}},
}


def echoing_server(status: int, padding: int, as_json: bool):
    """An API that answers ``status`` and quotes the whole request back (URL, headers, body) after
    ``padding`` characters, in a JSON message or as plain text."""
    def handler(request: httpx.Request) -> httpx.Response:
        quoted = f"{request.method} {request.url} {dict(request.headers)} {request.content.decode()}"
        text = "x" * padding + " refused: " + quoted
        if as_json:
            return httpx.Response(status, json={"message": text, "error": text, "details": [text]})
        return httpx.Response(status, text=text)
    return httpx.MockTransport(handler)


@pytest.mark.parametrize("connector", [QUERY_CONNECTOR, TOKEN_CONNECTOR], ids=["query", "token"])
@pytest.mark.parametrize("status", [401, 400, 503])
def test_echoed_credentials_in_query_auth_and_token_urls(connector, status):
    secrets = {"key": canary(), "password": canary()}
    settings = {"base_url": "https://api.example.test", **secrets}
    texts = []
    for as_json in (True, False):
        for padding in (0, 60, 90, 150, 180, 190, 200, 260, 290):  # a cut anywhere never keeps half a secret
            wrapped = {k: Secret(v) if k in secrets else v for k, v in settings.items()}
            transport = echoing_server(status, padding, as_json)
            with open_connector(connector["name"], connector, wrapped, transport=transport) as ep:
                ep.retry.sleep = lambda seconds: None
                texts.append(json.dumps(ep.describe_write("create_item", {"name": "x"}, {})))
                texts.append(ep.location())
                for action in (lambda: next(iter(ep.read("items"))), lambda: ep.write("create_item", {"name": "x"})):
                    with pytest.raises(EndpointError) as info:
                        action()
                    texts.append(info.value.message)
    for text in texts:
        assert_clean("message", text, secrets)
        for secret in secrets.values():
            for form in leak_forms(secret).values():
                assert form[:12] not in text, f"a piece of a secret in {text!r}"
    assert "api_key=%2A%2A%2A" in texts[0] or "api_key=***" in texts[0] or connector is TOKEN_CONNECTOR
    assert any("refused" in text for text in texts[2:])


def test_a_header_that_cannot_be_sent_is_an_endpoint_error():
    token = canary() + "\n"  # read from a file with its line break
    with Sandbox(systems=("sage100",), orders=1) as sb:
        settings = {"base_url": sb.url("sage100"), "token": Secret(token)}
        with open_connector("sage", definition("sage100-ws"), settings) as ep, pytest.raises(EndpointError) as info:
            next(iter(ep.read("articles")))
    assert "cannot be sent" in info.value.message and not info.value.transient
    assert_clean("message", info.value.message, {"token": token})
