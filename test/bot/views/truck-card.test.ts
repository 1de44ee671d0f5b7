import { describe, expect, it } from 'vitest';
import { truckCard } from '../../../src/bot/views/truck-card.ts';
import { allText, fields, headerText, NOW } from './fixtures.ts';

const minutesAgo = (min: number) => new Date(NOW.getTime() - min * 60_000);
const location = (over: Partial<Parameters<typeof truckCard>[0]['location']> = {}) => ({
  lat: 6.4474,
  lng: 3.3641,
  lastFixAt: minutesAgo(4),
  speedKmh: 42,
  ignition: true,
  ...over,
});

describe('truckCard', () => {
  it('says Inside Apapa Port when the truck is inside a geofence', () => {
    const card = truckCard(
      { truck: { truckNumber: 'KJA-123XY' }, location: location(), place: { inside: 'Apapa Port' } },
      { now: NOW },
    );
    expect(fields(card.blocks).Where).toBe('Inside Apapa Port');
    expect(card.text).toContain('KJA-123XY: Inside Apapa Port');
  });

  it('gives the distance to the nearest place in km with one decimal', () => {
    const card = truckCard(
      {
        truck: { truckNumber: 'KJA-123XY' },
        location: location(),
        place: { nearest: { name: 'Tin Can Island Port', distanceM: 2_437 } },
      },
      { now: NOW },
    );
    expect(fields(card.blocks).Where).toBe('2.4 km from Tin Can Island Port');
  });

  it('shows speed, ignition and the age of the last fix', () => {
    const card = truckCard({ truck: { truckNumber: 'KJA-123XY' }, location: location() }, { now: NOW });
    const f = fields(card.blocks);
    expect(f.Speed).toBe('42 km/h');
    expect(f.Ignition).toBe('on');
    expect(allText(card.blocks)).toContain('last fix 4 min ago (09:56)');
    expect(headerText(card.blocks)).toContain('KJA-123XY');
  });

  it('names the current trip by its number and status', () => {
    const card = truckCard(
      {
        truck: { truckNumber: 'KJA-123XY' },
        location: location(),
        activeTrip: {
          tripNumber: 'TRP-000042',
          status: 'in_transit',
          originName: 'Apapa Port',
          destinationName: 'Ikeja Depot',
        },
      },
      { now: NOW },
    );
    expect(fields(card.blocks).Trip).toBe('TRP-000042 (in transit, Apapa Port → Ikeja Depot)');
    expect(card.text).toContain('on TRP-000042');
  });

  it('hints that the truck may be offline when the last fix is older than 30 min', () => {
    const stale = truckCard(
      { truck: { truckNumber: 'KJA-123XY' }, location: location({ lastFixAt: minutesAgo(47) }) },
      { now: NOW },
    );
    expect(allText(stale.blocks)).toMatch(/Possibly offline/);
    expect(stale.text).toContain('possibly offline');
    const fresh = truckCard(
      { truck: { truckNumber: 'KJA-123XY' }, location: location({ lastFixAt: minutesAgo(29) }) },
      { now: NOW },
    );
    expect(allText(fresh.blocks)).not.toMatch(/offline/i);
  });

  it('says so when a truck has never sent a fix, instead of showing a place', () => {
    const card = truckCard(
      {
        truck: { truckNumber: 'KJA-123XY' },
        location: { lat: null, lng: null, lastFixAt: null, speedKmh: null, ignition: null },
      },
      { now: NOW },
    );
    const f = fields(card.blocks);
    expect(f.Where).toBe('No GPS fix yet');
    expect(f.Speed).toBe('unknown');
    expect(f.Map).toBeUndefined();
    expect(card.text).toContain('no fix received yet');
  });
});
