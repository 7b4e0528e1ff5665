-- The readers' incidents lose the evidence link: since migration 100 it is stored only in
-- restricted_camera_incidents, and the copies into camera_incidents leave it out. Its own file, after
-- the copy of 100 has been recorded, so that a rerun of 100 never meets the table without it.
-- An `ioc sinks run` of an older version still writing the column has its rows refused and
-- dead-lettered with the reason: upgrade the sinks with the warehouse.
ALTER TABLE camera_incidents DROP COLUMN IF EXISTS evidence_ref;
