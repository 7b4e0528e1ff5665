"""Native blocks in the layout of the protocol revision a client states (`client_protocol_version`).

A ClickHouse server writes the Native format over HTTP for the revision the client sends. From
revision 51903 each block opens with its block info (`01 00 02 ff ff ff ff 00`: not an overflow
block, bucket -1), and from 54454 each column has one more byte after its type name (custom
serialization, 0 = none). The Go driver behind Grafana sends 54460 and cannot read anything else;
clickhouse-connect sends 54405 when a probe shows the server honours it. chDB writes revision 0,
so the blocks are rewritten here. The extra byte sits between a column's type and its data, so
finding the next column means walking each column's data by its type; the common types are
walked, and a type that is not known is refused rather than guessed.
"""

from __future__ import annotations

import functools
import struct
from typing import Any

from warehouse.errors import ClickHouseError, not_implemented

BLOCK_INFO = bytes([0x01, 0x00, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x00])
MIN_REVISION_WITH_BLOCK_INFO = 51903
MIN_REVISION_WITH_LOW_CARDINALITY = 54405
MIN_REVISION_WITH_CUSTOM_SERIALIZATION = 54454

FIXED_SIZES = {
    "UInt8": 1, "Int8": 1, "Bool": 1, "Enum8": 1, "Nothing": 1,
    "UInt16": 2, "Int16": 2, "Date": 2, "Enum16": 2, "BFloat16": 2,
    "UInt32": 4, "Int32": 4, "Float32": 4, "Date32": 4, "DateTime": 4, "IPv4": 4, "Time": 4, "Decimal32": 4,
    "UInt64": 8, "Int64": 8, "Float64": 8, "DateTime64": 8, "Time64": 8, "Decimal64": 8,
    "UInt128": 16, "Int128": 16, "UUID": 16, "IPv6": 16, "Decimal128": 16,
    "UInt256": 32, "Int256": 32, "Decimal256": 32,
}  # fmt: skip
GEO_ALIASES = {
    "Point": "Tuple(Float64, Float64)",
    "Ring": "Array(Point)",
    "LineString": "Array(Point)",
    "MultiLineString": "Array(Ring)",
    "Polygon": "Array(Ring)",
    "MultiPolygon": "Array(Polygon)",
}
LC_NEEDS_GLOBAL_DICTIONARY = 1 << 8
LC_HAS_ADDITIONAL_KEYS = 1 << 9
U64 = struct.Struct("<Q")

Type = tuple[Any, ...]  # (kind, size or inner types): see parse_type


def rewrite(data: bytes, revision: int) -> bytes:
    """Revision-0 Native blocks (as chDB writes them) in the layout of `revision`."""
    if revision < MIN_REVISION_WITH_BLOCK_INFO or not data:
        return data
    custom = revision >= MIN_REVISION_WITH_CUSTOM_SERIALIZATION
    out = bytearray()
    pos = 0
    try:
        while pos < len(data):
            out += BLOCK_INFO
            start = pos
            columns, pos = _varint(data, pos)
            rows, pos = _varint(data, pos)
            out += data[start:pos]
            for _ in range(columns):
                start = pos
                pos = _skip_string(data, pos)
                length, type_start = _varint(data, pos)
                type_name = data[type_start : type_start + length].decode()
                pos = type_start + length
                out += data[start:pos]
                if custom:
                    out.append(0)
                column_type = parse_type(type_name)
                if revision < MIN_REVISION_WITH_LOW_CARDINALITY and _has_low_cardinality(column_type):
                    raise not_implemented(f"LowCardinality columns for client_protocol_version {revision}")
                start = pos
                if rows:
                    pos = _skip_data(data, _skip_prefix(data, pos, column_type), column_type, rows)
                if pos > len(data):
                    raise IndexError(f"a column of {rows} rows needs {pos - len(data)} more bytes")
                out += data[start:pos]
    except (IndexError, struct.error) as exc:
        raise ClickHouseError(1001, "STD_EXCEPTION", f"Native output ended inside a column ({exc})") from exc
    return bytes(out)


