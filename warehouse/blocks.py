"""ClickHouse's own block compression of HTTP bodies: `compress=1` (the server compresses its answer)
and `decompress=1` (the client compressed its request body).

The ClickHouse JDBC driver, and with it DBeaver, asks for it by default. Every block is a 16-byte
CityHash128 (version 1.0.2, the one ClickHouse froze) of what follows, then a 9-byte header (method
byte, compressed size including the header, uncompressed size; little-endian), then the payload.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

import lz4.block
from clickhouse_cityhash.cityhash import CityHash128

from warehouse.errors import ClickHouseError

NONE, LZ4, ZSTD = 0x02, 0x82, 0x90
HEADER = struct.Struct("<BII")
CHECKSUM_SIZE = 16
# ClickHouse's own `max_compress_block_size`.
BLOCK_SIZE = 1 << 20


def _checksum(block: bytes) -> bytes:
    # clickhouse-cityhash returns the hash's two 64-bit halves as one integer, the first half in
    # its high bits; on the wire the first half comes first, each little-endian.
    value = CityHash128(block)
    return struct.pack("<QQ", value >> 64, value & 0xFFFF_FFFF_FFFF_FFFF)


def compress_blocks(data: bytes, block_size: int = BLOCK_SIZE) -> bytes:
    """`data` as LZ4 blocks with their checksums, as a ClickHouse server answers with `compress=1`."""
    blocks = []
    for start in range(0, len(data), block_size):
        chunk = data[start : start + block_size]
        packed = lz4.block.compress(chunk, store_size=False)
        block = HEADER.pack(LZ4, HEADER.size + len(packed), len(chunk)) + packed
        blocks.append(_checksum(block) + block)
    return b"".join(blocks)


def decompress_blocks(data: bytes) -> bytes:
    """A `decompress=1` request body, checked block by block; a damaged or unknown block is refused
    with ClickHouse's own error codes."""
    return b"".join(_blocks(data))


def _blocks(data: bytes) -> Iterator[bytes]:
    position = 0
    while position < len(data):
        start = position + CHECKSUM_SIZE
        if start + HEADER.size > len(data):
            raise ClickHouseError(432, "UNKNOWN_CODEC", "a compressed block is cut short", status=400)
        method, size, raw_size = HEADER.unpack_from(data, start)
        block = data[start : start + size]
        if size < HEADER.size or len(block) != size:
            raise ClickHouseError(432, "UNKNOWN_CODEC", "a compressed block is cut short", status=400)
        if _checksum(block) != data[position:start]:
            raise ClickHouseError(
                40, "CHECKSUM_DOESNT_MATCH", "checksum of a compressed block does not match", status=400
            )
        payload = block[HEADER.size :]
        if method == LZ4:
            yield lz4.block.decompress(payload, uncompressed_size=raw_size)
        elif method == NONE:
            yield payload
        else:
            raise ClickHouseError(
                432,
                "UNKNOWN_CODEC",
                f"compression method 0x{method:02x} (the warehouse reads LZ4 and none)",
                status=400,
            )
        position = start + size
