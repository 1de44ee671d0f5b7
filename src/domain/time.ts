// Wall-clock arithmetic in a named time zone (the fleet's home is Africa/Lagos, UTC+1, no DST),
// written against Intl so any IANA zone works, including ones with DST.

export const LAGOS = 'Africa/Lagos';

export interface LocalDateTime {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function partsFormatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True when `timeZone` is an IANA zone this runtime knows. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    partsFormatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The wall-clock reading of `instant` in `timeZone`. */
export function toLocal(instant: Date, timeZone: string): LocalDateTime {
  const out: Record<string, number> = {};
  for (const p of partsFormatter(timeZone).formatToParts(instant)) {
    if (p.type !== 'literal') out[p.type] = Number(p.value);
  }
  return {
    year: out.year!,
    month: out.month!,
    day: out.day!,
    hour: out.hour!,
    minute: out.minute!,
    second: out.second!,
  };
}

/** Offset of `timeZone` from UTC at `instant`, in milliseconds (Lagos: +3,600,000). */
export function zoneOffsetMs(instant: Date, timeZone: string): number {
  const l = toLocal(instant, timeZone);
  const asUtc = Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute, l.second);
  return asUtc - Math.floor(instant.getTime() / 1000) * 1000;
}

/** The instant at which clocks in `timeZone` read `local`. */
export function localToUtc(local: LocalDateTime, timeZone: string): Date {
  const naive = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second);
  // Two passes settle the offset around DST changes; Lagos needs one.
  let guess = naive - zoneOffsetMs(new Date(naive), timeZone);
  guess = naive - zoneOffsetMs(new Date(guess), timeZone);
  return new Date(guess);
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** The local calendar date of `instant` as YYYY-MM-DD. */
export function localDate(instant: Date, timeZone = LAGOS): string {
  const l = toLocal(instant, timeZone);
  return `${l.year}-${pad(l.month)}-${pad(l.day)}`;
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Parses YYYY-MM-DD strictly (the day must exist). */
export function parseDate(date: string): { year: number; month: number; day: number } | null {
  const m = DATE_RE.exec(date);
  if (!m) return null;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const d = new Date(Date.UTC(year, month - 1, day));
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return null;
  return { year, month, day };
}

/** Start (inclusive) and end (exclusive) of a local calendar day. */
export function localDayBounds(date: string, timeZone = LAGOS): { start: Date; end: Date } {
  const d = parseDate(date);
  if (!d) throw new RangeError(`not a date (YYYY-MM-DD): ${date}`);
  const next = new Date(Date.UTC(d.year, d.month - 1, d.day + 1));
  return {
    start: localToUtc({ ...d, hour: 0, minute: 0, second: 0 }, timeZone),
    end: localToUtc(
      {
        year: next.getUTCFullYear(),
        month: next.getUTCMonth() + 1,
        day: next.getUTCDate(),
        hour: 0,
        minute: 0,
        second: 0,
      },
      timeZone,
    ),
  };
}

/** The local date `days` after `date` (negative for before). */
export function addDays(date: string, days: number): string {
  const d = parseDate(date);
  if (!d) throw new RangeError(`not a date (YYYY-MM-DD): ${date}`);
  const t = new Date(Date.UTC(d.year, d.month - 1, d.day + days));
  return `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`;
}

/** `06:40` */
export function formatClock(instant: Date, timeZone = LAGOS): string {
  const l = toLocal(instant, timeZone);
  return `${pad(l.hour)}:${pad(l.minute)}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** As people write times: `06:40` today, `yesterday 18:05`, `tomorrow 06:00`, else `24 Nov 18:05`. */
export function formatWhen(instant: Date, now: Date, timeZone = LAGOS): string {
  const day = localDate(instant, timeZone);
  const today = localDate(now, timeZone);
  const clock = formatClock(instant, timeZone);
  if (day === today) return clock;
  if (day === addDays(today, -1)) return `yesterday ${clock}`;
  if (day === addDays(today, 1)) return `tomorrow ${clock}`;
  const l = toLocal(instant, timeZone);
  const year = l.year === toLocal(now, timeZone).year ? '' : ` ${l.year}`;
  return `${l.day} ${MONTHS[l.month - 1]}${year} ${clock}`;
}

/** `just now`, `4 min ago`, `2 h 5 min ago`, `3 days ago`. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return 'just now';
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min ago`;
  const h = Math.floor(min / 60);
  if (h < 48) return min % 60 ? `${h} h ${min % 60} min ago` : `${h} h ago`;
  return `${Math.floor(h / 24)} days ago`;
}

/** True when `local` names a real wall-clock reading: the day exists and the time is within 00:00:00-23:59:59. */
export function isValidLocalDateTime(local: LocalDateTime): boolean {
  const { year, month, day, hour, minute, second } = local;
  if (hour > 23 || minute > 59 || second > 59 || hour < 0 || minute < 0 || second < 0) return false;
  const d = new Date(Date.UTC(year, month - 1, day));
  return d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day;
}

const HOUR_MS = 3_600_000;
const offsetsByZone = new Map<string, Map<number, number>>();

/**
 * Same answer as `localToUtc`, for hot paths (every LocoNav fix carries a zone-less local time): Intl is
 * slow, so the UTC shift is remembered per local clock hour. An hour whose two ends resolve to different
 * shifts contains a DST change and is never cached.
 */
export function localToUtcCached(local: LocalDateTime, timeZone: string): Date {
  const naive = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second);
  const hourStart = naive - (((naive % HOUR_MS) + HOUR_MS) % HOUR_MS);
  let zone = offsetsByZone.get(timeZone);
  if (!zone) {
    zone = new Map();
    offsetsByZone.set(timeZone, zone);
  }
  const shift = zone.get(hourStart);
  if (shift !== undefined) return new Date(naive + shift);
  const exact = localToUtc(local, timeZone);
  const atStart = localToUtc(toNaiveParts(hourStart), timeZone).getTime() - hourStart;
  const atEnd = localToUtc(toNaiveParts(hourStart + HOUR_MS), timeZone).getTime() - (hourStart + HOUR_MS);
  if (atStart === atEnd) {
    if (zone.size >= 10_000) zone.clear();
    zone.set(hourStart, atStart);
  }
  return exact;
}

function toNaiveParts(naiveMs: number): LocalDateTime {
  const d = new Date(naiveMs);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
  };
}
