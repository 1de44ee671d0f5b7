import type { KnownBlock } from '@slack/types';
import type { LaneTat, Summary, TatReport, UtilizationReport } from '../../domain/analytics.ts';
import { formatClock, formatWhen, parseDate } from '../../domain/time.ts';
import {
  type DailyReport,
  type LaneComparison,
  OFFLINE_AFTER_MS,
  type RangeReport,
} from '../../fleet/analytics.ts';
import {
  context,
  esc,
  field,
  formatDuration,
  formatKm,
  formatPercent,
  header,
  type Message,
  mrkdwn,
  plural,
  truncate,
} from './format.ts';

// Reports from src/fleet/analytics.ts as Slack messages: the daily report the cron job posts, and `/report tat`
// and `/report utilization` answers. Only rendering here; every number comes from the use case.

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `2025-03-10` as `Mon 10 Mar 2025`. */
export function formatDay(date: string): string {
  const d = parseDate(date);
  if (!d) return date;
  const weekday = WEEKDAYS[new Date(Date.UTC(d.year, d.month - 1, d.day)).getUTCDay()];
  return `${weekday} ${d.day} ${MONTHS[d.month - 1]} ${d.year}`;
}

const rangeText = (r: RangeReport) =>
  r.from === r.to ? formatDay(r.from) : `${formatDay(r.from)} to ${formatDay(r.to)}`;

/** Alert event types as a dispatcher says them. */
const ALERT_NAMES: Readonly<Record<string, string>> = {
  'loconav.geofence': 'geofence (LocoNav)',
  'loconav.overspeed': 'overspeed (LocoNav)',
  'loconav.ignition': 'ignition (LocoNav)',
  'loconav.idling': 'idling (LocoNav)',
  'loconav.device_offline': 'device offline (LocoNav)',
  'truck.offline': 'truck offline',
  'truck.overspeed': 'overspeed',
  'trip.delayed': 'late trip',
};

const TOP_TRUCKS = 5;
/** Lanes shown (one section each in the TAT report); Slack allows 50 blocks a message, a channel wants fewer. */
const MAX_LANES = 15;
const MAX_OFFLINE = 10;
/** Slack refuses a section text over 3,000 characters. */
const SECTION_MAX = 3000;

const alertName = (type: string) => ALERT_NAMES[type] ?? type;

/** `+30 min`, `−1 h 5 min`, `same`: the day's median against the baseline's. */
function change(dayS: number | null, baselineS: number | null): string | null {
  if (dayS === null || baselineS === null) return null;
  const diff = dayS - baselineS;
  if (Math.abs(diff) < 60) return 'same';
  return `${diff > 0 ? '+' : '−'}${formatDuration(Math.abs(diff))}`;
}

function laneComparisonText(l: LaneComparison): string {
  const delta = change(l.day.median, l.baseline.median);
  const baseline =
    l.baseline.count === 0
      ? 'none in the 7 days before'
      : `7 days before: median ${formatDuration(l.baseline.median)}, p90 ${formatDuration(l.baseline.p90)}`;
  return `*${esc(l.lane)}* · ${plural(l.day.count, 'trip')}: median ${formatDuration(l.day.median)}${delta ? ` (${delta})` : ''}, p90 ${formatDuration(l.day.p90)} · ${baseline}`;
}

function section(title: string, lines: string[]): KnownBlock {
  return { type: 'section', text: mrkdwn(truncate(`*${title}*\n${lines.join('\n')}`, SECTION_MAX)) };
}

export function dailyReportMessage(report: DailyReport): Message {
  const { trips, kmDriven, alerts, tat, utilization, offline } = report;
  const blocks: KnownBlock[] = [
    header(`Daily report · ${formatDay(report.date)}`),
    {
      type: 'section',
      fields: [
        field('Trips started', String(trips.started)),
        field('Completed', String(trips.completed)),
        field('In progress at day end', String(trips.inProgress)),
        field('Cancelled', String(trips.cancelled)),
        field('Km driven', formatKm(kmDriven.total)),
        field('Alerts', String(alerts.total)),
        field('On a trip', formatPercent(utilization.onTripShare)),
        field('Moving', formatPercent(utilization.movingShare)),
        field('Offline now', offline.trucks.length > 0 ? `${offline.trucks.length} :warning:` : '0'),
      ],
    },
  ];
  if (tat.lanes.length > 0) {
    const lines = tat.lanes.slice(0, MAX_LANES).map(laneComparisonText);
    if (tat.lanes.length > MAX_LANES) lines.push(`and ${plural(tat.lanes.length - MAX_LANES, 'more lane')}`);
    blocks.push(section('Turnaround per lane', lines));
  }
  const top = [...kmDriven.byTruck].sort((a, b) => b.km - a.km).slice(0, TOP_TRUCKS);
  if (top.length > 0) {
    blocks.push(
      section(
        'Most km',
        top.map((t) => `${esc(t.truckNumber)}: ${formatKm(t.km)}`),
      ),
    );
  }
  const byType = Object.entries(alerts.byType).sort(([, a], [, b]) => b - a);
  if (byType.length > 0) {
    blocks.push(
      section(
        'Alerts',
        byType.map(([type, n]) => `${esc(alertName(type))}: ${n}`),
      ),
    );
  }
  if (alerts.topTrucks.length > 0) {
    const lines = alerts.topTrucks.map(
      (t) => `${esc(t.truckNumber)}: ${t.count} (${t.types.map((type) => esc(alertName(type))).join(', ')})`,
    );
    blocks.push(section('Most alerts', lines));
  }
  if (offline.trucks.length > 0) {
    const lines = offline.trucks
      .slice(0, MAX_OFFLINE)
      .map(
        (t) =>
          `${esc(t.truckNumber)}: ${t.lastFixAt ? `last heard ${formatWhen(t.lastFixAt, offline.at)}` : 'never reported'}`,
      );
    if (offline.trucks.length > MAX_OFFLINE) {
      lines.push(`and ${plural(offline.trucks.length - MAX_OFFLINE, 'more truck')}`);
    }
    blocks.push(section(`Offline at ${formatClock(offline.at)}`, lines));
  }
  blocks.push(
    context(
      `Turnaround runs from dispatch to completion, compared with ${formatDay(tat.baselineFrom)} to ${formatDay(tat.baselineTo)}. Offline: active trucks silent for over ${OFFLINE_AFTER_MS / 60_000} min.`,
    ),
  );
  return {
    text: `Daily report for ${formatDay(report.date)}: ${plural(trips.started, 'trip')} started, ${trips.completed} completed, ${trips.inProgress} in progress, ${trips.cancelled} cancelled; ${formatKm(kmDriven.total)} driven; ${plural(alerts.total, 'alert')}; on a trip ${formatPercent(utilization.onTripShare)}; ${offline.trucks.length} offline now`,
    blocks,
  };
}

