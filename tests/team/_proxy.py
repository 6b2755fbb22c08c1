"""A TCP proxy in front of a real server, to cut the line the way real outages do.

``down()`` closes the listening socket and every open connection (clients get "connection
refused", as from a stopped server); ``up()`` listens again on the same port;
``drop_responses()`` passes requests on to the server but hangs up before the answer (the
server has applied the request, the client cannot know).
"""
from __future__ import annotations

import socket
import threading


class Proxy:
    def __init__(self, upstream_port: int) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self.mode = "forward"
        self._listener: socket.socket | None = None
        self._conns: set[socket.socket] = set()
        self._lock = threading.Lock()

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def up(self) -> Proxy:
        self.mode = "forward"
        if self._listener is None:
            listener = socket.socket()
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", self.port))
            listener.listen(64)
            self._listener = listener
            threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def down(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            try:
                listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread (close alone does not)
            except OSError:
                pass
            listener.close()
        self._close_all()

    def drop_responses(self) -> None:
        self.mode = "drop"
        self._close_all()  # so kept-alive connections go through the new mode too

    def _close_all(self) -> None:
        with self._lock:
            conns, self._conns = self._conns, set()
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            with self._lock:
                self._conns.update((client, server))
            threading.Thread(target=self._pipe, args=(client, server, False), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, True), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, is_response: bool) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if is_response and self.mode == "drop":
                    break  # the server answered: hang up on the client instead of passing it on
                dst.sendall(data)
        except OSError:
            pass
        for sock in (src, dst):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
