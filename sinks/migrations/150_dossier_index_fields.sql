-- The dossier facts the Decision 766 index is scored from (avro fields added with null defaults, so
-- old producers' records read as unknown): whether the dossier was digitised, whether its fees were
-- paid online, and the applicant's rating. Stored so that a report can recount the index from the
-- warehouse alone. NULL = not known (or no fee / not rated).
ALTER TABLE department_dossier_events ADD COLUMN IF NOT EXISTS digitised Nullable(Bool) COMMENT 'Đã số hóa; NULL nếu không rõ | Digitised; NULL when not known' AFTER channel;

ALTER TABLE department_dossier_events ADD COLUMN IF NOT EXISTS paid_online Nullable(Bool) COMMENT 'Thanh toán trực tuyến; NULL nếu không có phí hoặc không rõ | Paid online; NULL when no fee or not known' AFTER digitised;

ALTER TABLE department_dossier_events ADD COLUMN IF NOT EXISTS satisfaction LowCardinality(Nullable(String)) COMMENT 'Đánh giá: very_satisfied, satisfied, dissatisfied; NULL nếu chưa đánh giá | Rating; NULL when not rated' AFTER paid_online;
