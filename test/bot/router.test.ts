import { describe, expect, it } from 'vitest';
import { parseIntent } from '../../src/bot/router.ts';

describe('parseIntent', () => {
  it.each([
    ['<@U0WATCHBOT> where is KJA-123XY?', { kind: 'truck', truck: 'KJA-123XY' }],
    ["where's kja-123xy", { kind: 'truck', truck: 'kja-123xy' }],
    ['KJA123XY?', { kind: 'truck', truck: 'KJA123XY' }],
    ['where is truck BUS42', { kind: 'truck', truck: 'BUS42' }],
    ['trip TRP-000042', { kind: 'trip', trip: 'TRP-000042' }],
    ['how is trp-42 doing', { kind: 'trip', trip: 'TRP-000042' }],
    ['trip 42', { kind: 'trip', trip: 'TRP-000042' }],
    ['fleet', { kind: 'fleet' }],
    ['how is the fleet at 10am', { kind: 'fleet' }],
    ['<@U0WATCHBOT>', { kind: 'help', understood: true }],
    ['help', { kind: 'help', understood: true }],
    ['sing me a song', { kind: 'help', understood: false }],
  ])('reads %j', (text, intent) => {
    expect(parseIntent(text)).toEqual(intent);
  });

  it('prefers the trip over the truck when both are named', () => {
    expect(parseIntent('is KJA-123XY still on TRP-000042?')).toEqual({ kind: 'trip', trip: 'TRP-000042' });
  });
});
