"""The dashboard's token (engine/web/auth.py): where it is read, when the dashboard refuses to start, the
login cookie (an expiry and its HMAC, checked by the server), the CSRF token."""
from __future__ import annotations

import pytest

from engine.spec.env import scrub, secrets_scope
from engine.web.auth import TOKEN_ENV, DashboardDisabled, Guard, dashboard_token, token_variable

TOKEN = "0123456789abcdef-token"


def test_the_variable_is_the_default_or_the_one_the_project_names():
    assert token_variable({}) == token_variable(None) == TOKEN_ENV == "PASSERELLE_DASHBOARD_TOKEN"
    assert token_variable({"dashboard": {"token_env": "ACME_DASH"}}) == "ACME_DASH"
    with secrets_scope():
        assert dashboard_token({"ACME_DASH": TOKEN}, {"dashboard": {"token_env": "ACME_DASH"}}).reveal() == TOKEN
        assert scrub(f"a log line with {TOKEN}") == "a log line with ***"  # a secret from now on


@pytest.mark.parametrize("environ, words", [({}, "PASSERELLE_DASHBOARD_TOKEN is not set"),
                                            ({TOKEN_ENV: "   "}, "is not set"),
                                            ({TOKEN_ENV: "short-tok"}, "shorter than 16 characters")])
def test_without_a_usable_token_the_dashboard_is_disabled_with_a_hint(environ, words):
    with secrets_scope(), pytest.raises(DashboardDisabled) as caught:
        dashboard_token(environ, {})
    assert words in str(caught.value) and "hint:" in str(caught.value) and "/healthz is" in str(caught.value)
    assert "short-tok" not in str(caught.value)


def test_the_login_cookie_expires_and_cannot_be_forged():
    with secrets_scope():
        guard = Guard(dashboard_token({TOKEN_ENV: TOKEN}, {}))
        other = Guard(dashboard_token({TOKEN_ENV: TOKEN + "-other"}, {}))
    value = guard.session_value(2_000)
    assert guard.valid_session(value, now=1_999) and not guard.valid_session(value, now=2_001)
    assert TOKEN not in value
    assert not other.valid_session(value, now=1_000)  # another token's dashboard
    expires, mac = value.split(".")
    assert not guard.valid_session(f"9{expires}.{mac}", now=1_000)  # a later expiry with the old MAC
    for junk in ("", ".", "x.y", "9" * 5000 + ".0", "-1." + mac):
        assert not guard.valid_session(junk, now=0)
    assert guard.csrf != other.csrf and len(guard.csrf) == 64 and TOKEN not in guard.csrf
    assert guard.valid_token(TOKEN) and not guard.valid_token(TOKEN[:-1]) and not guard.valid_token("")


def test_a_cookie_or_form_token_out_of_ascii_is_refused_not_a_crash():
    """Header values arrive as latin-1 text: `²` is a digit to str.isdigit but not to int(), and
    hmac.compare_digest raises on non-ASCII text — either was a 500 with a traceback in serve's log."""
    with secrets_scope():
        guard = Guard(dashboard_token({TOKEN_ENV: TOKEN}, {}))
    for junk in ("\xb2.aa", "99999999999.\xe9", "\u0661\u0662.aa", "99999999999." + "\xe9" * 64):
        assert not guard.valid_session(junk, now=0)
    assert not guard.valid_token("\xe9\xe9")


def test_a_form_whose_csrf_token_is_out_of_ascii_is_refused():
    from starlette.requests import Request

    with secrets_scope():
        guard = Guard(dashboard_token({TOKEN_ENV: TOKEN}, {}))
    request = Request({"type": "http", "method": "POST", "scheme": "http", "server": ("127.0.0.1", 80),
                       "path": "/replay", "headers": [(b"host", b"127.0.0.1")]})
    assert not guard.form_allowed(request, {"csrf": "\xe9"})
    assert guard.form_allowed(request, {"csrf": guard.csrf})