@functools.lru_cache(maxsize=512)
def parse_type(text: str) -> Type:
    """A type as `("fixed", size)`, `("String",)`, or a wrapper with its inner types:
    `("Nullable", t)`, `("Array", t)`, `("LowCardinality", t)`, `("Tuple", (t, …))`."""
    text = text.strip()
    name, _, rest = text.partition("(")
    args = split_args(rest[:-1]) if rest else []
    if name in GEO_ALIASES:
        return parse_type(GEO_ALIASES[name])
    if name == "String":
        return ("String",)
    if name == "FixedString":
        return ("fixed", int(args[0]))
    if name == "Decimal":
        precision = int(args[0])
        return ("fixed", 4 if precision <= 9 else 8 if precision <= 18 else 16 if precision <= 38 else 32)
    if name in FIXED_SIZES or name.startswith("Interval"):
        return ("fixed", FIXED_SIZES.get(name, 8))
    if name in ("Nullable", "Array", "LowCardinality"):
        return (name, parse_type(args[0]))
    if name == "SimpleAggregateFunction":
        return parse_type(args[-1])
    if name == "Tuple":
        return ("Tuple", tuple(parse_type(_element_type(arg)) for arg in args))
    if name == "Map":
        return ("Array", ("Tuple", (parse_type(args[0]), parse_type(args[1]))))
    raise not_implemented(f"Native output of {text} columns for client_protocol_version")


def split_args(text: str) -> list[str]:
    """Top-level comma-separated arguments, minding parentheses, quotes and backquotes."""
    args, depth, quote, start, i = [], 0, "", 0, 0
    while i < len(text):
        char = text[i]
        if quote:
            if char == "\\":
                i += 1
            elif char == quote:
                quote = ""
        elif char in "'`\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            args.append(text[start:i].strip())
            start = i + 1
        i += 1
    tail = text[start:].strip()
    return [*args, tail] if tail or args else args


def _element_type(element: str) -> str:
    """A named tuple element (`name Type`) gives its type; an unnamed one is the type itself."""
    depth, quote = 0, ""
    for i, char in enumerate(element):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'`\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == " " and depth == 0:
            return element[i + 1 :]
    return element


def _has_low_cardinality(column_type: Type) -> bool:
    if column_type[0] == "LowCardinality":
        return True
    if column_type[0] in ("Nullable", "Array"):
        return _has_low_cardinality(column_type[1])
    return column_type[0] == "Tuple" and any(_has_low_cardinality(t) for t in column_type[1])


def _skip_prefix(data: bytes, pos: int, column_type: Type) -> int:
    """Serialization state written once before a column's data: LowCardinality's keys version."""
    kind = column_type[0]
    if kind == "LowCardinality":
        return pos + 8
    if kind in ("Nullable", "Array"):
        return _skip_prefix(data, pos, column_type[1])
    if kind == "Tuple":
        for element in column_type[1]:
            pos = _skip_prefix(data, pos, element)
    return pos


def _skip_data(data: bytes, pos: int, column_type: Type, rows: int) -> int:
    kind = column_type[0]
    if kind == "fixed":
        return pos + rows * column_type[1]
    if kind == "String":
        for _ in range(rows):
            length = data[pos]
            if length < 0x80:
                pos += 1 + length
            else:
                length, pos = _varint(data, pos)
                pos += length
        return pos
    if kind == "Nullable":
        return _skip_data(data, pos + rows, column_type[1], rows)
    if kind == "Tuple":
        for element in column_type[1]:
            pos = _skip_data(data, pos, element, rows)
        return pos
    if not rows:
        return pos  # empty nested columns (all arrays empty) write nothing at all
    if kind == "Array":
        (total,) = U64.unpack_from(data, pos + 8 * (rows - 1))
        return _skip_data(data, pos + 8 * rows, column_type[1], total)
    return _skip_low_cardinality(data, pos, column_type[1], rows)


def _skip_low_cardinality(data: bytes, pos: int, inner: Type, rows: int) -> int:
    """One dictionary per block in Native: flags, the keys (never Nullable), then the indexes."""
    (flags,) = U64.unpack_from(data, pos)
    pos += 8
    if flags & LC_NEEDS_GLOBAL_DICTIONARY:
        raise not_implemented("LowCardinality with a shared dictionary in Native output")
    if flags & LC_HAS_ADDITIONAL_KEYS:
        (keys,) = U64.unpack_from(data, pos)
        key_type = inner[1] if inner[0] == "Nullable" else inner
        pos = _skip_data(data, pos + 8, key_type, keys)
    (indexes,) = U64.unpack_from(data, pos)
    return pos + 8 + indexes * (1 << (flags & 0xFF))


def _skip_string(data: bytes, pos: int) -> int:
    length, pos = _varint(data, pos)
    return pos + length


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    """ClickHouse's unsigned LEB128 varint: the value and the position after it."""
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7
