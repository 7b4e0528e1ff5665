"""ClickHouse's block compression: round trips, the checksum layout, and damaged input refused with
ClickHouse's codes."""

from __future__ import annotations

import struct

import lz4.block
import pytest
from clickhouse_cityhash.cityhash import CityHash128

from warehouse.blocks import LZ4, NONE, compress_blocks, decompress_blocks
from warehouse.errors import ClickHouseError


def test_round_trip_across_several_blocks() -> None:
    data = bytes(range(256)) * 1000
    packed = compress_blocks(data, block_size=100_000)
    assert len(packed) < len(data)
    assert decompress_blocks(packed) == data


def test_block_layout_is_checksum_then_header_then_lz4() -> None:
    data = b"SELECT 1 FORMAT TSV\n" * 10
    packed = compress_blocks(data)
    method, size, raw_size = struct.unpack_from("<BII", packed, 16)
    assert (method, raw_size, size) == (LZ4, len(data), len(packed) - 16)
    assert lz4.block.decompress(packed[25:], uncompressed_size=raw_size) == data
    first, second = struct.unpack_from("<QQ", packed)
    assert (first << 64) | second == CityHash128(packed[16:])


def test_uncompressed_blocks_are_read() -> None:
    body = struct.pack("<BII", NONE, 9 + 5, 5) + b"hello"
    value = CityHash128(body)
    block = struct.pack("<QQ", value >> 64, value & (2**64 - 1)) + body
    assert decompress_blocks(block * 2) == b"hellohello"


def test_an_empty_body_is_empty() -> None:
    assert compress_blocks(b"") == b""
    assert decompress_blocks(b"") == b""


@pytest.mark.parametrize(
    ("damage", "code"),
    [
        (lambda b: b[:-3], 432),
        (lambda b: b[:20], 432),
        (lambda b: b[:30] + bytes([b[30] ^ 0xFF]) + b[31:], 40),
        (lambda b: b[:16] + bytes([0x90]) + b[17:], 40),
    ],
    ids=["cut-short", "header-cut", "payload-flipped", "method-changed"],
)
def test_damaged_blocks_are_refused_with_clickhouse_codes(damage: object, code: int) -> None:
    packed = compress_blocks(b"INSERT INTO t FORMAT TSV\n1\n" * 20)
    with pytest.raises(ClickHouseError) as refused:
        decompress_blocks(damage(packed))  # type: ignore[operator]
    assert refused.value.code == code and refused.value.status == 400
