"""A small WebSocket client (RFC 6455) on asyncio streams, standard library only.

Enough for a worker: text and binary messages, fragmentation, ping/pong, close, ws:// and wss://.
Client frames are masked as the RFC requires; no extensions (no compression) are negotiated.
"""

from __future__ import annotations

import asyncio
import collections
import base64
import hashlib
import os
import ssl
import struct
from dataclasses import dataclass
from urllib.parse import urlsplit

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

OP_CONTINUATION = 0x0
OP_TEXT = 0x1
OP_BINARY = 0x2
OP_CLOSE = 0x8
OP_PING = 0x9
OP_PONG = 0xA


class ConnectionClosed(Exception):
    """The connection closed; `code` and `reason` come from the close frame when there was one."""

    def __init__(self, code: int = 1006, reason: str = "") -> None:
        super().__init__(f"connection closed ({code}{': ' + reason if reason else ''})")
        self.code = code
        self.reason = reason


class HandshakeError(Exception):
    """The server did not accept the upgrade (e.g. 401, 404, 503)."""

    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"upgrade refused: HTTP {status} {body[:200]}")
        self.status = status


def encode_frame(opcode: int, payload: bytes, mask: bool = True, fin: bool = True, mask_key: bytes | None = None) -> bytes:
    """One frame. Clients must mask (mask=True); servers must not."""
    first = (0x80 if fin else 0) | opcode
    length = len(payload)
    mask_bit = 0x80 if mask else 0
    if length < 126:
        header = struct.pack("!BB", first, mask_bit | length)
    elif length < 1 << 16:
        header = struct.pack("!BBH", first, mask_bit | 126, length)
    else:
        header = struct.pack("!BBQ", first, mask_bit | 127, length)
    if not mask:
        return header + payload
    key = mask_key if mask_key is not None else os.urandom(4)
    return header + key + apply_mask(payload, key)


def apply_mask(data: bytes, key: bytes) -> bytes:
    """XOR with the 4-byte key, done on whole integers rather than byte by byte."""
    if not data:
        return b""
    repeated = (key * (len(data) // 4 + 1))[: len(data)]
    return (int.from_bytes(data, "big") ^ int.from_bytes(repeated, "big")).to_bytes(len(data), "big")


async def read_frame(reader: asyncio.StreamReader) -> tuple[bool, int, bytes]:
    """Reads one frame: (fin, opcode, unmasked payload)."""
    head = await reader.readexactly(2)
    fin = bool(head[0] & 0x80)
    opcode = head[0] & 0x0F
    masked = bool(head[1] & 0x80)
    length = head[1] & 0x7F
    if length == 126:
        (length,) = struct.unpack("!H", await reader.readexactly(2))
    elif length == 127:
        (length,) = struct.unpack("!Q", await reader.readexactly(8))
    key = await reader.readexactly(4) if masked else b""
    payload = await reader.readexactly(length)
    return fin, opcode, apply_mask(payload, key) if masked else payload


def accept_key(key: str) -> str:
    return base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()


@dataclass
class Message:
    """A whole message: `text` for text frames, `data` for binary ones."""

    text: str | None = None
    data: bytes | None = None


class WebSocket:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._send_lock = asyncio.Lock()
        self.closed = False
        # Pings sent and not yet answered, oldest first: a pong answers the oldest.
        self._pongs: collections.deque[asyncio.Future[None]] = collections.deque()

    @classmethod
    async def connect(cls, url: str, headers: dict[str, str] | None = None, ssl_context: ssl.SSLContext | None = None) -> "WebSocket":
        parts = urlsplit(url)
        secure = parts.scheme == "wss"
        host = parts.hostname or "localhost"
        port = parts.port or (443 if secure else 80)
        tls = (ssl_context or ssl.create_default_context()) if secure else None
        reader, writer = await asyncio.open_connection(host, port, ssl=tls, limit=2**26)
        key = base64.b64encode(os.urandom(16)).decode()
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        lines = [
            f"GET {path} HTTP/1.1",
            f"Host: {host}:{port}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
            *(f"{k}: {v}" for k, v in (headers or {}).items()),
        ]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        await writer.drain()
        status_line = (await reader.readline()).decode("latin-1").strip()
        status = int(status_line.split(" ")[1]) if " " in status_line else 0
        response_headers: dict[str, str] = {}
        while True:
            line = (await reader.readline()).decode("latin-1").strip()
            if not line:
                break
            name, _, value = line.partition(":")
            response_headers[name.strip().lower()] = value.strip()
        if status != 101:
            length = int(response_headers.get("content-length", "0") or 0)
            body = (await reader.readexactly(length)).decode(errors="replace") if length else ""
            writer.close()
            raise HandshakeError(status, body)
        if response_headers.get("sec-websocket-accept") != accept_key(key):
            writer.close()
            raise HandshakeError(status, "bad Sec-WebSocket-Accept")
        return cls(reader, writer)

    async def _send(self, opcode: int, payload: bytes) -> None:
        if self.closed:
            raise ConnectionClosed()
        async with self._send_lock:
            self._writer.write(encode_frame(opcode, payload))
            await self._writer.drain()

    async def send_text(self, text: str) -> None:
        await self._send(OP_TEXT, text.encode())

    async def send_binary(self, data: bytes) -> None:
        await self._send(OP_BINARY, data)

    async def ping(self) -> "asyncio.Future[None]":
        """Sends a ping; the future resolves when its pong comes (the peer has read all sent before it)."""
        answered: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pongs.append(answered)
        await self._send(OP_PING, b"")
        return answered

    async def recv(self) -> Message:
        """The next whole message; answers pings on the way. Raises ConnectionClosed at the end."""
        parts: list[bytes] = []
        kind = OP_TEXT
        while True:
            try:
                fin, opcode, payload = await read_frame(self._reader)
            except (asyncio.IncompleteReadError, ConnectionError, OSError):
                self.closed = True
                raise ConnectionClosed()
            if opcode == OP_PING:
                await self._send(OP_PONG, payload)
                continue
            if opcode == OP_PONG:
                if self._pongs and not self._pongs[0].done():
                    self._pongs.popleft().set_result(None)
                continue
            if opcode == OP_CLOSE:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                reason = payload[2:].decode(errors="replace")
                if not self.closed:
                    try:
                        await self._send(OP_CLOSE, payload[:2])
                    except Exception:
                        pass
                self.closed = True
                self._writer.close()
                raise ConnectionClosed(code, reason)
            if opcode != OP_CONTINUATION:
                kind = opcode
            parts.append(payload)
            if fin:
                data = b"".join(parts)
                return Message(text=data.decode()) if kind == OP_TEXT else Message(data=data)

    async def close(self, code: int = 1000, reason: str = "") -> None:
        if self.closed:
            return
        try:
            await self._send(OP_CLOSE, struct.pack("!H", code) + reason.encode()[:120])
        except Exception:
            pass
        self.closed = True
        self._writer.close()
