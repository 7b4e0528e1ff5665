-- The centre's generated reports (reports/): one row per generation of a report; generating the same
-- report again (a corrected day) replaces it, the newest generation wins (ReplacingMergeTree on
-- generated_at). `figures` is the report's indicator set, what the bridge upward sends.
CREATE TABLE IF NOT EXISTS reports
(
    report_id     String                 COMMENT 'Mã báo cáo, ví dụ daily:2026-12-06 | Report id, e.g. daily:2026-12-06',
    kind          LowCardinality(String) COMMENT 'Loại: daily (bản tin ngày), period (báo cáo kỳ) | Kind: daily brief or period report',
    form_code     LowCardinality(String) COMMENT 'Mã biểu mẫu, rỗng với bản tin ngày | Report form code, empty for the daily brief',
    period_start  DateTime64(3, 'UTC')   COMMENT 'Đầu kỳ báo cáo, UTC | Start of the reported period, UTC',
    period_end    DateTime64(3, 'UTC')   COMMENT 'Cuối kỳ báo cáo (không gồm), UTC | End of the reported period (exclusive), UTC',
    generated_at  DateTime64(3, 'UTC')   COMMENT 'Thời điểm tạo, UTC | When it was generated, UTC',
    title         String                 COMMENT 'Tiêu đề | Title, in Vietnamese',
    html_path     String                 COMMENT 'Tệp HTML | HTML file',
    pdf_path      String                 COMMENT 'Tệp PDF, rỗng nếu không in | PDF file, empty when not printed',
    pdf_sha256    String                 COMMENT 'SHA-256 của PDF | SHA-256 of the PDF',
    figures       Map(String, Float64)   COMMENT 'Bộ chỉ tiêu của báo cáo theo mã chỉ tiêu | The report figures by indicator code',
    missing       Array(String)          COMMENT 'Nguồn, đơn vị thiếu dữ liệu | Feeds and units with missing data'
)
ENGINE = ReplacingMergeTree(generated_at)
PARTITION BY toYYYYMM(period_start)
ORDER BY report_id
TTL toDateTime(period_start) + INTERVAL 3650 DAY
SETTINGS non_replicated_deduplication_window = 1000
COMMENT 'Báo cáo do Trung tâm tạo | Reports the centre generated';
