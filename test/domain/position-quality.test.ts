import { describe, expect, it } from 'vitest';
import { METRES_PER_DEGREE } from '../../src/domain/geo.ts';
import {
  type AcceptedFix,
  assessFix,
  DEFAULT_QUALITY_OPTIONS,
  type IncomingFix,
  REJECT_REASONS,
} from '../../src/domain/position-quality.ts';
import { loadBusTrace } from '../support/trace.ts';

const NOW = new Date('2026-03-02T09:00:00Z');
const at = (iso: string) => new Date(iso);
const fix = (over: Partial<IncomingFix> = {}): IncomingFix => ({
  truckKey: 'KJA-123XY',
  lat: 6.4474,
  lng: 3.3671,
  fixTime: at('2026-03-02T08:59:00Z'),
  ...over,
});
const last: AcceptedFix = { lat: 6.4474, lng: 3.3671, fixTime: at('2026-03-02T08:58:00Z') };
const metresNorth = (m: number) => 6.4474 + m / METRES_PER_DEGREE;

describe('assessFix', () => {
  it('accepts the first fix of a truck', () => {
    expect(assessFix(fix(), undefined, NOW)).toEqual({ verdict: 'accept' });
  });

  it('accepts a fix a plausible distance on from the last one', () => {
    // 1 km in 60 s is 60 km/h.
    expect(assessFix(fix({ lat: metresNorth(1000) }), last, NOW)).toEqual({ verdict: 'accept' });
  });

  it.each([
    ['a NaN latitude', { lat: Number.NaN }],
    ['a latitude past the pole', { lat: 90.5 }],
    ['an infinite longitude', { lng: Number.POSITIVE_INFINITY }],
    ['a longitude past the antimeridian', { lng: -180.01 }],
    ['an invalid date', { fixTime: new Date('not a date') }],
  ])('rejects %s as invalid', (_label, over) => {
    const v = assessFix(fix(over), last, NOW);
    expect(v).toMatchObject({ verdict: 'reject', reason: 'invalid' });
  });

  it('rejects (0, 0) and anything within a micro-degree of it as null_island', () => {
    expect(assessFix(fix({ lat: 0, lng: 0 }), last, NOW)).toMatchObject({ reason: 'null_island' });
    expect(assessFix(fix({ lat: 5e-7, lng: -5e-7 }), undefined, NOW)).toMatchObject({
      reason: 'null_island',
    });
    // On the equator, or on the prime meridian, is a real place.
    expect(assessFix(fix({ lat: 0, lng: 3.3671 }), undefined, NOW)).toEqual({ verdict: 'accept' });
  });

  it('rejects a fix more than five minutes ahead of now as future, and tolerates a little clock skew', () => {
    const skewed = assessFix(fix({ fixTime: at('2026-03-02T09:04:59Z') }), undefined, NOW);
    expect(skewed).toEqual({ verdict: 'accept' });
    const ahead = assessFix(fix({ fixTime: at('2026-03-02T09:05:01Z') }), undefined, NOW);
    expect(ahead).toMatchObject({ verdict: 'reject', reason: 'future' });
    expect(ahead.verdict === 'reject' && ahead.detail).toContain('301 s ahead');
  });

  it('honours a custom maxFutureMs', () => {
    const v = assessFix(fix({ fixTime: at('2026-03-02T09:00:30Z') }), undefined, NOW, {
      maxFutureMs: 10_000,
    });
    expect(v).toMatchObject({ reason: 'future' });
  });

  it('rejects a repeat of the last fix as duplicate', () => {
    const v = assessFix(fix({ fixTime: last.fixTime }), last, NOW);
    expect(v).toMatchObject({ verdict: 'reject', reason: 'duplicate' });
  });

  it('rejects a fix at the same time but another position as duplicate, since storage is keyed by time', () => {
    const v = assessFix(fix({ fixTime: last.fixTime, lat: metresNorth(5) }), last, NOW);
    expect(v).toMatchObject({ verdict: 'reject', reason: 'duplicate' });
    expect(v.verdict === 'reject' && v.detail).toContain('different position');
  });

  it('marks a fix older than the last one out_of_order, even one far away', () => {
    const older = fix({ fixTime: at('2026-03-02T08:50:00Z'), lat: metresNorth(50_000) });
    expect(assessFix(older, last, NOW)).toEqual({ verdict: 'out_of_order' });
  });

  it('rejects a jump faster than 200 km/h as impossible_jump', () => {
    // 4 km in 60 s is 240 km/h.
    const v = assessFix(fix({ lat: metresNorth(4000) }), last, NOW);
    expect(v).toMatchObject({ verdict: 'reject', reason: 'impossible_jump' });
    expect(v.verdict === 'reject' && v.detail).toMatch(/implied 240 km\/h \(4000 m in 60 s\)/);
  });

  it('treats fixes under a second apart as a second apart, so jitter is not an impossible jump', () => {
    const quick = { ...last, fixTime: at('2026-03-02T08:58:59.900Z') };
    // 10 m in 100 ms would be 360 km/h; over the 1 s floor it is 36 km/h.
    expect(assessFix(fix({ lat: metresNorth(10) }), quick, NOW)).toEqual({ verdict: 'accept' });
    // 60 m over the floor is 216 km/h: still impossible.
    expect(assessFix(fix({ lat: metresNorth(60) }), quick, NOW)).toMatchObject({ reason: 'impossible_jump' });
  });

  it('uses a custom maxSpeedKmh', () => {
    expect(assessFix(fix({ lat: metresNorth(1000) }), last, NOW, { maxSpeedKmh: 50 })).toMatchObject({
      reason: 'impossible_jump',
    });
  });

  it('exports every reason it can give, so metrics can pre-register them', () => {
    expect([...REJECT_REASONS].sort()).toEqual(
      ['duplicate', 'future', 'impossible_jump', 'invalid', 'null_island'].sort(),
    );
    expect(DEFAULT_QUALITY_OPTIONS).toEqual({ maxSpeedKmh: 200, maxFutureMs: 300_000 });
  });

  it('accepts every fix of the real bus trace, replayed in order', () => {
    const trace = loadBusTrace();
    let prev: AcceptedFix | undefined;
    const verdicts = trace.map((p) => {
      const v = assessFix(
        { truckKey: 'bus-304', ...p, fixTime: p.time },
        prev,
        new Date('2019-02-18T09:01:00Z'),
      );
      if (v.verdict === 'accept') prev = { lat: p.lat, lng: p.lng, fixTime: p.time };
      return v.verdict;
    });
    expect(verdicts.every((v) => v === 'accept')).toBe(true);
  });

  it('catches a glitch injected into the real trace and then carries on with the next good fix', () => {
    const trace = loadBusTrace().slice(500, 520);
    const glitched = trace.map((p, i) => (i === 10 ? { ...p, lat: p.lat + 0.05 } : p));
    let prev: AcceptedFix | undefined;
    const verdicts = glitched.map((p) => {
      const v = assessFix(
        { truckKey: 'bus-304', ...p, fixTime: p.time },
        prev,
        new Date('2019-02-18T09:01:00Z'),
      );
      if (v.verdict === 'accept') prev = { lat: p.lat, lng: p.lng, fixTime: p.time };
      return v.verdict === 'reject' ? v.reason : v.verdict;
    });
    expect(verdicts[10]).toBe('impossible_jump');
    expect(verdicts.filter((v) => v !== 'accept')).toEqual(['impossible_jump']);
  });

  it('checks validity before anything else, so a NaN fix is never called a duplicate', () => {
    expect(assessFix(fix({ lat: Number.NaN, fixTime: last.fixTime }), last, NOW)).toMatchObject({
      reason: 'invalid',
    });
  });
});
