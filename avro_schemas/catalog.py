"""The integrators' data catalogue (docs/catalog/), generated from the schemas and topics.

Vendors and departments need one page per feed saying what to send and how; written by hand, such
pages drift from the schemas within weeks. Here every word about a field comes from its schema's
`doc` ("Vietnamese | English"), every setting from topics/catalog.py, every example from
avro_schemas/examples/, and the sample rejections from the real converter; a unit test compares the
committed files with `render_catalog()`, so a changed schema without `ioc schemas catalog` fails.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from avro_schemas import SCHEMA_DIR, load_schema
from avro_schemas.json_records import JsonRecordConverter, RecordError
from topics.catalog import (
    ALL_TOPICS,
    CAMERA_VEHICLE_COUNTS,
    DEAD_LETTER_TOPICS,
    DERIVED_TOPICS,
    INPUT_TOPICS,
    SOURCE_KEY,
    TopicSpec,
    dead_letter_topic,
    family,
)

DEFAULT_DIR = Path(__file__).parent.parent / "docs" / "catalog"
EXAMPLE_DIR = SCHEMA_DIR / "examples"
GENERATED = (
    "> Sinh tự động từ lược đồ Avro bằng lệnh `ioc schemas catalog`; đừng sửa tay. "
    "/ Generated from the Avro schemas by `ioc schemas catalog`; do not edit by hand."
)
FIELDS_NOTE = (
    "Trường không bắt buộc có thể bỏ qua, khi đó nhận giá trị mặc định; `a[].b` là trường `b` của mỗi phần tử "
    "trong mảng `a`. / A field that is not required may be left out and then takes its default; `a[].b` is "
    "field `b` of each element of array `a`."
)
FAMILIES = {
    "camera": "Camera",
    "sensor": "Cảm biến / Sensors",
    "department": "Sở, ban, ngành / Departments",
    "derived": "Do nền tảng tính / Derived",
    "dlq": "Bản ghi lỗi / Dead letters",
}
# Field-name suffix -> unit, checked in order (`_per_m2` before `_m2`); `_ms` is read from the doc.
UNITS = (
    ("_per_m2", "người/m² (persons/m²)"),
    ("_kmh", "km/h"),
    ("_ugm3", "µg/m³"),
    ("_m3s", "m³/s"),
    ("_m2", "m²"),
    ("_cm", "cm"),
    ("_mm", "mm"),
    ("_pct", "%"),
    ("_deg", "°"),
    ("_hpa", "hPa"),
    ("_seconds", "s"),
    ("_c", "°C"),
)
# Every rule json_records.py can name (a test keeps this list complete), in Vietnamese and English.
RULES = {
    "required": ("thiếu trường bắt buộc", "a field without a default is missing"),
    "unknown-field": (
        "trường không có trong lược đồ (thường do gõ sai tên)",
        "a field not in the schema (a typo)",
    ),
    "type": ("sai kiểu, ví dụ chuỗi thay cho số", "wrong type, for example a string for a number"),
    "enum": (
        "giá trị ngoài danh sách cho phép (phân biệt hoa thường)",
        "not one of the listed values (case matters)",
    ),
    "not-null": ("null ở trường không cho phép null", "null where null is not allowed"),
    "range": ("số nguyên vượt phạm vi int/long", "a whole number outside the int/long range"),
    "finite": ("số không hữu hạn (NaN, vô cực)", "not a finite number (NaN, infinity)"),
    "timestamp": ("thời điểm không đúng ISO 8601", "a time that is not ISO 8601"),
    "timestamp-zone": ("thời điểm thiếu múi giờ", "a time without a zone"),
    "timestamp-range": ("thời điểm ngoài phạm vi biểu diễn được", "a time beyond the representable range"),
    "date": ("ngày không đúng dạng YYYY-MM-DD", "a date not written YYYY-MM-DD"),
    "schema": (
        "lược đồ dùng kiểu chưa hỗ trợ: lỗi của Trung tâm, xin báo lại",
        "unsupported schema type: our bug",
    ),
}


def _split(doc: str) -> tuple[str, str]:
    """A doc's Vietnamese and English halves; a doc without both is a schema bug, so it stops here."""
    vi, sep, en = doc.partition(" | ")
    if not sep:
        raise ValueError(f"doc is not 'Vietnamese | English': {doc!r}")
    return vi.strip(), en.strip()


