import { describe, expect, it } from 'vitest';
import { SeenEvents } from '../../src/bot/event-dedupe.ts';

describe('SeenEvents', () => {
  it('says an id is new once, and a redelivery is not', () => {
    const seen = new SeenEvents();
    expect(seen.firstTime('Ev1')).toBe(true);
    expect(seen.firstTime('Ev1')).toBe(false);
    expect(seen.firstTime('Ev2')).toBe(true);
  });

  it('forgets the oldest id past its capacity, keeping memory bounded', () => {
    const seen = new SeenEvents(2);
    seen.firstTime('Ev1');
    seen.firstTime('Ev2');
    seen.firstTime('Ev3');
    expect(seen.firstTime('Ev3')).toBe(false);
    expect(seen.firstTime('Ev2')).toBe(false);
    expect(seen.firstTime('Ev1')).toBe(true);
  });
});
