-- What each stored fix costs PostgreSQL, measured with pg_stat_statements while the consumers drained
-- 100,000 fixes over 10,000 geofences (bench/ingest.ts's fleet):
--
-- * A geofence entry checks for a visit already recorded at that time (a replayed batch). Only the open
--   visit had an index, so the check read every visit of the table: 0.7 ms per entry and growing. Indexed
--   by (truck, geofence, entry time), it is one index probe.
create index geofence_presence_visit_idx on geofence_presence (truck_id, geofence_id, entered_at);

-- * Every batch moves each truck's current location. With last_location in a GiST index and last_fix_at
--   in the offline watch's index, each move wrote a new tuple into all five of the table's indexes. Without
--   those two (nearness is answered from the API's in-memory fleet view, or by scanning a fleet's trucks,
--   a few thousand rows; the offline watch scans them once a minute) a move touches no indexed column, and
--   with room left on each page PostgreSQL updates the row in place (a HOT update).
drop index trucks_last_location_idx;
drop index trucks_offline_watch_idx;
alter table trucks set (fillfactor = 50);
