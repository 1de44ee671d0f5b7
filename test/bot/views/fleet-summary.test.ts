import { describe, expect, it } from 'vitest';
import { fleetSummary } from '../../../src/bot/views/fleet-summary.ts';
import { allText, fields, headerText, NOW } from './fixtures.ts';

const input = {
  byStatus: { in_transit: 8, at_pickup: 3, completed: 40, cancelled: 2 },
  atTerminals: [
    { name: 'Tin Can Island Port', count: 5 },
    { name: 'Apapa Port', count: 12 },
    { name: 'Ikeja Depot', count: 0 },
  ],
  moving: 18,
  offline: 3,
  total: 42,
};

describe('fleetSummary', () => {
  it('counts trucks, moving, offline and open trips only', () => {
    const f = fields(fleetSummary(input, { now: NOW }).blocks);
    expect(f.Trucks).toBe('42');
    expect(f.Moving).toBe('18');
    expect(f.Offline).toContain('3');
    expect(f['Open trips']).toBe('11');
  });

  it('lists trips by status in lifecycle order, leaving finished trips out', () => {
    const text = allText(fleetSummary(input, { now: NOW }).blocks);
    expect(text.indexOf('at pickup: 3')).toBeLessThan(text.indexOf('in transit: 8'));
    expect(text).not.toContain('completed');
  });

  it('lists terminals busiest first and skips empty ones', () => {
    const text = allText(fleetSummary(input, { now: NOW }).blocks);
    expect(text).toContain('*At terminals*\nApapa Port: 12\nTin Can Island Port: 5');
    expect(text).not.toContain('Ikeja Depot');
  });

  it('says when it was taken, in Lagos time, in header and fallback text', () => {
    const summary = fleetSummary(input, { now: NOW });
    expect(headerText(summary.blocks)).toBe('Fleet at 10:00');
    expect(summary.text).toBe(
      'Fleet at 10:00: 42 trucks, 18 moving, 3 offline; 11 open trips; 12 at Apapa Port, 5 at Tin Can Island Port',
    );
  });
});
