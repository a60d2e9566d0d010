"""A real HTTP endpoint on 127.0.0.1 for webhook tests: it records every request and answers
what the test scripted (a status, a redirect, or nothing for a while)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    received: list[Received] = field(default_factory=list)
    # Statuses to answer in turn; when used up, ``default``.
    script: list[int] = field(default_factory=list)
    default: int = 200
    # Set: requests wait until it is set (or ``stall_seconds`` pass) before answering.
    release: threading.Event = field(default_factory=threading.Event)
    stall_seconds: float = 0.0
    # Set: the answer's head is sent a byte at a time, for this long (or until ``release``).
    drip_seconds: float = 0.0
    arrived: threading.Event = field(default_factory=threading.Event)

    def event_ids(self) -> list[str]:
        return [request.headers["TCFO-Event-Id"] for request in self.received]


@contextmanager
def receiver(path: str = "/hook") -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            state.received.append(Received(self.path, dict(self.headers.items()), body))
            state.arrived.set()
            if state.stall_seconds:
                state.release.wait(state.stall_seconds)
            if state.drip_seconds:
                self._drip()
                return
            status = state.script.pop(0) if state.script else state.default
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", f"{state.url}/elsewhere")
            self.send_header("Content-Length", "2")
            self.end_headers()
            with suppress(OSError):
                self.wfile.write(b"ok")

        def _drip(self) -> None:
            until = time.monotonic() + state.drip_seconds
            with suppress(OSError):
                self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Drip: ")
                self.wfile.flush()
                while time.monotonic() < until and not state.release.is_set():
                    self.wfile.write(b"a")
                    self.wfile.flush()
                    state.release.wait(0.05)
                self.wfile.write(b"\r\nContent-Length: 2\r\n\r\nok")
            self.close_connection = True

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()
