"""``Secret`` (engine/spec/env.py): not a string, masked wherever it ends up; and the scrubbing of
text that may quote one anyway (endpoint messages, log lines, command output, the state file)."""
from __future__ import annotations

import base64
import copy
import io
import json
import pickle
from urllib.parse import quote, quote_plus

import pytest

from engine.connectors.templates import Template
from engine.spec.env import MASK, Scrubber, Secret, register, resolve, scrub, secret_forms, secrets_scope
from engine.util import jsonout

TEXT = "s3cr3t/T0KEN+ &=value-0123456789"


@pytest.fixture
def secret() -> Secret:
    return Secret(TEXT)


def test_a_secret_is_not_a_string(secret):
    assert not isinstance(secret, str)
    with pytest.raises(TypeError):
        "Bearer " + secret
    with pytest.raises(TypeError):
        secret + "x"
    with pytest.raises(TypeError):
        json.dumps(secret)
    with pytest.raises(TypeError):
        json.dumps({"token": secret})


def test_every_way_of_showing_it_shows_the_mask(secret):
    assert str(secret) == f"{secret}" == f"{secret:>40}" == "%s" % secret == "{}".format(secret) == MASK
    assert repr(secret) == "Secret('***')" and TEXT not in repr([secret]) and TEXT not in str({"k": secret})


def test_jsonout_writes_the_mask(secret):
    assert jsonout.dumps({"k": secret}) == '{"k":"***"}'
    assert jsonout.dumps([secret], indent=2) == '[\n  "***"\n]'
    assert jsonout.plain({"k": secret}) == {"k": MASK}


def test_deepcopy_keeps_it_a_secret_and_pickling_refuses(secret):
    copied = copy.deepcopy({"settings": {"token": secret}})["settings"]["token"]
    assert isinstance(copied, Secret) and copied.reveal() == TEXT and copy.copy(secret) is secret
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        with pytest.raises(TypeError):
            pickle.dumps(secret, protocol)
    with pytest.raises(TypeError):
        pickle.dumps({"token": secret})


def test_reveal_gives_the_text_and_equality_compares_it(secret):
    assert secret.reveal() == TEXT
    assert secret == Secret(TEXT) and secret != Secret("other") and secret != TEXT
    assert len({secret, Secret(TEXT)}) == 1 and bool(secret) and not Secret("")


def test_templates_mask_it_unless_the_wire_asks(secret):
    template = Template("Bearer {settings.t}")
    assert template.render({"settings": {"t": secret}}) == "Bearer ***"
    assert template.render({"settings": {"t": secret}}, reveal=True) == "Bearer " + TEXT
    alone = Template("{settings.t}")  # a single placeholder keeps its value's type: still masked
    assert alone.render({"settings": {"t": secret}}) == MASK
    assert alone.render({"settings": {"t": secret}}, reveal=True) == TEXT


def test_resolve_wraps_only_secret_settings():
    environ = {"TOKEN": TEXT, "HOST": "example.test"}
    assert resolve("${env:TOKEN}", environ, secret=True) == Secret(TEXT)
    assert resolve("https://${env:HOST}/api", environ) == "https://example.test/api"


FORMS = {
    "plain": lambda t: t, "quote": lambda t: quote(t, safe=""), "quote keeping /": quote, "quote_plus": quote_plus,
    "json with escaped /": lambda t: json.dumps(t)[1:-1].replace("/", "\\/"), "xml": lambda t: t.replace("&", "&amp;"),
    "base64": lambda t: base64.b64encode(t.encode()).decode(),
    "basic auth, key as user": lambda t: "Basic " + base64.b64encode(f"{t}:".encode()).decode(),
    "bytes repr with a line break": lambda t: repr((t + "\n").encode()),
}


@pytest.mark.parametrize("form", FORMS)
def test_scrubber_removes_every_form(form):
    text = "k3y/a1b2c3d4e5+ &=f6g7h8"
    shown = FORMS[form](text)
    cleaned = Scrubber([Secret(text)])(f"error: {shown} (end)")
    assert cleaned.startswith("error: ") and cleaned.endswith(" (end)") and MASK in cleaned
    assert not [shown[i:i + 8] for i in range(len(shown) - 7) if shown[i:i + 8] in cleaned], cleaned


def test_base64_is_found_at_any_alignment():
    text = "k3y-0123456789abcdef"
    for prefix in ("", "a", "ab", "abc", "user:", "Authorization: "):
        blob = base64.b64encode((prefix + text + ":").encode()).decode()
        assert MASK in Scrubber([text])(blob), prefix


def test_short_secrets_are_not_scrubbed_from_every_word():
    assert secret_forms("ab") == set() and Scrubber(["ab"])("a cab") == "a cab"


def test_scrub_knows_every_secret_made_and_every_token_registered():
    made = Secret("made-" + "9f8e7d6c5b4a")
    assert scrub(f"x {made.reveal()} y") == "x *** y"
    register("issued-token-" + "0a1b2c3d", obtained=True)
    assert scrub("Bearer issued-token-0a1b2c3d") == "Bearer ***"


def test_log_lines_are_scrubbed(secret):
    from engine.runtime.logs import RunLog

    for fmt in ("json", "text"):
        stream = io.StringIO()
        log = RunLog(fmt, stream, progress=False)
        log("flow_error", flow="f", error=f"vendor said: invalid key {TEXT}", token=secret)
        assert TEXT not in stream.getvalue() and quote(TEXT) not in stream.getvalue()
        assert "invalid key ***" in stream.getvalue()


def test_the_state_file_keeps_reasons_scrubbed(secret, tmp_path):
    from engine.runtime.state import FAILED, SqliteStore

    store = SqliteStore(tmp_path / "state.db")
    store.failed("f", "1", f"rejected: key {TEXT} unknown", None, '{"a":1}')
    store.intend("f", "2", "{}")
    store.note("f", "2", f"outcome unknown: {quote_plus(TEXT)}")
    assert [e.reason for e in store.entries("f", FAILED)] == ["rejected: key *** unknown"]
    assert store.entry("f", "2").reason == "outcome unknown: ***"
    store.close()
    for path in tmp_path.glob("state.db*"):
        assert TEXT.encode() not in path.read_bytes()


def test_command_output_is_scrubbed_even_for_an_internal_error(monkeypatch):
    from engine.cli import main as cli
    from support import ROOT, run_cli

    def broken(args):
        Secret(TEXT)  # resolved by the command (secrets made before it are not its own)
        raise RuntimeError(f"unexpected: token {TEXT} / {quote(TEXT, safe='')}")

    monkeypatch.setattr(cli, "_commands", lambda *_: {"validate": broken})
    code, out, err = run_cli(["validate", "x"], ROOT)
    assert code == 1 and "internal error" in err and TEXT not in err and quote(TEXT, safe="") not in err
    assert "token *** / ***" in err


def test_a_command_scrubs_its_own_secrets_only():
    """In one process running many commands (tests), a short secret of one command must not mask
    ordinary words in the output of the next."""
    with secrets_scope():
        Secret("wrong")
        assert scrub("error[wrong-type]") == "error[***-type]"
    with secrets_scope():
        assert scrub("error[wrong-type]") == "error[wrong-type]"