const medianP90 = (s: Summary) => `median ${formatDuration(s.median)}, p90 ${formatDuration(s.p90)}`;

function laneText(lane: LaneTat): string {
  const stages = [
    `waiting at pickup ${formatDuration(lane.waitingAtPickup.median)}`,
    `transit ${formatDuration(lane.transit.median)}`,
    `at dropoff ${formatDuration(lane.atDropoff.median)}`,
    `return ${formatDuration(lane.return.median)}`,
  ].join(' · ');
  return `*${esc(lane.lane)}* · ${plural(lane.count, 'trip')}\nTotal: ${medianP90(lane.total)}\nStage medians: ${stages}`;
}

export function tatReportMessage(report: RangeReport & TatReport): Message {
  const blocks: KnownBlock[] = [header(`Turnaround · ${rangeText(report)}`)];
  const trips = report.lanes.reduce((sum, l) => sum + l.count, 0);
  if (report.lanes.length === 0) {
    blocks.push({ type: 'section', text: mrkdwn('No trips were completed in this period.') });
  }
  // Busiest lanes first: they are the ones a change in TAT costs most on.
  const lanes = [...report.lanes].sort((a, b) => b.count - a.count || a.lane.localeCompare(b.lane));
  for (const lane of lanes.slice(0, MAX_LANES)) {
    blocks.push({ type: 'section', text: mrkdwn(laneText(lane)) });
  }
  if (lanes.length > MAX_LANES) blocks.push(context(`and ${lanes.length - MAX_LANES} more lanes`));
  blocks.push(
    context('Turnaround runs from dispatch to completion; stages with a missing time are left out.'),
  );
  return {
    text: `Turnaround for ${rangeText(report)}: ${plural(trips, 'trip')} completed on ${plural(report.lanes.length, 'lane')}`,
    blocks,
  };
}

const MAX_DAYS = 14;
const LEAST_USED = 5;

const mean = (xs: number[]) => (xs.length > 0 ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

export function utilizationReportMessage(report: RangeReport & UtilizationReport): Message {
  const known = (key: 'onTripShare' | 'movingShare') =>
    report.trucks.flatMap((t) => (t[key] === null ? [] : [t[key]]));
  // The fleet's share over the range: each truck's range share is already weighted by day length.
  const onTrip = mean(known('onTripShare'));
  const moving = mean(known('movingShare'));

  const blocks: KnownBlock[] = [
    header(`Utilization · ${rangeText(report)}`),
    {
      type: 'section',
      fields: [
        field('On a trip', formatPercent(onTrip)),
        field('Moving', formatPercent(moving)),
        field('Trucks counted', String(report.trucks.length)),
      ],
    },
  ];
  if (report.days.length > 1) {
    const days = report.days.slice(-MAX_DAYS);
    const lines = days.map(
      (d) =>
        `${formatDay(d.date)}: on trip ${formatPercent(d.onTripShare)}, moving ${formatPercent(d.movingShare)}`,
    );
    const earlier = report.days.length - days.length;
    blocks.push({ type: 'section', text: mrkdwn(`*By day*\n${lines.join('\n')}`) });
    if (earlier > 0) blocks.push(context(`${plural(earlier, 'earlier day')} not shown`));
  }
  const leastUsed = report.trucks
    .filter((t) => t.onTripShare !== null)
    .sort((a, b) => a.onTripShare! - b.onTripShare! || a.truckNumber.localeCompare(b.truckNumber))
    .slice(0, LEAST_USED);
  if (leastUsed.length > 0) {
    const lines = leastUsed.map(
      (t) =>
        `${esc(t.truckNumber)}: on trip ${formatPercent(t.onTripShare)}, moving ${formatPercent(t.movingShare)}`,
    );
    blocks.push({ type: 'section', text: mrkdwn(`*Least used*\n${lines.join('\n')}`) });
  }
  return {
    text: `Utilization for ${rangeText(report)}: on a trip ${formatPercent(onTrip)}, moving ${formatPercent(moving)} across ${plural(report.trucks.length, 'truck')}`,
    blocks,
  };
}
