import { describe, expect, it } from 'vitest';
import {
  type AlertItem,
  alertDigest,
  geofenceAlert,
  offlineAlert,
  overspeedAlert,
  tripDelayedAlert,
} from '../../../src/bot/views/alert.ts';
import { allText, NOW, ofType } from './fixtures.ts';

const at = new Date('2025-03-10T05:40:00Z'); // 06:40 Lagos

describe('alerts', () => {
  it('says which truck entered which geofence, when, and on which trip', () => {
    const alert = geofenceAlert({
      type: 'entered',
      truckNumber: 'KJA-123XY',
      geofenceName: 'Apapa Port',
      at,
      trip: { tripNumber: 'TRP-000042' },
    });
    expect(alert.text).toBe('KJA-123XY entered Apapa Port at 06:40 (TRP-000042)');
    expect(allText(alert.blocks)).toContain('*KJA-123XY* entered *Apapa Port*');
  });

  it('writes the time relative to now when one is given', () => {
    const alert = geofenceAlert(
      {
        type: 'exited',
        truckNumber: 'KJA-123XY',
        geofenceName: 'Apapa Port',
        at: new Date('2025-03-09T17:05:00Z'),
      },
      { now: NOW },
    );
    expect(alert.text).toBe('KJA-123XY exited Apapa Port at yesterday 18:05');
  });

  it('says how long an offline truck has been silent and where it was last seen', () => {
    const alert = offlineAlert({
      truckNumber: 'KJA-123XY',
      lastFixAt: at,
      at: new Date(at.getTime() + 47 * 60_000),
      place: { nearest: { name: 'Tin Can Island Port', distanceM: 2_400 } },
    });
    expect(alert.text).toBe(
      'KJA-123XY is offline: no position for 47 min, last seen 06:40 (2.4 km from Tin Can Island Port)',
    );
  });

  it('gives the speed and the limit of an overspeed', () => {
    const alert = overspeedAlert({ truckNumber: 'KJA-123XY', speedKmh: 92.4, limitKmh: 60, at });
    expect(alert.text).toBe('KJA-123XY at 92 km/h (limit 60 km/h) at 06:40');
  });

  it('says how late a trip is against its ETA', () => {
    const alert = tripDelayedAlert({
      tripNumber: 'TRP-000042',
      truckNumber: 'KJA-123XY',
      status: 'in_transit',
      destinationName: 'Ikeja Depot',
      eta: at,
      at: new Date(at.getTime() + 80 * 60_000),
    });
    expect(alert.text).toBe(
      'TRP-000042 (KJA-123XY) is 1 h 20 min past its ETA 06:40 to Ikeja Depot, still in transit',
    );
  });

  it('escapes names so a geofence called <!here> pings nobody', () => {
    const alert = geofenceAlert({ type: 'entered', truckNumber: 'KJA-123XY', geofenceName: '<!here>', at });
    expect(JSON.stringify(alert.blocks)).not.toContain('<!here>');
  });
});

describe('alertDigest', () => {
  const burst: AlertItem[] = [
    ...Array.from({ length: 17 }, (_, i) => ({
      kind: 'geofence' as const,
      type: 'entered' as const,
      truckNumber: `KJA-${100 + i}XY`,
      geofenceName: 'Apapa Port',
      at,
    })),
    { kind: 'offline', truckNumber: 'LND-555AA', lastFixAt: at, at: new Date(at.getTime() + 3_600_000) },
    { kind: 'overspeed', truckNumber: 'EPE-42KJ', speedKmh: 95, limitKmh: 60, at },
  ];

  it('shows the first lines and says how many more there are', () => {
    const digest = alertDigest(burst, { channel: 'C0OPSALERT', max: 7 });
    const [, lines] = ofType(digest.blocks, 'section');
    expect(lines!.text!.text.split('\n')).toHaveLength(7);
    expect(allText(digest.blocks)).toContain('and 12 more');
  });

  it('counts the burst by kind in the summary and the fallback text', () => {
    const digest = alertDigest(burst, { channel: 'ops-alerts' });
    expect(digest.text).toBe('19 alerts: 1 truck offline, 1 overspeed, 17 geofence crossings');
    expect(allText(digest.blocks)).toContain('*19 alerts* for #ops-alerts');
  });

  it('links a channel given by id', () => {
    expect(allText(alertDigest(burst, { channel: 'C0OPSALERT' }).blocks)).toContain('<#C0OPSALERT>');
  });

  it('leaves out "and N more" when every alert fits', () => {
    const digest = alertDigest(burst.slice(-2), { channel: 'ops-alerts' });
    expect(allText(digest.blocks)).not.toContain('more');
  });
});
