import asyncio

import pytest

from spaceport.websocket import OP_BINARY, OP_TEXT, accept_key, apply_mask, encode_frame, read_frame


def read(data: bytes):
    async def go():
        reader = asyncio.StreamReader()
        reader.feed_data(data)
        reader.feed_eof()
        return await read_frame(reader)

    return asyncio.run(go())


def test_accept_key_matches_the_rfc_example():
    assert accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def test_masking_is_its_own_inverse():
    key = b"\x01\x02\x03\x04"
    data = bytes(range(256)) * 3 + b"xyz"
    masked = apply_mask(data, key)
    assert masked != data
    assert apply_mask(masked, key) == data
    assert apply_mask(b"", key) == b""


@pytest.mark.parametrize("size", [0, 1, 125, 126, 127, 65535, 65536, 200_000])
def test_frames_round_trip_at_every_length_encoding(size):
    payload = bytes((i * 7) % 256 for i in range(size))
    fin, opcode, data = read(encode_frame(OP_BINARY, payload))
    assert (fin, opcode, data) == (True, OP_BINARY, payload)


def test_client_frames_are_masked_and_server_frames_are_not():
    masked = encode_frame(OP_TEXT, b"hello", mask_key=b"abcd")
    assert masked[1] & 0x80
    assert masked[2:6] == b"abcd"
    assert masked[6:] != b"hello"
    plain = encode_frame(OP_TEXT, b"hello", mask=False)
    assert plain == b"\x81\x05hello"
    assert read(plain) == (True, OP_TEXT, b"hello")


def test_a_fragment_keeps_fin_clear():
    fin, opcode, data = read(encode_frame(OP_TEXT, b"part", fin=False))
    assert not fin and opcode == OP_TEXT and data == b"part"
