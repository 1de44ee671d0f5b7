import type { Sql } from '../db/client.ts';

// Where a trip's Slack card is, so every later change updates that one message in place.
// TODO(lead): no fleet or db function writes trips.slack_channel/slack_ts yet; this belongs in
// src/db/trips.ts (and, if it should be an event, src/fleet/trips.ts). It does not bump the trip's version:
// where the card lives is not a change to the trip anyone could conflict with.

export async function setTripSlackCard(sql: Sql, tripId: string, channel: string, ts: string): Promise<void> {
  await sql`update trips set slack_channel = ${channel}, slack_ts = ${ts} where id = ${tripId}`;
}
