"""The HTTP write path's lean parts (issue 10): what they skip must never change what is sent or kept.

* request URLs are built once per path, exactly as httpx joins a path to the base URL, and each request
  is the one ``Client.build_request`` makes (headers merged once per set of extra ones);
* the cookie jar skips answers without ``Set-Cookie``, and keeps every cookie an answer sets;
* a write's answer is decoded when read: a create's ``result`` is there, an undecodable answer still
  fails where it is read, and an answer nobody reads (an acknowledgement's) is never parsed.
"""
from __future__ import annotations

import httpx
import pytest

from engine.connectors.compile import open_connector
from engine.connectors.errors import HttpError
from engine.connectors.http import transport as transport_module


def definition(base_url: str = "http://shop.test/api") -> dict:
    return {"name": "shop", "protocol": "http", "settings": {},
            "http": {"base_url": base_url},
            "operations": {"add": {"method": "POST", "path": "/order_histories", "body": "xml",
                                   "item": "order_history", "result": "id"},
                           "put": {"method": "PUT", "path": "/orders/{target_id}", "body": "json"},
                           "checked": {"method": "POST", "path": "/checked", "body": "json",
                                       "failure": "error", "result": "id"}}}


class Recorder:
    def __init__(self, answer=lambda request: httpx.Response(201, content=b"<prestashop><order_history><id>9"
                                                              b"</id></order_history></prestashop>")):
        self.requests: list[httpx.Request] = []
        self.answer = answer

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.answer(request)


def opened(recorder: Recorder, base_url: str = "http://shop.test/api"):
    return open_connector("shop", definition(base_url), {}, transport=httpx.MockTransport(recorder))


@pytest.mark.parametrize("base_url", ["http://shop.test/api", "http://shop.test/api/", "http://shop.test",
                                      "https://shop.test:8443/a%20b/api"])
@pytest.mark.parametrize("path", ["/orders", "orders", "/orders?display=full&limit=0,10", "/a%2Fb/c", "",
                                  "http://other.test/x?y=1", "/é/ü"])
def test_request_urls_are_the_ones_httpx_builds(base_url, path):
    recorder = Recorder(lambda request: httpx.Response(200, content=b"[]"))
    with opened(recorder, base_url) as shop:
        expected = shop.client.build_request("GET", path, params={"a": "1"}).url
        shop.send("GET", path, params={"a": "1"})
        shop.send("GET", path, params={"a": "1"})  # the second from the cache
    assert [r.url for r in recorder.requests] == [expected, expected]


@pytest.mark.parametrize("method,path,params,content,headers", [
    ("GET", "/orders", {"display": "full", "filter[id]": "[1|2]", "limit": "0,100"}, None, None),
    ("GET", "orders?date=1", {"a": "é b"}, None, {"Accept": "application/xml"}),
    ("POST", "/order_histories", None, b"<x>1</x>", {"Content-Type": "text/xml; charset=utf-8"}),
    ("PUT", "/orders/42", {}, b'{"a": 1}', {"Content-Type": "application/json", "X-Two": "1"}),
    ("DELETE", "http://other.test/x?y=1", None, None, {"accept": "*/*"}),
])
@pytest.mark.parametrize("cookie", [False, True])
def test_each_request_is_the_one_httpx_builds(method, path, params, content, headers, cookie):
    recorder = Recorder(lambda request: httpx.Response(200, headers={"Set-Cookie": "s=1; Path=/"} if cookie else {},
                                                       content=b"[]"))
    with opened(recorder) as shop:
        shop.client.headers["X-Client"] = "kept"
        shop.send("GET", "/login")  # sets the cookie, or not
        for _ in range(2):  # the second from the caches
            expected = shop.client.build_request(method, path, params=params, content=content, headers=headers)
            built = shop.build(method, path, params, content, headers)
            assert (built.method, built.url, built.extensions) == (expected.method, expected.url, expected.extensions)
            assert list(built.headers.multi_items()) == list(expected.headers.multi_items())
            assert built.read() == expected.read()
            assert ("s=1" in built.headers.get("cookie", "")) is (cookie and "other.test" not in path)


def test_the_url_cache_is_bounded(monkeypatch):
    monkeypatch.setattr(transport_module, "URL_CACHE", 3)
    recorder = Recorder(lambda request: httpx.Response(200, content=b"{}"))
    with opened(recorder) as shop:
        for n in range(10):
            shop.write("put", {"a": n}, {"target_id": n})
        assert len(shop._urls) <= 3
    assert [str(r.url) for r in recorder.requests] == [f"http://shop.test/api/orders/{n}" for n in range(10)]


def test_cookies_an_answer_sets_are_kept_and_sent_back():
    def answer(request):
        if request.url.path.endswith("/login"):
            return httpx.Response(200, headers={"Set-Cookie": "session=abc; Path=/"}, content=b"{}")
        return httpx.Response(200, content=b"{}")  # no Set-Cookie: the jar is not touched
    recorder = Recorder(answer)
    with opened(recorder) as shop:
        shop.send("GET", "/login")
        shop.send("GET", "/orders")
        shop.send("GET", "/orders")
        assert dict(shop.client.cookies) == {"session": "abc"}
    assert [r.headers.get("cookie") for r in recorder.requests] == [None, "session=abc", "session=abc"]


def test_a_create_reads_its_result_and_an_unread_answer_is_never_parsed(monkeypatch):
    recorder = Recorder()
    with opened(recorder) as shop:
        assert shop.write("add", {"id_order": 1}).result == "9"
        parsed = []
        real = shop._body
        monkeypatch.setattr(shop, "_body", lambda response, op: parsed.append(1) or real(response, op))
        answer = shop.write("add", {"id_order": 2})  # an acknowledgement: nobody reads the answer
        assert parsed == [] and answer.status == 201
        assert answer.body == {"id": "9"} and answer.result == "9" and parsed == [1]  # decoded once, when read
        assert answer.result == "9" and parsed == [1]


def test_an_undecodable_answer_fails_where_it_is_read():
    recorder = Recorder(lambda request: httpx.Response(201, content=b"<prestashop><unclosed>"))
    with opened(recorder) as shop:
        answer = shop.write("add", {"id_order": 1})
        with pytest.raises(HttpError, match="unreadable XML answer"):
            answer.result


def test_a_failure_condition_is_still_checked_when_the_write_returns():
    recorder = Recorder(lambda request: httpx.Response(200, json={"error": "refused"}))
    with opened(recorder) as shop:
        with pytest.raises(HttpError, match="reports a failure: refused"):
            shop.write("checked", {"a": 1})
