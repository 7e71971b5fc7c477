"""The server half every fake provider shares: a threaded HTTP/1.1 server on 127.0.0.1 (port 0), started by
`with`, that hands each request to the subclass's `_handle(handler)`."""

import contextlib
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Server(ThreadingHTTPServer):
    # socketserver's listen backlog is 5: a gateway opening more connections at once than that would see
    # the rest dropped and retried by TCP a second later, which no real provider does.
    request_queue_size = 128
    daemon_threads = True


class LocalHttpServer:
    def __init__(self):
        self._connections: set[socket.socket] = set()  # open keep-alive connections, closed on exit
        self._connections_lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the gateways' sessions expect of real providers
            disable_nagle_algorithm = True  # else headers and body in two writes wait 40 ms for an ACK

            def setup(self):
                super().setup()
                with owner._connections_lock:
                    owner._connections.add(self.connection)

            def finish(self):
                with owner._connections_lock:
                    owner._connections.discard(self.connection)
                super().finish()

            def do_GET(self):
                owner._handle(self)

            def do_POST(self):
                owner._handle(self)

            def log_message(self, *args):
                pass

        self._server = _Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"

    def __enter__(self):
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()
        # The gateways keep connections open from one batch to the next, in a session shared by the whole
        # process: close ours, or they would be served by this stopped fake's threads, or by a later fake
        # listening on the same port.
        with self._connections_lock:
            connections, self._connections = list(self._connections), set()
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        raise NotImplementedError
