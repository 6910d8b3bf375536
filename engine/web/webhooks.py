"""``POST /webhooks/<flow>``: the raw body read bounded (a larger one is answered 413 before it is all
read), then :meth:`engine.runtime.webhook_intake.Intake.receive` decides and queues — the body is never
parsed before its signature is checked, and the answer is sent only once the event is committed."""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from engine.runtime.webhook_intake import Intake

DEFAULT_MAX_BODY = 1024 * 1024


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


def webhook_routes(intake: Intake, max_body: int = DEFAULT_MAX_BODY) -> list[Route]:
    async def receive(request: Request) -> JSONResponse:
        try:
            body = await read_bounded(request, max_body)
        except TooLarge:
            intake.log("webhook_too_large", flow=request.path_params["flow"], max_body=max_body)
            return JSONResponse({"error": f"the body is larger than {max_body} bytes"}, status_code=413)
        status, answer = intake.receive(request.path_params["flow"], request.headers.get, body,
                                        request.headers.get("content-type", ""))
        return JSONResponse(answer, status_code=status)

    return [Route("/webhooks/{flow}", receive, methods=["POST"])]


__all__ = ["DEFAULT_MAX_BODY", "webhook_routes"]