def _short(text: str) -> str:
    """The first clause of a doc, short enough for a title or a table cell."""
    return re.split(r"; |\. ", text)[0].rstrip(".")


def _cell(text: str) -> str:
    """Table-safe text: a pipe (as in `rule_id|entity_id`) would otherwise split the cell."""
    return text.replace("|", "\\|")


def _type(schema: Any) -> str:
    """The type as an integrator writes it in JSON, not as Avro spells it."""
    if isinstance(schema, list):
        branches = [_type(branch) for branch in schema if branch != "null"]
        return " | ".join(branches + (["null"] if "null" in schema else []))
    if isinstance(schema, str):
        return "bytes (string UTF-8)" if schema == "bytes" else schema
    logical = {"timestamp-millis": "timestamp (UTC, ISO 8601)", "date": "date (YYYY-MM-DD)"}
    if schema.get("logicalType") in logical:
        return logical[schema["logicalType"]]
    kind = schema["type"]
    if kind == "enum":
        return "enum: " + ", ".join(schema["symbols"])
    if kind in ("array", "map"):
        return f"{kind}<{_type(schema['items' if kind == 'array' else 'values'])}>"
    return "object" if kind == "record" else _type(kind)


def _unit(name: str, english: str) -> str:
    """The unit, from the naming convention (`_kmh`, `_ugm3`, ...) or, for `_ms` and angles, the doc."""
    if name.endswith("_ms"):
        return "m/s" if "m/s" in english else "ms"
    unit = next((unit for suffix, unit in UNITS if name.endswith(suffix)), "")
    return unit or ("°" if "degrees" in english else "")


def _fields(schema: dict[str, Any], prefix: str = "") -> list[dict[str, Any]]:
    """Every field, nested records flattened: `records[].vehicle_count` is a field of each record."""
    rows = []
    for field in schema["fields"]:
        path, kind = prefix + field["name"], field["type"]
        rows.append({"path": path, "name": field["name"], "field": field})
        if isinstance(kind, dict) and kind["type"] == "array" and isinstance(kind["items"], dict):
            kind, path = kind["items"], path + "[]"
        if isinstance(kind, dict) and kind["type"] == "record":
            rows += _fields(kind, path + ".")
    return rows


