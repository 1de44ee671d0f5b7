-- Watch Tower's initial schema: the architecture document's four tables (trucks, vehicle_positions,
-- geofences, events) plus trips, geofence presence, alert routes and roles.

create extension if not exists postgis;

create table trucks (
  id                 uuid primary key default gen_random_uuid(),
  truck_number       text not null unique,
  imei               text unique,
  loconav_vehicle_id text,
  company            text,
  fleet_manager      text,
  brand              text,
  trailer_size       text,
  operating_location text,
  status             text not null default 'active'
                     check (status in ('active', 'inactive', 'maintenance', 'unassigned')),
  -- current location: latest fix wins, never moved backwards by a late fix
  last_location      geography(Point, 4326),
  last_fix_at        timestamptz,
  last_speed_kmh     real,
  last_heading_deg   real,
  last_ignition      boolean,
  created_at         timestamptz not null default now(),
  updated_at         timestamptz not null default now()
);
create index trucks_last_location_idx on trucks using gist (last_location);

-- Tens of millions of rows a day at 1,000 fixes/s: one partition per UTC day, dropped past retention.
create table vehicle_positions (
  truck_id     uuid not null,
  fix_time     timestamptz not null,
  location     geography(Point, 4326) not null,
  speed_kmh    real,
  heading_deg  real,
  ignition     boolean,
  received_at  timestamptz not null default now(),
  primary key (truck_id, fix_time)
) partition by range (fix_time);

-- Catches fixes outside every day partition (a clock far off, a partition not yet made) so none is lost.
create table vehicle_positions_default partition of vehicle_positions default;

create or replace function ensure_position_partitions(from_day date, days integer)
returns integer language plpgsql as $$
declare
  d date;
  made integer := 0;
  part text;
begin
  for i in 0 .. days - 1 loop
    d := from_day + i;
    part := 'vehicle_positions_' || to_char(d, 'YYYYMMDD');
    if to_regclass(part) is null then
      execute format(
        'create table %I partition of vehicle_positions for values from (%L) to (%L)',
        part, (d::timestamp at time zone 'UTC'), ((d + 1)::timestamp at time zone 'UTC'));
      made := made + 1;
    end if;
  end loop;
  return made;
end $$;

select ensure_position_partitions((now() at time zone 'UTC')::date - 2, 10);

create table geofences (
  id             uuid primary key default gen_random_uuid(),
  name           text not null,
  type           text not null check (type in ('terminal', 'client', 'checkpoint', 'corridor', 'depot')),
  shape          text not null check (shape in ('polygon', 'circle', 'corridor')),
  -- polygon: the polygon; circle: its centre point; corridor: the route line
  geom           geometry(Geometry, 4326) not null,
  radius_m       double precision check (radius_m > 0),
  width_m        double precision check (width_m > 0),
  min_dwell_s    integer check (min_dwell_s >= 0),
  exit_margin_m  double precision check (exit_margin_m >= 0),
  active         boolean not null default true,
  version        integer not null default 1,
  created_at     timestamptz not null default now(),
  updated_at     timestamptz not null default now(),
  check (shape <> 'circle' or radius_m is not null),
  check (shape <> 'corridor' or width_m is not null)
);
create index geofences_geom_idx on geofences using gist (geom);
-- Deleting a geofence deactivates it (trips and presence history keep pointing at it); names stay unique
-- among the live ones.
create unique index geofences_active_name_idx on geofences (lower(name)) where active;

create table geofence_presence (
  id           bigint generated always as identity primary key,
  truck_id     uuid not null references trucks (id),
  geofence_id  uuid not null references geofences (id) on delete cascade,
  entered_at   timestamptz not null,
  exited_at    timestamptz,
  check (exited_at is null or exited_at >= entered_at)
);
create unique index geofence_presence_open_idx on geofence_presence (truck_id, geofence_id) where exited_at is null;
create index geofence_presence_geofence_idx on geofence_presence (geofence_id) where exited_at is null;

-- Transactional outbox: every state change writes its event in the same transaction; a relay publishes
-- rows with published_at null to the event stream.
create table events (
  id              bigint generated always as identity primary key,
  event_id        uuid not null unique default gen_random_uuid(),
  type            text not null,
  entity_type     text not null,
  entity_id       text not null,
  payload         jsonb not null default '{}',
  correlation_id  text,
  actor           text,
  occurred_at     timestamptz not null default now(),
  published_at    timestamptz
);
create index events_unpublished_idx on events (id) where published_at is null;
create index events_entity_idx on events (entity_type, entity_id, id);
create index events_type_time_idx on events (type, occurred_at);

create sequence trip_number_seq;

create table trips (
  id                       uuid primary key default gen_random_uuid(),
  trip_number              text not null unique
                           default ('TRP-' || lpad(nextval('trip_number_seq')::text, 6, '0')),
  truck_id                 uuid references trucks (id),
  origin_geofence_id       uuid not null references geofences (id),
  destination_geofence_id  uuid not null references geofences (id),
  client                   text,
  cargo                    text,
  status                   text not null default 'planned'
                           check (status in ('planned', 'dispatched', 'at_pickup', 'in_transit', 'at_dropoff',
                                             'delivered', 'completed', 'cancelled')),
  planned_start_at         timestamptz,
  eta                      timestamptz,
  dispatched_at            timestamptz,
  arrived_pickup_at        timestamptz,
  departed_pickup_at       timestamptz,
  arrived_dropoff_at       timestamptz,
  delivered_at             timestamptz,
  completed_at             timestamptz,
  cancelled_at             timestamptz,
  cancel_reason            text,
  slack_channel            text,
  slack_ts                 text,
  version                  integer not null default 1,
  created_by               text not null,
  updated_by               text not null,
  created_at               timestamptz not null default now(),
  updated_at               timestamptz not null default now()
);
-- One active trip per truck.
create unique index trips_one_active_per_truck_idx on trips (truck_id)
  where status not in ('completed', 'cancelled') and truck_id is not null;
create index trips_status_idx on trips (status);
create index trips_created_idx on trips (created_at);

-- Which Slack channel hears which alert: by alert type, geofence type, or one geofence.
create table alert_routes (
  id          bigint generated always as identity primary key,
  match_kind  text not null check (match_kind in ('alert_type', 'geofence_type', 'geofence')),
  match_value text not null,
  channel     text not null,
  created_at  timestamptz not null default now(),
  unique (match_kind, match_value, channel)
);

-- A Slack user (slack:U123) or API client (api:name) and what it may do.
create table roles (
  principal   text primary key,
  role        text not null check (role in ('viewer', 'dispatcher', 'admin')),
  updated_by  text not null,
  updated_at  timestamptz not null default now()
);
