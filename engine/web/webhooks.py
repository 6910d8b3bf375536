"""``POST /webhooks/<flow>``: the raw body read bounded (a larger one is answered 413 before it is all
read) and within ``body_timeout`` seconds (a body that never ends — a client gone quiet, a slowloris —
is answered 408 and its connection freed; a client that hangs up mid-body is logged), then
:meth:`engine.runtime.webhook_intake.Intake.receive` decides and queues — the body is never parsed
before its signature is checked, and the answer is sent only once the event is committed."""
from __future__ import annotations

import asyncio

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from engine.runtime.webhook_intake import Intake

DEFAULT_MAX_BODY = 1024 * 1024
BODY_TIMEOUT = 30.0  # seconds for the whole body: the shops give up on a delivery after 5 s


class TooLarge(Exception):
    pass


async def read_bounded(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise TooLarge()
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge()
        chunks.append(chunk)
    return b"".join(chunks)


def webhook_routes(intake: Intake, max_body: int = DEFAULT_MAX_BODY, body_timeout: float = BODY_TIMEOUT) -> list[Route]:
    async def receive(request: Request) -> Response:
        try:
            async with asyncio.timeout(body_timeout):  # no task per request, unlike asyncio.wait_for
                body = await read_bounded(request, max_body)
        except TooLarge:
            intake.log("webhook_too_large", flow=request.path_params["flow"], max_body=max_body)
            return JSONResponse({"error": f"the body is larger than {max_body} bytes"}, status_code=413)
        except ClientDisconnect:  # nothing was accepted: the shop's retry (if any) brings it again
            intake.log("webhook_incomplete", flow=request.path_params["flow"],
                       reason="the client closed the connection before the end of the body")
            return Response(status_code=400)
        except asyncio.TimeoutError:
            intake.log("webhook_incomplete", flow=request.path_params["flow"],
                       reason=f"the body did not arrive within {body_timeout:g} s")
            return JSONResponse({"error": f"the body did not arrive within {body_timeout:g} s"}, status_code=408,
                                headers={"Connection": "close"})
        if intake.broker is None:  # the state store's queue: committed right here, no coroutine more
            status, answer = intake.receive(request.path_params["flow"], request.headers.get, body,
                                            request.headers.get("content-type", ""))
        else:  # RabbitMQ: the 200 waits for the broker's confirm, without holding the event loop
            status, answer = await intake.areceive(request.path_params["flow"], request.headers.get, body,
                                                   request.headers.get("content-type", ""))
        return JSONResponse(answer, status_code=status)

    return [Route("/webhooks/{flow}", receive, methods=["POST"])]


__all__ = ["BODY_TIMEOUT", "DEFAULT_MAX_BODY", "webhook_routes"]
