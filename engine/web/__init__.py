"""The HTTP side of ``passerelle serve`` (Starlette on uvicorn, imported only by serve): webhook intake,
and the place other route lists (an operator page) are added. It imports the runtime, never the reverse."""
