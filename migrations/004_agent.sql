-- The agent's memory and its pending questions to a human.
--
-- agent_checkpoints / agent_checkpoint_writes: LangGraph checkpoints, one chain per conversation thread
-- (`team:channel:thread_ts` for Slack, `api:<client>:<id>` for REST), so a thread survives a restart.
-- Values are LangGraph's own serialisation (a type tag and bytes); only the agent reads them.
create table agent_checkpoints (
  thread_id            text not null,
  checkpoint_ns        text not null default '',
  checkpoint_id        text not null,
  parent_checkpoint_id text,
  checkpoint_type      text not null,
  checkpoint           bytea not null,
  metadata_type        text not null,
  metadata             bytea not null,
  created_at           timestamptz not null default now(),
  primary key (thread_id, checkpoint_ns, checkpoint_id)
);

create table agent_checkpoint_writes (
  thread_id     text not null,
  checkpoint_ns text not null default '',
  checkpoint_id text not null,
  task_id       text not null,
  idx           integer not null,
  channel       text not null,
  value_type    text not null,
  value         bytea not null,
  task_path     text not null default '',
  primary key (thread_id, checkpoint_ns, checkpoint_id, task_id, idx)
);

-- A write the agent proposed (create, update or cancel a trip), waiting for a Confirm or Cancel click.
-- One row per tool call; `status` moves once from pending, so a double click runs the write once.
create table agent_confirmations (
  id           uuid primary key default gen_random_uuid(),
  thread_id    text not null,
  tool_call_id text not null,
  tool         text not null,
  args         jsonb not null,
  summary      text not null,
  asked_by     text not null,
  status       text not null default 'pending'
               check (status in ('pending', 'confirmed', 'cancelled', 'expired', 'superseded')),
  decided_by   text,
  decided_at   timestamptz,
  expires_at   timestamptz not null,
  slack_channel text,
  slack_ts     text,
  created_at   timestamptz not null default now(),
  unique (thread_id, tool_call_id)
);
create index agent_confirmations_pending_idx on agent_confirmations (thread_id) where status = 'pending';
