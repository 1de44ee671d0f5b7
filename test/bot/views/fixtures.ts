import type { ActionsBlock, Button, ContextBlock, HeaderBlock, KnownBlock, SectionBlock } from '@slack/types';
import type { TripRow } from '../../../src/db/trips.ts';
import { type TripView, toTripView } from '../../../src/fleet/trips.ts';

// Small readers over Block Kit output, so tests assert on the fields that matter instead of snapshots.

/** 10:00 in Lagos on Monday 10 March 2025. */
export const NOW = new Date('2025-03-10T09:00:00Z');

export function trip(overrides: Partial<TripRow> = {}): TripView {
  return toTripView({
    id: '5b7e1a9c-0000-4000-8000-000000000042',
    tripNumber: 'TRP-000042',
    status: 'planned',
    truckId: 'truck-1',
    truckNumber: 'KJA-123XY',
    originGeofenceId: 'g-apapa',
    originName: 'Apapa Port',
    destinationGeofenceId: 'g-ikeja',
    destinationName: 'Ikeja Depot',
    client: 'Dangote Cement',
    cargo: '30 t cement',
    plannedStartAt: null,
    eta: null,
    dispatchedAt: null,
    arrivedPickupAt: null,
    departedPickupAt: null,
    arrivedDropoffAt: null,
    deliveredAt: null,
    completedAt: null,
    cancelledAt: null,
    cancelReason: null,
    slackChannel: null,
    slackTs: null,
    version: 3,
    createdBy: 'slack:U0ADA',
    updatedBy: 'slack:U0ADA',
    createdAt: new Date('2025-03-09T16:00:00Z'),
    updatedAt: new Date('2025-03-10T08:58:00Z'),
    ...overrides,
  });
}

export const ofType = <T extends KnownBlock['type']>(blocks: KnownBlock[], type: T) =>
  blocks.filter((b) => b.type === type) as Extract<KnownBlock, { type: T }>[];

export const headerText = (blocks: KnownBlock[]) => (ofType(blocks, 'header')[0] as HeaderBlock).text.text;

/** Every mrkdwn/plain text in sections (text and fields) and context lines, joined by newlines. */
export function allText(blocks: KnownBlock[]): string {
  const out: string[] = [];
  for (const b of blocks) {
    if (b.type === 'header') out.push(b.text.text);
    if (b.type === 'section') {
      const s = b as SectionBlock;
      if (s.text) out.push(s.text.text);
      for (const f of s.fields ?? []) out.push(f.text);
    }
    if (b.type === 'context') {
      for (const e of (b as ContextBlock).elements) if ('text' in e) out.push(e.text);
    }
  }
  return out.join('\n');
}

/** Section fields as `label → value`, from `*Label*\nvalue`. */
export function fields(blocks: KnownBlock[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of ofType(blocks, 'section')) {
    for (const f of s.fields ?? []) {
      const m = /^\*(.+?)\*\n([\s\S]*)$/.exec(f.text);
      if (m) out[m[1]!] = m[2]!;
    }
  }
  return out;
}

export const buttons = (blocks: KnownBlock[]): Button[] =>
  ofType(blocks, 'actions').flatMap((a: ActionsBlock) =>
    a.elements.filter((e): e is Button => e.type === 'button'),
  );
