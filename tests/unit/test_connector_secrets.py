"""Scrubbing secrets out of text, shared by every protocol (HTTP messages, ODBC driver messages)."""
from engine.connectors.secrets import mask_connection_string, settings_scrubber
from engine.spec.env import Secret


def test_every_form_of_an_endpoints_secret_settings_is_scrubbed():
    scrub = settings_scrubber({"token": Secret("a b/c"), "user": "alice", "short": Secret("ab")})
    shown = scrub("plain a b/c, url a%20b%2Fc, base64 YSBiL2M=, user alice, pin ab")
    # every form masked (base64: the characters that carry the secret's bits), non-secrets kept, and a
    # secret too short to tell from ordinary text left alone
    assert shown.startswith("plain ***, url ***, base64 ***") and shown.endswith(", user alice, pin ab")
    assert "a b/c" not in shown and "a%20b%2Fc" not in shown and "YSBiL2" not in shown


def test_connection_string_credentials_are_masked():
    assert mask_connection_string("DSN=SAGE;UID=sa;PWD=p4ss;Database=X") == "DSN=SAGE;UID=sa;PWD=***;Database=X"
    assert mask_connection_string("Driver={ODBC Driver 18};Password={a;b}; pwd = x") == \
        "Driver={ODBC Driver 18};Password=***; pwd = ***"
    assert mask_connection_string("Server=tcp:srv;Trusted_Connection=yes") == "Server=tcp:srv;Trusted_Connection=yes"
