-- Degraded intake: while Redis cannot take a webhook request, its shard entries wait here, and a drainer
-- appends them to their streams in id order once Redis answers again. A row is deleted in the same
-- transaction that saw its append succeed, so a crash in between redelivers (the consumers are idempotent)
-- and never loses. Empty whenever Redis is up: the fast path does not touch this table.
create table ingest_spool (
  id          bigint generated always as identity primary key,
  stream      text not null,
  -- the stream entry's fields exactly as the webhook would have appended them
  fields      jsonb not null,
  request_id  text not null,
  spooled_at  timestamptz not null default now()
);

-- The webhook's replay guard (each signature once) lives in Redis; while Redis is down the signatures seen
-- are kept here, and handed back to Redis by the drainer before they are deleted.
create table webhook_replay_guard (
  key         text primary key,
  expires_at  timestamptz not null
);
