-- Trips: numbers that keep growing past TRP-999999, and indexes for the list filters.

-- lpad() truncates: lpad('1000000', 6, '0') is '100000', so trip 1,000,000 would collide with trip 100,000.
-- Numbers past six digits are written in full (TRP-1000000); src/db/trips.ts formats them the same way.
create or replace function next_trip_number() returns text
language sql volatile as $$
  select 'TRP-' || case when n < 1000000 then lpad(n::text, 6, '0') else n::text end
  from nextval('trip_number_seq') as n
$$;
alter table trips alter column trip_number set default next_trip_number();

-- "Trips of KJA-123XY", newest first; the partial unique index only covers active trips.
create index trips_truck_created_idx on trips (truck_id, created_at) where truck_id is not null;
-- The day filter matches trips created or planned to start that day.
create index trips_planned_start_idx on trips (planned_start_at) where planned_start_at is not null;
