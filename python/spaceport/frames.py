"""Spaceport's binary frame layout: uint32 big-endian header length | UTF-8 JSON header | bytes."""

from __future__ import annotations

import json
import struct
from typing import Any


def encode_frame(header: dict[str, Any], payload: bytes) -> bytes:
    head = json.dumps(header, separators=(",", ":")).encode()
    return struct.pack("!I", len(head)) + head + payload


def decode_frame(frame: bytes) -> tuple[dict[str, Any], bytes] | None:
    """(header, payload), or None for a frame that does not follow the layout."""
    if len(frame) < 4:
        return None
    (length,) = struct.unpack("!I", frame[:4])
    if length > 4096 or len(frame) < 4 + length:
        return None
    try:
        header = json.loads(frame[4 : 4 + length])
    except ValueError:
        return None
    if not isinstance(header, dict) or "ref" not in header or not isinstance(header.get("index"), int):
        return None
    return header, frame[4 + length :]
