-- An alert an operator withdrew as a false alarm (its last revision a CAP Cancel) is no longer a
-- current alert: it leaves alerts_current, and so the wall's board and counts. Its revisions stay in
-- `alerts`, and who withdrew it is in `notifications` (action false_alarm).
CREATE OR REPLACE VIEW alerts_current AS
SELECT * EXCEPT (kafka_topic, kafka_partition, kafka_offset)
FROM alerts FINAL
WHERE (alert_id, revision) IN (SELECT alert_id, max(revision) FROM alerts GROUP BY alert_id)
  AND msg_type != 'Cancel'
COMMENT 'Trạng thái mới nhất của mỗi cảnh báo, trừ cảnh báo đã hủy vì báo nhầm | Latest state of each alert, but those withdrawn as false alarms';
