-- Scheduled jobs: what the watches remember between runs, so each alert is written once per episode, and
-- what the roster sync remembers, so a truck gone from the sheet can be told from one never on it.

-- The last fix time of a truck when the offline watch declared it offline; null while it reports. A fresh
-- fix newer than this brings the truck back online (one `truck.online`) and clears it.
alter table trucks add column offline_since timestamptz;
-- When the roster sync last saw the truck on the sheet; null for trucks added by hand or by ingest, which a
-- sync never marks inactive.
alter table trucks add column roster_seen_at timestamptz;

-- The ETA the delay watch raised `trip.delayed` for; a new, later ETA that passes too raises a new one.
alter table trips add column delay_alerted_eta timestamptz;

create index trucks_offline_watch_idx on trucks (last_fix_at) where status not in ('inactive', 'maintenance');
create index trips_eta_active_idx on trips (eta)
  where eta is not null and status not in ('completed', 'cancelled', 'delivered', 'at_dropoff');
