"""The simulators' HTTP server queues a burst of new connections as a real web server does.

socketserver's default backlog is 5: with 16 clients connecting at once on a loaded machine, the kernel
dropped or reset the connections past it (a CI run failed with "Connection reset by peer" in the
concurrent-reservations test). Here the server is not accepting yet while 64 clients connect: every
connect must complete at once from the kernel's queue, and every request is answered once it serves."""
from __future__ import annotations

import socket
import threading

from passerelle_sandbox._http import Request, Response, Simulator, _Server

CLIENTS = 64


class _Echo(Simulator):
    name = "echo"

    def handle(self, request: Request) -> Response:
        return Response(200, request.path.encode(), [("Content-Type", "text/plain")])


def test_a_burst_of_connections_waits_in_the_queue_and_is_answered() -> None:
    server = _Server(("127.0.0.1", 0), _Echo())
    host, port = server.server_address[:2]
    clients: list[socket.socket] = []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    try:
        for n in range(CLIENTS):  # nobody accepts yet: each connect completes from the listen queue or times out
            client = socket.create_connection((host, port), timeout=1.0)
            client.sendall(f"GET /c{n} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
            clients.append(client)
        thread.start()
        answers = []
        for client in clients:
            client.settimeout(10)
            data = b""
            while chunk := client.recv(65536):
                data += chunk
            answers.append(data)
        assert [a.split(b"\r\n", 1)[0] for a in answers] == [b"HTTP/1.1 200 OK"] * CLIENTS
        assert [a.rsplit(b"\r\n\r\n", 1)[1] for a in answers] == [f"/c{n}".encode() for n in range(CLIENTS)]
    finally:
        for client in clients:
            client.close()
        if thread.is_alive():
            server.shutdown()
        server.server_close()
