"""A loopback TCP proxy a test can take down and bring back, standing in for a database outage."""

from __future__ import annotations

import contextlib
import socket
import threading


class TcpProxy:
    """Forward 127.0.0.1:<port> to ``target``.

    ``down()`` closes every open connection and refuses new ones (the database stopped);
    ``blackhole()`` closes open connections and accepts new ones without ever answering (the
    network lost the server); ``up()`` forwards again on the same port.
    """

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.mode = "up"
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()

    def __enter__(self) -> TcpProxy:
        self.up()
        return self

    def __exit__(self, *exc: object) -> None:
        self._close_listener()
        self._close_connections()

    def up(self) -> None:
        self._set_mode("up")

    def down(self) -> None:
        self._close_listener()
        self._close_connections()
        self.mode = "down"

    def blackhole(self) -> None:
        self._set_mode("blackhole")

    def _set_mode(self, mode: str) -> None:
        self._close_connections()
        self.mode = mode
        if self._listener is None:
            listener = socket.socket()
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", self.port))
            listener.listen(64)
            self._listener = listener
            threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # the listener was closed
            self._track(client)
            if self.mode == "blackhole":
                continue  # hold it open, say nothing
            try:
                upstream = socket.create_connection(self.target, timeout=3)
            except OSError:
                self._forget(client)
                continue
            self._track(upstream)
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            self._forget(source)
            self._forget(sink)

    def _track(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.add(sock)

    def _forget(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(sock)
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()

    def _close_connections(self) -> None:
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            self._forget(sock)

    def _close_listener(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
