import { describe, expect, it } from 'vitest';
import { parseTripStatusValue, TRIP_STATUS_ACTION, tripCard } from '../../../src/bot/views/trip-card.ts';
import { allText, buttons, fields, headerText, NOW, ofType, trip } from './fixtures.ts';

const inTransit = () =>
  trip({
    status: 'in_transit',
    dispatchedAt: new Date('2025-03-09T17:05:00Z'), // 18:05 Lagos, yesterday
    arrivedPickupAt: new Date('2025-03-10T05:40:00Z'), // 06:40 Lagos
    departedPickupAt: new Date('2025-03-10T07:15:00Z'),
    plannedStartAt: new Date('2025-03-09T16:30:00Z'),
    eta: new Date('2025-03-10T12:00:00Z'),
  });

describe('tripCard', () => {
  it('gives a trip in transit exactly the buttons Mark at dropoff and Cancel trip', () => {
    const card = tripCard(inTransit(), { now: NOW });
    expect(buttons(card.blocks).map((b) => b.text.text)).toEqual(['Mark at dropoff', 'Cancel trip']);
  });

  it('makes the forward step primary and carries trip id, target status and version in its value', () => {
    const [forward] = buttons(tripCard(inTransit(), { now: NOW }).blocks);
    expect(forward!.style).toBe('primary');
    expect(forward!.action_id).toMatch(TRIP_STATUS_ACTION);
    expect(JSON.parse(forward!.value!)).toEqual({
      tripId: '5b7e1a9c-0000-4000-8000-000000000042',
      to: 'at_dropoff',
      version: 3,
    });
    expect(parseTripStatusValue(forward!.value)).toEqual(JSON.parse(forward!.value!));
  });

  it('makes cancel a danger button with a confirm dialog that names the trip', () => {
    const cancel = buttons(tripCard(inTransit(), { now: NOW }).blocks).find(
      (b) => b.text.text === 'Cancel trip',
    );
    expect(cancel?.style).toBe('danger');
    expect(cancel?.confirm?.title?.text).toContain('TRP-000042');
    expect(cancel?.confirm?.text.text).toContain('TRP-000042');
    expect(cancel?.confirm?.confirm?.text).toBe('Cancel trip');
    expect(cancel?.confirm?.deny?.text).toBe('Keep it');
  });

  it('gives every button an accessibility label and an action id unique within its block', () => {
    const all = buttons(tripCard(trip({ status: 'planned' }), { now: NOW }).blocks);
    expect(all.length).toBe(2);
    for (const b of all) expect(b.accessibility_label).toMatch(/TRP-000042/);
    expect(new Set(all.map((b) => b.action_id)).size).toBe(all.length);
  });

  it('offers no Dispatch button for a planned trip without a truck', () => {
    const card = tripCard(trip({ status: 'planned', truckId: null, truckNumber: null }), { now: NOW });
    expect(buttons(card.blocks).map((b) => b.text.text)).toEqual(['Cancel trip']);
    expect(fields(card.blocks).Truck).toBe('_not assigned yet_');
  });

  it.each(['completed', 'cancelled'] as const)('has no actions block for a %s trip', (status) => {
    const card = tripCard(trip({ status }), { now: NOW });
    expect(ofType(card.blocks, 'actions')).toHaveLength(0);
  });

  it('writes times as people in Lagos do: today as 06:40, yesterday as yesterday 18:05', () => {
    const f = fields(tripCard(inTransit(), { now: NOW }).blocks);
    expect(f.Dispatched).toBe('yesterday 18:05');
    expect(f['At pickup']).toBe('06:40');
    expect(f['Planned start']).toBe('yesterday 17:30');
    expect(f.ETA).toBe('13:00');
  });

  it('marks the ETA overdue once it has passed and the truck is not at the dropoff yet', () => {
    const late = trip({ status: 'in_transit', eta: new Date('2025-03-10T08:00:00Z') });
    expect(fields(tripCard(late, { now: NOW }).blocks).ETA).toBe('09:00 · *overdue*');
    const arrived = trip({ status: 'at_dropoff', eta: new Date('2025-03-10T08:00:00Z') });
    expect(fields(tripCard(arrived, { now: NOW }).blocks).ETA).toBe('09:00');
  });

  it('shows the facts: truck, route, client and cargo', () => {
    const f = fields(tripCard(inTransit(), { now: NOW }).blocks);
    expect(f.Truck).toBe('KJA-123XY');
    expect(f.Route).toBe('Apapa Port → Ikeja Depot');
    expect(f.Client).toBe('Dangote Cement');
    expect(f.Cargo).toBe('30 t cement');
  });

  it('names the trip and its status in the header and in the fallback text', () => {
    const card = tripCard(inTransit(), { now: NOW });
    expect(headerText(card.blocks)).toContain('TRP-000042 · In transit');
    expect(card.text).toBe('TRP-000042 is in transit: KJA-123XY, Apapa Port → Ikeja Depot');
  });

  it('says who changed it last: a Slack user as a mention, the system as Watch Tower', () => {
    const byAda = tripCard(inTransit(), { now: NOW });
    expect(allText(byAda.blocks)).toContain('updated 2 min ago by <@U0ADA>');
    const bySystem = tripCard(inTransit(), {
      now: NOW,
      lastChange: { by: 'system:geofence-watcher', at: new Date('2025-03-10T08:30:00Z') },
    });
    expect(allText(bySystem.blocks)).toContain('updated 30 min ago by Watch Tower');
  });

  it("escapes what people typed, so a cargo of <!channel> can't ping anyone", () => {
    const card = tripCard(trip({ cargo: '<!channel> & co' }), { now: NOW });
    expect(fields(card.blocks).Cargo).toBe('&lt;!channel&gt; &amp; co');
    expect(JSON.stringify(card)).not.toContain('<!channel>');
  });

  it('shows why a cancelled trip was cancelled', () => {
    const card = tripCard(
      trip({
        status: 'cancelled',
        cancelledAt: new Date('2025-03-10T08:00:00Z'),
        cancelReason: 'client withdrew',
      }),
      { now: NOW },
    );
    expect(allText(card.blocks)).toContain('client withdrew');
    expect(fields(card.blocks).Cancelled).toBe('09:00');
  });

  it('refuses button values that are not its own', () => {
    expect(parseTripStatusValue('not json')).toBeUndefined();
    expect(parseTripStatusValue(JSON.stringify({ tripId: 'x', to: 'flying', version: 1 }))).toBeUndefined();
    expect(parseTripStatusValue(undefined)).toBeUndefined();
  });
});
