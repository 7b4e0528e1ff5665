-- The label of an indicator value (avro field `label`, added with a default so old records read as ''):
-- the dominant pollutant of an AQI, the report code of a report lateness.
ALTER TABLE indicators ADD COLUMN IF NOT EXISTS label LowCardinality(String) DEFAULT '' COMMENT 'Nhãn: chất ô nhiễm chủ yếu, mã báo cáo | Label: dominant pollutant, report code' AFTER computed_at;

-- A plain view fixes its column list when it is created, so it must be created again to show `label`.
-- CREATE OR REPLACE is as safe to run again as IF NOT EXISTS.
CREATE OR REPLACE VIEW indicators_current AS
SELECT * EXCEPT (kafka_topic, kafka_partition, kafka_offset) FROM indicators FINAL;