def _fields_table(schema: dict[str, Any]) -> list[str]:
    """One row per field, both languages side by side, so a vendor can check a payload line by line."""
    lines = [
        "| Trường / Field | Kiểu / Type | Bắt buộc / Required | Mặc định / Default | Đơn vị / Unit "
        "| Mô tả (VI) | Description (EN) |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in _fields(schema):
        field = row["field"]
        vi, en = _split(field["doc"])
        default = f"`{json.dumps(field['default'], ensure_ascii=False)}`" if "default" in field else ""
        required = "không / no" if "default" in field else "**có / yes**"
        cells = (
            f"`{row['path']}`",
            f"`{_type(field['type'])}`",
            required,
            default,
            _unit(row["name"], en),
            vi,
            en,
        )
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return lines


def _example(spec: TopicSpec) -> Any:
    """The committed example, parsed (re-serialised on the page, so its layout is always the same)."""
    return json.loads((EXAMPLE_DIR / f"{spec.schema}.json").read_text(encoding="utf-8"))


def _send(spec: TopicSpec, schema: dict[str, Any], dlq: str) -> list[str]:
    """How an input feed is sent today (Kafka), with a producer an integrator can copy."""
    parsers = {}
    for row in _fields(schema):
        kind = _type(row["field"]["type"])
        if kind.startswith(("timestamp", "date")):
            parsers[row["name"]] = "datetime" if kind.startswith("timestamp") else "date"
    imports = ", ".join(sorted(set(parsers.values())))
    parse_map = ", ".join(f'"{name}": {kind}.fromisoformat' for name, kind in parsers.items())
    return [
        "## Cách gửi / How to send",
        "",
        f"Hiện nay dữ liệu được gửi bằng cách ghi (produce) thẳng vào Kafka, topic `{spec.name}`, theo định "
        f"dạng Confluent Avro (wire format) với lược đồ đã đăng ký ở subject `{spec.subject()}`. Khóa "
        "(key) của thông điệp là `source_id` của lô. Không tự đăng ký lược đồ "
        '(`"auto.register.schemas": False`): Trung tâm đăng ký lược đồ và cấp địa chỉ Kafka, Schema '
        "Registry. Qua Kafka, các trường thời điểm là `datetime` có múi giờ (hoặc số mili giây epoch) "
        "và ngày là `date`, như ví dụ dưới đây chuyển từ JSON.",
        "",
        f"Today a feed is sent by producing straight to Kafka, topic `{spec.name}`, in the Confluent Avro "
        f"wire format with the schema registered under subject `{spec.subject()}`. The message key is the "
        'batch\'s `source_id`. Do not register schemas yourself (`"auto.register.schemas": False`): the '
        "centre registers them and gives you the Kafka and Schema Registry addresses. Over Kafka, time "
        "fields are zone-aware `datetime` values (or epoch milliseconds) and dates are `date` values, "
        "which the example converts from the JSON above.",
        "",
        "```python",
        "import json",
        f"from datetime import {imports}",
        "from pathlib import Path",
        "",
        "from confluent_kafka import SerializingProducer",
        "from confluent_kafka.schema_registry import SchemaRegistryClient",
        "from confluent_kafka.schema_registry.avro import AvroSerializer",
        "from confluent_kafka.serialization import StringSerializer",
        "",
        'registry = SchemaRegistryClient({"url": "<SCHEMA_REGISTRY_URL>"})  # Trung tâm cấp / from the centre',
        f'schema = Path("avro_schemas/{spec.schema}.avsc").read_text(encoding="utf-8")',
        "producer = SerializingProducer({",
        '    "bootstrap.servers": "<KAFKA_BOOTSTRAP_SERVERS>",',
        '    "key.serializer": StringSerializer("utf_8"),',
        '    "value.serializer": AvroSerializer(registry, schema, conf={"auto.register.schemas": False}),',
        "})",
        "# Chuỗi ISO 8601 → datetime, date (Python ≥ 3.11) / ISO 8601 strings → datetime, date (Python ≥ 3.11)",
        f"PARSE = {{{parse_map}}}",
        "",
        "",
        "def for_avro(obj: dict) -> dict:",
        "    return {k: PARSE[k](v) if k in PARSE and isinstance(v, str) else v for k, v in obj.items()}",
        "",
        "",
        "def delivered(err, msg) -> None:",
        "    if err is not None:",
        '        raise RuntimeError(f"gửi lỗi / delivery failed: {err}")',
        "",
        "",
        'batch = for_avro(json.loads(Path("batch.json").read_text(encoding="utf-8")))  # JSON như ví dụ trên / as above',
        'batch["records"] = [for_avro(record) for record in batch["records"]]',
        f'producer.produce("{spec.name}", key=batch["source_id"], value=batch, on_delivery=delivered)',
        "producer.flush()",
        "```",
        "",
        "Các cổng nhận qua HTTP, MQTT và tệp theo lô (CSV/Excel) đang được xây dựng; chúng sẽ nhận JSON như ví "
        "dụ trên, theo [quy tắc JSON](README.md#json-rules). Mỗi bản ghi bị từ chối có thông báo lỗi nêu "
        f"đường dẫn trường và quy tắc bị vi phạm, và được chuyển vào topic bản ghi lỗi `{dlq}`.",
        "",
        "The HTTP, MQTT and batch-file (CSV/Excel) doors are being built; they will take JSON like the example "
        "above, under the [JSON rules](README.md#json-rules). Each rejected record gets an error naming the "
        f"field path and the rule it broke, and goes to the dead-letter topic `{dlq}`.",
    ]


def _read(spec: TopicSpec) -> list[str]:
    """Derived topics are the platform's output: telling integrators to send to them would mislead."""
    return [
        "## Cách đọc / How to read",
        "",
        "Nền tảng ghi topic này; hệ thống bên ngoài chỉ đọc, không gửi vào. Đọc bằng consumer Kafka có Schema "
        f"Registry (ví dụ `DeserializingConsumer` với `AvroDeserializer` của confluent-kafka), topic `{spec.name}`.",
        "",
        "The platform writes this topic; outside systems read it and never write to it. Read it with a "
        "registry-aware Kafka consumer (e.g. confluent-kafka's `DeserializingConsumer` with `AvroDeserializer`), "
        f"topic `{spec.name}`.",
    ]


def _page(spec: TopicSpec) -> str:
    """One feed's page: what it is, where it lives, its fields, an example and how to send or read it."""
    schema = load_schema(spec.schema)
    vi, en = _split(schema["doc"])
    facts = [
        ("Topic", f"`{spec.name}`"),
        ("Subject (Schema Registry)", f"`{spec.subject()}`"),
        ("Khóa / Key", f"`source_id` của lô / {spec.key}" if spec.key == SOURCE_KEY else spec.key),
        ("Số partition / Partitions", str(spec.partitions)),
        ("Thời gian lưu / Retention", f"{spec.retention_days} ngày / days"),
    ]
    dlq = dead_letter_topic(spec)
    if dlq:
        facts.append(("Topic bản ghi lỗi / Dead-letter topic", f"`{dlq.name}`"))
    facts += [
        ("Lược đồ / Schema", f"`avro_schemas/{spec.schema}.avsc`"),
        ("Tệp ví dụ / Example file", f"`avro_schemas/examples/{spec.schema}.json`"),
    ]
    lines = [
        f"# {_short(vi)}",
        "",
        f"*{_short(en)}*",
        "",
        GENERATED,
        "",
        "[← Danh mục / Catalogue](README.md)",
    ]
    lines += [line for text in (vi, en) if text != _short(text) for line in ("", text)]
    lines += ["", "| Mục / Item | Giá trị / Value |", "|---|---|"]
    lines += [f"| {name} | {_cell(value)} |" for name, value in facts]
    lines += [
        "",
        "## Các trường / Fields",
        "",
        FIELDS_NOTE,
        "",
        *_fields_table(schema),
        "",
        "## Ví dụ / Example",
        "",
    ]
    lines += ["```json", json.dumps(_example(spec), ensure_ascii=False, indent=2), "```", ""]
    lines += _send(spec, schema, dlq.name) if dlq and spec in INPUT_TOPICS else _read(spec)
    return "\n".join(lines) + "\n"


def _rejections() -> list[str]:
    """Real messages from the converter for common mistakes, so the examples cannot drift from the code."""
    converter = JsonRecordConverter(load_schema(CAMERA_VEHICLE_COUNTS.schema))
    mistakes: tuple[tuple[dict[str, Any], str], ...] = (
        ({}, "vehicle_count"),
        ({"observed_at": "2026-11-25T14:30:00"}, ""),
        ({"vehicle_class": "xe_may"}, ""),
        ({"vehicle_cnt": 3}, ""),
    )
    messages = []
    for change, drop in mistakes:
        batch = _example(CAMERA_VEHICLE_COUNTS)
        batch["records"][0].update(change)
        batch["records"][0].pop(drop, None)
        try:
            converter.convert(batch)
        except RecordError as exc:
            messages.append(str(exc))
        else:
            raise AssertionError(f"the sample mistake {change or drop} is accepted; update _rejections")
    return messages


def _index() -> str:
    """The entry point: every topic in one table, then the rules that hold for every feed."""
    lines = [
        "# Danh mục dữ liệu của Trung tâm IOC / IOC data catalogue",
        "",
        GENERATED,
        "",
        "Danh mục này mô tả mọi luồng dữ liệu (topic Kafka) của nền tảng: dữ liệu đầu vào do camera, cảm biến và "
        "các sở, ban, ngành gửi đến, dữ liệu do nền tảng tính ra (chỉ tiêu, cảnh báo) và bản ghi lỗi. Mỗi luồng "
        "có một trang: các trường, kiểu, đơn vị, quy tắc, một ví dụ JSON và cách gửi. Các trang được sinh từ lược "
        "đồ Avro nên luôn khớp với dữ liệu nền tảng chấp nhận. Thời điểm trên đường truyền là UTC; màn hình hiển "
        "thị theo giờ Việt Nam (Asia/Ho_Chi_Minh).",
        "",
        "This catalogue describes every data stream (Kafka topic) of the platform: the inputs that cameras, "
        "sensors and departments send, what the platform computes (indicators, alerts) and the dead letters. "
        "Each stream has a page with its fields, types, units, rules, an example JSON payload and how to send "
        "it. The pages are generated from the Avro schemas, so they always match what the platform accepts. "
        "Times on the wire are UTC; screens show Vietnam time (Asia/Ho_Chi_Minh).",
        "",
        "## Các topic / Topics",
        "",
        "| Topic | Nhóm / Family | Dữ liệu / Feed | Khóa / Key | Partitions | Lưu / Retention | Trang / Page |",
        "|---|---|---|---|---|---|---|",
    ]
    for spec in ALL_TOPICS:
        page = (
            "[bên dưới / below](#dead-letters)"
            if spec in DEAD_LETTER_TOPICS
            else f"[{spec.name}.md]({spec.name}.md)"
        )
        feed = _short(_split(load_schema(spec.schema)["doc"])[0])
        cells = (
            f"`{spec.name}`",
            FAMILIES[family(spec)],
            feed,
            spec.key.split(" (")[0],
            str(spec.partitions),
        )
        lines.append(
            "| " + " | ".join(_cell(c) for c in cells) + f" | {spec.retention_days} ngày / days | {page} |"
        )
    lines += [
        "",
        "Biểu mẫu báo cáo định kỳ (Nghị định 09/2019/NĐ-CP) mà luồng `ioc.department.report-values` kiểm tra: "
        "[forms/README.md](forms/README.md). / The periodic report forms (Decree 09/2019/NĐ-CP) that "
        "`ioc.department.report-values` is checked against: [forms/README.md](forms/README.md).",
        "",
        "## Quy ước đặt tên / Naming convention",
        "",
        "- `ioc.<nhóm>.<luồng>`: dữ liệu đầu vào, nhóm là `camera`, `sensor` hoặc `department`; lược đồ ở "
        "`avro_schemas/<nhóm>/<luồng>.avsc` (dấu `-` thành `_`), ví dụ ở `avro_schemas/examples/`. "
        "/ Inputs, family `camera`, `sensor` or `department`; schema `avro_schemas/<family>/<feed>.avsc` "
        "(`-` becomes `_`), example under `avro_schemas/examples/`.",
        "- `ioc.derived.<tên>`: dữ liệu do nền tảng tính. / What the platform computes.",
        "- `ioc.dlq.<nhóm>`: bản ghi lỗi của mỗi nhóm. / Each family's dead letters.",
        "- Subject của lược đồ trong Schema Registry là `<topic>-value`. / The schema's registry subject is "
        "`<topic>-value` (topic-name strategy).",
        "- Dữ liệu đầu vào gửi theo lô `{source_id, sent_at, records: [...]}`; khóa thông điệp là `source_id`. "
        "/ Inputs are sent as batches `{source_id, sent_at, records: [...]}`, keyed by `source_id`.",
        "",
        '<a id="dead-letters"></a>',
        "",
        "## Bản ghi lỗi / Dead letters",
        "",
        "Không bản ghi nào bị bỏ lặng lẽ: mỗi bản ghi bị từ chối được ghi vào topic bản ghi lỗi của nhóm nó, kèm "
        "đường dẫn trường, quy tắc bị vi phạm, thông báo lỗi và nội dung gốc. / Nothing is dropped silently: every "
        "rejected record goes to its family's dead-letter topic with the field path, the rule, the error message "
        "and the original content.",
        "",
    ]
    for dlq in DEAD_LETTER_TOPICS:
        sources = ", ".join(
            f"`{s.name}`" for s in INPUT_TOPICS + DERIVED_TOPICS if dead_letter_topic(s) == dlq
        )
        lines.append(f"- `{dlq.name}` ← {sources}")
    lines += [
        "",
        "Mỗi bản ghi lỗi gồm / Each dead letter holds:",
        "",
        *_fields_table(load_schema("derived/dead_letters")),
    ]
    lines += [
        "",
        '<a id="json-rules"></a>',
        "",
        "## Quy tắc JSON / JSON rules",
        "",
        "- Gửi JSON thông thường, không phải mã hóa JSON của Avro: trường có thể null chứa giá trị trực tiếp hoặc "
        '`null` (không bọc kiểu `{"double": 1.5}`).',
        "- Thời điểm (`timestamp`): chuỗi ISO 8601 **có múi giờ**, ví dụ `2026-11-25T07:30:00Z` hoặc "
        "`2026-11-25T14:30:00+07:00`, hoặc số mili giây epoch. Thời điểm không có múi giờ bị từ chối, vì đoán "
        "UTC hay giờ Việt Nam có thể lệch 7 giờ. Nền tảng lưu theo UTC.",
        "- Ngày (`date`): `YYYY-MM-DD`, ví dụ `2026-11-14`. `bytes`: một chuỗi, lưu dạng UTF-8.",
        "- Trường số thực nhận cả số nguyên; trường số nguyên (`int`, `long`) chỉ nhận số nguyên, không nhận "
        "`true`/`false`; số phải hữu hạn. `enum`: đúng một giá trị trong danh sách, phân biệt hoa thường.",
        "- Trường có giá trị mặc định có thể bỏ qua; trường không có trong lược đồ bị từ chối, để lỗi gõ sai tên "
        "không làm mất dữ liệu lặng lẽ.",
        "- Lỗi có dạng `đường_dẫn: thông báo [quy_tắc]` (thông báo bằng tiếng Anh); `records[0]` là bản ghi đầu "
        "tiên của lô.",
        "",
        "- Send plain JSON, not Avro's JSON encoding: a nullable field holds the bare value or `null` "
        '(no `{"double": 1.5}` wrapper).',
        "- Times (`timestamp`): an ISO 8601 string **with a zone**, e.g. `2026-11-25T07:30:00Z` or "
        "`2026-11-25T14:30:00+07:00`, or epoch milliseconds. A time without a zone is refused: guessing UTC "
        "or Vietnam time could shift data by seven hours. Stored in UTC.",
        "- Dates (`date`): `YYYY-MM-DD`, e.g. `2026-11-14`. `bytes`: a string, stored as UTF-8.",
        "- Floating-point fields accept integers; integer fields (`int`, `long`) take only whole numbers, not "
        "`true`/`false`; numbers must be finite. `enum`: exactly one of the listed values, case matters.",
        "- A field with a default may be left out; a field not in the schema is refused, so a typo cannot "
        "silently lose data.",
        "- Errors read `path: message [rule]`; `records[0]` is the first record of the batch.",
        "",
        "| Quy tắc / Rule | Ý nghĩa | Meaning |",
        "|---|---|---|",
        *(f"| `{rule}` | {vi} | {en} |" for rule, (vi, en) in RULES.items()),
        "",
        "Ví dụ lỗi thật (lô ví dụ của `ioc.camera.vehicle-counts` bị sửa sai) / Real errors (the example batch of "
        "`ioc.camera.vehicle-counts`, broken on purpose):",
        "",
        "```text",
        *_rejections(),
        "```",
    ]
    return "\n".join(lines) + "\n"


def render_catalog() -> dict[str, str]:
    """Every catalogue file by its name in the folder; same schemas in, same bytes out (no dates)."""
    pages = {f"{spec.name}.md": _page(spec) for spec in INPUT_TOPICS + DERIVED_TOPICS}
    return dict(sorted((pages | {"README.md": _index()}).items()))


def write_catalog(out_dir: Path) -> list[Path]:
    """Write the catalogue and delete pages of topics that no longer exist, so no stale page misleads."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files = render_catalog()
    for stale in sorted(out_dir.glob("*.md")):
        if stale.name not in files:
            stale.unlink()
    written = []
    for name, text in files.items():
        path = out_dir / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
