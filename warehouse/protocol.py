"""The pure parts of ClickHouse's HTTP protocol: the statement and its data, formats, compression.

Kept apart from the request handler so that each rule can be tested without a server.
"""

from __future__ import annotations

import functools
import gzip
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass

import lz4.frame  # a dependency of clickhouse-connect, whose inserts are lz4-compressed by default

from warehouse.errors import ClickHouseError, not_implemented

# `INSERT INTO t (…) FORMAT X` or `… VALUES` ending the `query` parameter: the body is its data.
INSERT_WITH_DATA = re.compile(r"(?is)^\s*(INSERT\s+INTO\s+.*?)\s+(?:FORMAT\s+(\w+)|(VALUES))\s*$")
# `INSERT … FORMAT X` as the first line(s) of the body, the data after it (clickhouse-connect sends
# uncompressed raw inserts this way, binary formats included).
INSERT_IN_BODY = re.compile(rb"(?is)^\s*(INSERT\s+INTO\s+.*?)\s+FORMAT\s+(\w+)[ \t]*(?:\r?\n|$)")
# The output format named by the statement itself, which wins over `default_format`.
TRAILING_FORMAT = re.compile(r"(?is)\bFORMAT\s+(\w+)(?:\s+SETTINGS\b[^;]*)?\s*;?\s*$")


def lz4_frames(body: bytes) -> bytes:
    """Every LZ4 frame of the body: clickhouse-connect compresses each block of a large insert as a
    frame of its own, and `lz4.frame.decompress` reads the first only (an insert of 150,000 rows
    stored 32,768 of them and said so as if all were written)."""
    out = []
    while body:
        frame = lz4.frame.LZ4FrameDecompressor()
        out.append(frame.decompress(body))
        body = frame.unused_data
    return b"".join(out)


DECODERS = {"gzip": gzip.decompress, "deflate": zlib.decompress, "lz4": lz4_frames}
# Level 3, ClickHouse's default `http_zlib_compression_level`: most of the gain, a fraction of the CPU.
ENCODERS = {
    "gzip": functools.partial(gzip.compress, compresslevel=3),
    "deflate": functools.partial(zlib.compress, level=3),
    "lz4": lz4.frame.compress,
}
CONTENT_TYPES = (
    ("JSON", "application/json; charset=UTF-8"),
    ("CSV", "text/csv; charset=UTF-8"),
    ("TabSeparated", "text/tab-separated-values; charset=UTF-8"),
    ("TSV", "text/tab-separated-values; charset=UTF-8"),
    ("Native", "application/octet-stream"),
    ("RowBinary", "application/octet-stream"),
    ("Parquet", "application/octet-stream"),
    ("Arrow", "application/octet-stream"),
)


@dataclass(frozen=True)
class Statement:
    """What a request asks: a statement, and for an INSERT with data, the data and its format."""

    sql: str
    data: bytes | None = None
    data_format: str = ""


def statement(query_param: str, body: bytes) -> Statement:
    """ClickHouse's reading of a request: the `query` parameter followed by the body; an INSERT
    in the parameter takes the body as its data, and an INSERT at the head of a body without a
    parameter takes the rest of the body."""
    if query_param and body:
        insert = INSERT_WITH_DATA.match(query_param)
        if insert:
            return Statement(insert.group(1), body, insert.group(2) or "Values")
        return Statement(f"{query_param}\n{_text(body)}")
    if not query_param:
        insert_in_body = INSERT_IN_BODY.match(body)
        if insert_in_body:
            head = insert_in_body.group(1).decode()
            return Statement(head, body[insert_in_body.end() :], insert_in_body.group(2).decode())
    return Statement(query_param or _text(body))


def query_parameters(args: Mapping[str, str]) -> dict[str, str]:
    """The request's `param_<name>` values by name: the query's `{name:Type}` placeholders."""
    return {name[6:]: value for name, value in args.items() if name.startswith("param_")}


def _text(body: bytes) -> str:
    try:
        return body.decode()
    except UnicodeDecodeError as exc:
        raise ClickHouseError(36, "BAD_ARGUMENTS", f"the query is not valid UTF-8 ({exc})") from exc


def output_format(sql: str, default: str) -> str:
    """The statement's own `FORMAT`, else the request's default format."""
    named = TRAILING_FORMAT.search(sql)
    return named.group(1) if named else default


def content_type(fmt: str) -> str:
    """The Content-Type a ClickHouse server sends for an output format."""
    for prefix, media_type in CONTENT_TYPES:
        if fmt.startswith(prefix):
            return media_type
    return "text/plain; charset=UTF-8"


def decode_body(body: bytes, content_encoding: str) -> bytes:
    """A request body as sent with `Content-Encoding` (gzip, deflate, lz4), decompressed."""
    encoding = content_encoding.strip().lower()
    if not encoding or encoding == "identity":
        return body
    if encoding not in DECODERS:
        raise not_implemented(f"request bodies with Content-Encoding {encoding}")
    return DECODERS[encoding](body)


def response_encoding(accept_encoding: str) -> str:
    """The first encoding in the client's `Accept-Encoding` that the front can write, or ''."""
    for item in accept_encoding.split(","):
        name = item.split(";")[0].strip().lower()
        if name in ENCODERS:
            return name
    return ""


def encode_body(body: bytes, encoding: str) -> bytes:
    """A response body compressed with the chosen encoding."""
    return ENCODERS[encoding](body)
