-- Every attempt to deliver a report: by e-mail to its readers and upward to the Government reporting
-- information system. The exporter's outbox is the reports without a final row (accepted or refused)
-- here; `idempotency_key` is the same on every attempt of one report to one destination, so a
-- receiver can drop a repeat and the exporter never sends what was accepted.
CREATE TABLE IF NOT EXISTS report_deliveries
(
    delivery_id     String                 COMMENT 'Mã lần gửi | Attempt id',
    report_id       String                 COMMENT 'Mã báo cáo | Report id',
    destination     LowCardinality(String) COMMENT 'Nơi nhận: email, government | Destination',
    address         String                 COMMENT 'Địa chỉ nhận (thư hoặc URL) | Recipient address or URL',
    idempotency_key String                 COMMENT 'Khóa chống gửi trùng | Idempotency key',
    attempt         UInt16                 COMMENT 'Lần gửi thứ | Attempt number',
    status          LowCardinality(String) COMMENT 'sent, accepted, refused, failed | Outcome',
    reason          String                 COMMENT 'Lý do từ chối hoặc lỗi | Why refused or failed',
    attempted_at    DateTime64(3, 'UTC')   COMMENT 'Thời điểm gửi, UTC | When attempted, UTC'
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(attempted_at)
ORDER BY (report_id, destination, attempted_at, delivery_id)
TTL toDateTime(attempted_at) + INTERVAL 3650 DAY
SETTINGS non_replicated_deduplication_window = 1000
COMMENT 'Sổ gửi báo cáo: thư và hệ thống báo cáo Chính phủ | Report delivery ledger: e-mail and the Government reporting system';
