"""What ``passerelle serve`` answers over HTTP (Starlette on uvicorn, imported nowhere else): the webhook
intake, the operator dashboard, ``/healthz`` and ``/metrics``, and the server's thread. This package
imports the runtime; the runtime never imports it."""
