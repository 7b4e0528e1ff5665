"""Native blocks rewritten for a client's protocol revision, on blocks crafted byte by byte the way
chDB writes them (revision 0): the extra byte must land exactly after each column's type."""

from __future__ import annotations

import struct

import pytest

from warehouse.errors import ClickHouseError
from warehouse.native import BLOCK_INFO, parse_type, rewrite, split_args


def varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def text(value: bytes) -> bytes:
    return varint(len(value)) + value


def u64(*values: int) -> bytes:
    return struct.pack(f"<{len(values)}Q", *values)


# (name, type, data) for two rows each, as revision-0 Native lays them out.
COLUMNS = [
    ("id", "UInt64", u64(1, 2)),
    ("name", "String", text(b"a") + text(b"x" * 200)),  # a two-byte length
    ("n", "Nullable(String)", b"\x01\x00" + text(b"") + text(b"b")),
    ("arr", "Array(UInt8)", u64(2, 3) + b"\x01\x02\x03"),
    # LowCardinality: keys version (prefix), flags (additional keys, UInt8 indexes), keys, indexes.
    ("lc", "LowCardinality(Nullable(String))", u64(1) + u64(1 << 9) + u64(2) + text(b"") + text(b"k") + u64(2) + b"\x01\x00"),
    ("m", "Map(String, UInt8)", u64(1, 1) + text(b"k") + b"\x07"),
    ("t", "Tuple(a Enum8('x,y' = 1), `b c` DateTime64(3, 'Asia/Ho_Chi_Minh'))", b"\x01\x01" + struct.pack("<2q", 5, 6)),
    ("dec", "Decimal(18, 2)", struct.pack("<2q", 150, 250)),
    ("u", "UUID", bytes(range(32))),
    ("fs", "FixedString(3)", b"abcdef"),
    # All arrays empty: the nested LowCardinality writes its prefix, then nothing at all.
    ("empty", "Array(LowCardinality(String))", u64(1) + u64(0, 0)),
    ("last", "Nullable(Nothing)", b"\x01\x01" + b"\x00\x00"),
]  # fmt: skip


def block(rows: int, columns: list[tuple[str, str, bytes]], revision: int = 0) -> bytes:
    out = (BLOCK_INFO if revision else b"") + varint(len(columns)) + varint(rows)
    for name, type_name, data in columns:
        out += text(name.encode()) + text(type_name.encode())
        out += b"\x00" if revision >= 54454 else b""
        out += data if rows else b""
    return out


def test_each_block_gets_its_info_and_each_column_its_serialization_byte() -> None:
    chdb_output = block(2, COLUMNS) + block(2, COLUMNS[:2]) + block(0, COLUMNS[:3])
    expected = block(2, COLUMNS, 54460) + block(2, COLUMNS[:2], 54460) + block(0, COLUMNS[:3], 54460)
    assert rewrite(chdb_output, 54460) == expected


def test_before_custom_serialization_only_the_block_info_is_added() -> None:
    assert rewrite(block(2, COLUMNS), 54405) == block(2, COLUMNS, 54405)
    assert block(2, COLUMNS, 54405).startswith(b"\x01\x00\x02\xff\xff\xff\xff\x00")


def test_revision_zero_is_what_chdb_writes() -> None:
    assert rewrite(block(2, COLUMNS), 0) == block(2, COLUMNS)


def test_low_cardinality_is_refused_to_clients_too_old_for_it() -> None:
    with pytest.raises(ClickHouseError) as refused:
        rewrite(block(2, COLUMNS[4:5]), 54000)
    assert refused.value.code == 48


@pytest.mark.parametrize(
    "type_name", ["JSON", "Dynamic", "Variant(String, UInt8)", "AggregateFunction(sum, UInt8)"]
)
def test_a_type_that_cannot_be_walked_is_refused_not_guessed(type_name: str) -> None:
    with pytest.raises(ClickHouseError) as refused:
        rewrite(block(1, [("x", type_name, b"\x00")]), 54460)
    assert refused.value.code == 48


def test_data_that_ends_inside_a_column_is_an_error() -> None:
    with pytest.raises(ClickHouseError):
        rewrite(block(2, COLUMNS[:2])[:-3], 54460)


def test_types_are_parsed_with_quotes_and_nesting() -> None:
    assert split_args("a Enum8('x,y' = 1), `b, c` Tuple(UInt8, String)") == [
        "a Enum8('x,y' = 1)",
        "`b, c` Tuple(UInt8, String)",
    ]
    assert parse_type("Map(LowCardinality(String), Array(Nullable(Decimal(38, 2))))") == (
        "Array",
        ("Tuple", (("LowCardinality", ("String",)), ("Array", ("Nullable", ("fixed", 16))))),
    )
    assert parse_type("SimpleAggregateFunction(sum, UInt64)") == ("fixed", 8)
    assert parse_type("Point") == ("Tuple", (("fixed", 8), ("fixed", 8)))
