-- An area's one-minute window and its one-hour window hopping by five minutes start at the same instant
-- every five minutes; with the sorting key ending at `window_start`, ReplacingMergeTree(revision) kept
-- one of the two (the higher revision), so `indicators_current` lost every fifth area minute (found by
-- the chaos run's totals check, load_tests/chaos/). The window's length joins the key. ClickHouse lets a
-- sorting key grow only by a column added in the same ALTER, without a default: the sink writes it.
-- Rows stored before this migration have 0 there (one window per start, as they were kept).
ALTER TABLE indicators
    ADD COLUMN IF NOT EXISTS window_seconds UInt32 COMMENT 'Độ dài cửa sổ, giây | Window length, seconds' AFTER window_end,
    MODIFY ORDER BY (indicator, entity_type, entity_id, window_start, window_seconds);

CREATE OR REPLACE VIEW indicators_current AS
SELECT * EXCEPT (kafka_topic, kafka_partition, kafka_offset) FROM indicators FINAL;
