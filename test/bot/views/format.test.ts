import { describe, expect, it } from 'vitest';
import {
  actorName,
  esc,
  formatDistanceM,
  formatDuration,
  formatKm,
  formatPercent,
  formatSpeed,
  placeText,
  statusEmoji,
} from '../../../src/bot/views/format.ts';
import { TRIP_STATUSES } from '../../../src/domain/trip-state.ts';

describe('format', () => {
  it('writes distances in km with one decimal', () => {
    expect(formatDistanceM(2_437)).toBe('2.4 km');
    expect(formatDistanceM(40)).toBe('0.0 km');
    expect(formatKm(1204)).toBe('1,204.0 km');
  });

  it('writes durations as h and min, and n/a for an unknown one', () => {
    expect(formatDuration(12_000)).toBe('3 h 20 min');
    expect(formatDuration(2_700)).toBe('45 min');
    expect(formatDuration(7_200)).toBe('2 h');
    expect(formatDuration(20)).toBe('under 1 min');
    expect(formatDuration(null)).toBe('n/a');
  });

  it('writes shares as whole percentages', () => {
    expect(formatPercent(0.8349)).toBe('83%');
    expect(formatPercent(1)).toBe('100%');
    expect(formatPercent(null)).toBe('n/a');
  });

  it('writes speeds in whole km/h', () => {
    expect(formatSpeed(42.6)).toBe('43 km/h');
    expect(formatSpeed(null)).toBe('unknown');
  });

  it('names a Slack user by mention, the system as Watch Tower, an API client by its name', () => {
    expect(actorName('slack:U0ADA')).toBe('<@U0ADA>');
    expect(actorName('system:geofence-watcher')).toBe('Watch Tower');
    expect(actorName('api:dashboard')).toBe('dashboard (API)');
    expect(actorName('slack:<!channel>')).toBe('slack:&lt;!channel&gt;');
  });

  it('escapes the characters Slack treats as markup', () => {
    expect(esc('<!here> & <@U1>')).toBe('&lt;!here&gt; &amp; &lt;@U1&gt;');
  });

  it('names a place inside, near, or by coordinates', () => {
    expect(placeText({ inside: 'Apapa Port' })).toBe('Inside Apapa Port');
    expect(placeText({ nearest: { name: 'Tin Can Island Port', distanceM: 2_400 } })).toBe(
      '2.4 km from Tin Can Island Port',
    );
    expect(placeText(undefined, { lat: 6.45, lng: 3.38 })).toBe('At 6.45000, 3.38000');
  });

  it('has an emoji for every trip status', () => {
    for (const s of TRIP_STATUSES) expect(statusEmoji(s)).toMatch(/^:[a-z_]+:$/);
  });
});
