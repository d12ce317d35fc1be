"""A store's network link that can be cut: a TCP relay on loopback between the store agent
and the ingest, for the fault tool.

Why: the agent's promise (every scan reaches the ingest exactly once, whatever the link
does) is only shown by breaking a real link under load. A cable pulled or a switch that
hangs does not refuse connections: packets vanish, and the agent learns it only when its
request times out. A request already received and committed by the ingest then loses its
answer, and the agent must resend it as a duplicate.

How it works: one thread relays bytes both ways between each accepted connection and a
connection of its own to the target, with ``selectors``. ``cut()`` turns the relay into a
black hole: bytes read from either side are dropped and new connections are accepted but
never connected through. ``restore()`` resets every connection the cut held (RST, as a
router that has forgotten them does) and relays again.

Caveats: loopback only (the listening address is 127.0.0.1 and so must the target be).
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import struct
import threading

_RESET = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() sends RST


class LinkCutter:
    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        if target_host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the link cutter relays to loopback addresses only")
        self.target = (target_host, target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.setblocking(False)
        self.port = self._listener.getsockname()[1]
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._listener, selectors.EVENT_READ)
        self._peers: dict[socket.socket, socket.socket | None] = {}
        self._cut = False
        self._restore = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="link-cutter", daemon=True)
        #: Bytes dropped while the link was cut (both directions).
        self.dropped_bytes = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LinkCutter:
        self._thread.start()
        return self

    def cut(self) -> None:
        self._cut = True

    def restore(self) -> None:
        """Reset the connections the cut held, then relay again (takes effect within
        one turn of the relay's loop)."""
        self._restore.set()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        for sock in list(self._peers):
            self._close(sock, reset=True)
        self._selector.close()
        self._listener.close()

    # ------------------------------------------------------------------ the relay
    def _run(self) -> None:
        while not self._stop.is_set():
            if self._restore.is_set():
                self._restore.clear()
                for sock in list(self._peers):
                    self._close(sock, reset=True)
                self._cut = False
            for key, _events in self._selector.select(0.05):
                sock = key.fileobj
                if sock is self._listener:
                    self._accept()
                elif sock in self._peers:
                    self._relay(sock)

    def _accept(self) -> None:
        try:
            client, _address = self._listener.accept()
        except BlockingIOError:
            return
        client.settimeout(5)
        upstream = None
        if not self._cut:
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _RESET)
                client.close()
                return
            self._peers[upstream] = client
            self._selector.register(upstream, selectors.EVENT_READ)
        self._peers[client] = upstream
        self._selector.register(client, selectors.EVENT_READ)

    def _relay(self, sock: socket.socket) -> None:
        try:
            data = sock.recv(65536)
        except OSError:
            data = b""
        if not data:
            self._close(sock, reset=False)
            return
        peer = self._peers.get(sock)
        if self._cut or peer is None:
            self.dropped_bytes += len(data)
            return
        try:
            peer.sendall(data)
        except OSError:
            self._close(sock, reset=True)

    def _close(self, sock: socket.socket, *, reset: bool) -> None:
        peer = self._peers.pop(sock, None)
        for each in (sock, peer):
            if each is None:
                continue
            self._peers.pop(each, None)
            with contextlib.suppress(KeyError, ValueError):
                self._selector.unregister(each)
            if reset:
                with contextlib.suppress(OSError):
                    each.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _RESET)
            each.close()
