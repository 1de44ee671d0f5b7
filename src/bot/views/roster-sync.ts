import type { KnownBlock } from '@slack/types';
import { context, esc, field, header, type Message, mrkdwn, plural, truncate } from './format.ts';

// The roster sync's summary for the reports channel: what the sheet changed, and which rows it skipped and
// why (by sheet row number, so whoever keeps the sheet can go straight to them).

export interface RosterSyncSummary {
  added: string[];
  updated: { truckNumber: string; fields: string[] }[];
  deactivated: string[];
  unchanged: number;
  invalid: { row: number; truckNumber: string | null; reason: string }[];
}

/** Items listed per kind before "and N more". */
const MAX_LISTED = 15;
/** Slack refuses section text past 3,000 characters. */
const MAX_SECTION = 2900;

const FIELD_NAMES: Readonly<Record<string, string>> = {
  truckNumber: 'number',
  imei: 'IMEI',
  loconavVehicleId: 'LocoNav id',
  company: 'company',
  fleetManager: 'fleet manager',
  status: 'status',
  brand: 'brand',
  trailerSize: 'trailer size',
  operatingLocation: 'location',
};

function listSection(title: string, lines: string[]): KnownBlock {
  const shown = lines.slice(0, MAX_LISTED);
  const more = lines.length - shown.length;
  const body = shown.map((l) => `• ${l}`).join('\n') + (more > 0 ? `\n…and ${more} more` : '');
  return { type: 'section', text: mrkdwn(truncate(`*${title}*\n${body}`, MAX_SECTION)) };
}

export function rosterSyncText(s: RosterSyncSummary): string {
  const parts = [
    `${s.added.length} added`,
    `${s.updated.length} updated`,
    `${s.deactivated.length} marked inactive`,
    `${s.unchanged} unchanged`,
  ];
  if (s.invalid.length) parts.push(plural(s.invalid.length, 'invalid row'));
  return `Roster sync: ${parts.join(', ')}`;
}

export function rosterSyncMessage(s: RosterSyncSummary): Message {
  const blocks: KnownBlock[] = [
    header('Roster sync'),
    {
      type: 'section',
      fields: [
        field('Added', String(s.added.length)),
        field('Updated', String(s.updated.length)),
        field('Marked inactive', String(s.deactivated.length)),
        field('Invalid rows', String(s.invalid.length)),
      ],
    },
  ];
  if (s.added.length) blocks.push(listSection('Added', s.added.map(esc)));
  if (s.updated.length) {
    blocks.push(
      listSection(
        'Updated',
        s.updated.map((u) => `${esc(u.truckNumber)}: ${u.fields.map((f) => FIELD_NAMES[f] ?? f).join(', ')}`),
      ),
    );
  }
  if (s.deactivated.length) {
    blocks.push(listSection('Gone from the sheet, marked inactive', s.deactivated.map(esc)));
  }
  if (s.invalid.length) {
    blocks.push(
      listSection(
        'Skipped rows',
        s.invalid.map(
          (r) => `Row ${r.row}${r.truckNumber ? ` (${esc(r.truckNumber)})` : ''}: ${esc(r.reason)}`,
        ),
      ),
    );
    blocks.push(
      context('Skipped rows change nothing until they are fixed on the sheet; the other rows were applied.'),
    );
  }
  return { text: rosterSyncText(s), blocks };
}
