-- Plausibility guards: ClickHouse refuses such rows, and the sink moves them to the dead-letter
-- topic with the server's reason instead of storing nonsense on the wall.
ALTER TABLE camera_vehicle_counts
    ADD CONSTRAINT IF NOT EXISTS vehicle_count_plausible CHECK vehicle_count <= 100000;

ALTER TABLE camera_vehicle_counts
    ADD CONSTRAINT IF NOT EXISTS average_speed_plausible
    CHECK average_speed_kmh IS NULL OR (average_speed_kmh >= 0 AND average_speed_kmh <= 400);
