import { describe, expect, it } from 'vitest';
import { type RosterSyncSummary, rosterSyncMessage } from '../../../src/bot/views/roster-sync.ts';
import { allText } from './fixtures.ts';

const summary = (o: Partial<RosterSyncSummary> = {}): RosterSyncSummary => ({
  added: [],
  updated: [],
  deactivated: [],
  unchanged: 0,
  invalid: [],
  ...o,
});

describe('roster sync summary', () => {
  it('counts each kind of change in the notification text', () => {
    const m = rosterSyncMessage(
      summary({
        added: ['KJA-1AA', 'KJA-2BB'],
        updated: [{ truckNumber: 'LND-3CC', fields: ['company', 'status'] }],
        deactivated: ['OLD-9'],
        unchanged: 40,
        invalid: [{ row: 7, truckNumber: null, reason: 'truck_number is empty' }],
      }),
    );
    expect(m.text).toBe('Roster sync: 2 added, 1 updated, 1 marked inactive, 40 unchanged, 1 invalid row');
  });

  it('lists the changed fields by name and the trucks gone from the sheet', () => {
    const text = allText(
      rosterSyncMessage(
        summary({
          updated: [{ truckNumber: 'LND-3CC', fields: ['fleetManager', 'trailerSize'] }],
          deactivated: ['OLD-9'],
        }),
      ).blocks,
    );
    expect(text).toContain('LND-3CC: fleet manager, trailer size');
    expect(text).toContain('Gone from the sheet, marked inactive');
    expect(text).toContain('OLD-9');
  });

  it('names every skipped row by its sheet row number and reason, escaped', () => {
    const text = allText(
      rosterSyncMessage(
        summary({
          invalid: [
            { row: 4, truckNumber: 'KJA-4', reason: 'status expected active, inactive, maintenance' },
            { row: 9, truckNumber: null, reason: 'company <!channel> too long' },
          ],
        }),
      ).blocks,
    );
    expect(text).toContain('Row 4 (KJA-4): status expected active, inactive, maintenance');
    expect(text).toContain('Row 9: company &lt;!channel&gt; too long');
    expect(text).not.toContain('<!channel>');
    expect(text).toContain('the other rows were applied');
  });

  it('cuts long lists short and says how many more there are', () => {
    const added = Array.from({ length: 40 }, (_, i) => `T-${i}`);
    const text = allText(rosterSyncMessage(summary({ added })).blocks);
    expect(text).toContain('T-14');
    expect(text).not.toContain('T-15\n');
    expect(text).toContain('…and 25 more');
  });

  it('leaves out the sections with nothing in them', () => {
    const m = rosterSyncMessage(summary({ unchanged: 3, added: ['KJA-1'] }));
    const text = allText(m.blocks);
    expect(text).toContain('Added');
    expect(text).not.toContain('Skipped rows');
    expect(text).not.toContain('Gone from the sheet');
  });
});
