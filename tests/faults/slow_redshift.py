"""A server speaking just enough of the PostgreSQL wire protocol (which Redshift speaks) for redshift_connector: any
login is accepted, then every statement answers with no rows, each execution after `delay` seconds: a query slower
than the connect timeout, without a Redshift cluster. (The PostgreSQL server the tests start refuses the driver's
Redshift start-up parameters.)"""

from __future__ import annotations

import socket
import struct
import threading
import time


def _message(code: bytes, body: bytes = b"") -> bytes:
    return code + struct.pack("!i", len(body) + 4) + body


class SlowServer:
    def __init__(self, delay: float):
        self.delay = delay
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen()
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self.listener.close()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._session, args=(connection,), daemon=True).start()

    def _session(self, connection: socket.socket) -> None:
        try:
            (length,) = struct.unpack("!i", _read(connection, 4))
            _read(connection, length - 4)  # the start-up message: no SSL asked, any user accepted
            connection.sendall(_message(b"R", struct.pack("!i", 0)) + _message(b"Z", b"I"))
            pending = []
            while True:
                code = _read(connection, 1)
                (length,) = struct.unpack("!i", _read(connection, 4))
                _read(connection, length - 4)
                if code == b"X":
                    return
                if code != b"S":
                    pending.append(code)
                    continue
                connection.sendall(b"".join(self._answer(c) for c in pending) + _message(b"Z", b"I"))
                pending = []
        except OSError:
            pass
        finally:
            connection.close()

    def _answer(self, code: bytes) -> bytes:
        if code == b"P":  # parse
            return _message(b"1")
        if code == b"D":  # describe: no parameters, no rows
            return _message(b"t", struct.pack("!h", 0)) + _message(b"n")
        if code == b"B":  # bind
            return _message(b"2")
        if code == b"E":  # execute: the slow part
            time.sleep(self.delay)
            return _message(b"C", b"SELECT 0\x00")
        if code == b"C":  # close a statement
            return _message(b"3")
        return b""


def _read(connection: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = connection.recv(size - len(data))
        if not chunk:
            raise ConnectionResetError("client went away")
        data += chunk
    return data
