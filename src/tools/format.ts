import { formatClock, LAGOS, localDate, toLocal } from '../domain/time.ts';

// How tool results write things for the model: Lagos-time ISO strings, `HH:mm`, km with one decimal, and
// lists cut at a cap with a count of what was left out (a giant array costs tokens and buries the answer).

const pad = (n: number) => String(n).padStart(2, '0');

/** `2025-03-01T06:40:00+01:00`: Lagos wall-clock time with its offset, so the model never converts zones. */
export function lagosIso(instant: Date | null | undefined): string | null {
  if (!instant) return null;
  const l = toLocal(instant, LAGOS);
  return `${l.year}-${pad(l.month)}-${pad(l.day)}T${pad(l.hour)}:${pad(l.minute)}:${pad(l.second)}+01:00`;
}

/** `06:40` when the instant is on the same Lagos day as `now`, else the Lagos ISO string. */
export function lagosWhen(instant: Date | null | undefined, now: Date): string | null {
  if (!instant) return null;
  return localDate(instant, LAGOS) === localDate(now, LAGOS)
    ? formatClock(instant, LAGOS)
    : lagosIso(instant);
}

/** Whole minutes from `instant` to `now` (never negative); null when there is no instant. */
export function minutesAgo(instant: Date | null | undefined, now: Date): number | null {
  if (!instant) return null;
  return Math.max(0, Math.round((now.getTime() - instant.getTime()) / 60_000));
}

export const km = (metres: number): number => Math.round(metres / 100) / 10;

/** Five decimals of a degree is about a metre: enough for a truck, and shorter. */
export const coord = (deg: number | null): number | null =>
  deg === null ? null : Math.round(deg * 1e5) / 1e5;

/** The first `cap` items, and how many more there were (0 when none). */
export function capped<T>(items: readonly T[], cap: number): { shown: T[]; more: number } {
  return { shown: items.slice(0, cap), more: Math.max(0, items.length - cap) };
}
