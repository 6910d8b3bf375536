"""Robustness: the request URLs an HTTP endpoint builds once per path (``HttpTransport.request_url``,
issue 10) are exactly the ones httpx builds on every request, for any base URL and path — percent
signs, queries, fragments, spaces, non-ASCII, absolute URLs, empty paths — and a path httpx refuses is
refused the same way (a located ``HttpError``, never a traceback), before or after the cache holds it.
"""
from __future__ import annotations

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.connectors.compile import open_connector
from engine.connectors.errors import HttpError

SETTINGS = settings(max_examples=200, deadline=None, derandomize=True, database=None, print_blob=False,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

PIECES = st.sampled_from(["orders", "/", "a b", "%", "%2F", "%zz", "?", "?x=1&y=%20", "#frag", "é", "ü/ß",
                          "..", ".", "//", "http://other.test/p", ":", "@", "~", "+", ";", "[", "]", "\\",
                          "\t", "{id}", "0", "products/42"])
PATHS = st.one_of(st.lists(PIECES, max_size=5).map("".join), st.text(max_size=30))
BASES = st.sampled_from(["http://shop.test/api", "http://shop.test/api/", "http://shop.test",
                         "https://shop.test:8443/a%20b/api", "http://127.0.0.1:9/x/y/"])


def definition(base_url: str) -> dict:
    return {"name": "shop", "protocol": "http", "settings": {}, "http": {"base_url": base_url},
            "operations": {"noop": {"method": "POST", "path": "/x", "body": "json"}}}


def httpx_url(client: httpx.Client, path: str):
    try:
        return client.build_request("GET", path).url
    except Exception as exc:  # what httpx refuses, the endpoint must refuse too
        return type(exc)


@SETTINGS
@given(base=BASES, paths=st.lists(PATHS, min_size=1, max_size=4))
def test_request_urls_equal_httpx_own(base, paths):
    answered = []
    transport = httpx.MockTransport(lambda request: answered.append(request.url) or httpx.Response(200, content=b"{}"))
    with open_connector("shop", definition(base), {}, transport=transport) as shop:
        for path in paths + paths:  # the second time from the cache
            expected = httpx_url(shop.client, path)
            answered.clear()
            if isinstance(expected, type):
                with pytest.raises(HttpError):
                    shop.send("GET", path)
                continue
            try:
                shop.send("GET", path)
            except HttpError as exc:  # httpx may refuse the URL only when sending (e.g. a bad host)
                assert "cannot be sent" in exc.message or "cannot connect" in exc.message
                continue
            assert answered == [expected]
