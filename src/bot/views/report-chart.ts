import { createCanvas, type SKRSContext2D } from '@napi-rs/canvas';
import type { DailyReport } from '../../fleet/analytics.ts';
import { formatDuration, plural, truncate } from './format.ts';
import { formatDay } from './report.ts';

// The daily report's chart, drawn server-side as a PNG: each lane's turnaround on the day (median bar, p90
// tick) over the same lane's median across the 7 days before. Pure: data in, PNG bytes out; uploading is the
// caller's job (src/jobs/daily-report.ts, /report daily).

export interface TatChartLane {
  lane: string;
  /** Trips completed on the day. */
  count: number;
  medianS: number | null;
  p90S: number | null;
  /** Median over the baseline days; null when the lane had no trip then. */
  baselineMedianS: number | null;
}

export interface TatChartInput {
  title: string;
  subtitle: string;
  lanes: readonly TatChartLane[];
}

export const CHART_WIDTH = 1000;
/** Lanes drawn; the rest are named in a footnote (the message lists every lane anyway). */
export const MAX_CHART_LANES = 10;
const HEADER = 120;
const ROW = 64;
const FOOTER = 56;
const LABEL_X = 24;
const PLOT_X = 320;
const PLOT_W = 430;
const FONT = 'DejaVu Sans';

const INK = '#1d1c1d';
const MUTED = '#616061';
const GRID = '#dddddd';
const DAY_BAR = '#1264a3';
const BASELINE_BAR = '#9cc5e8';
const P90 = '#e01e5a';

/** Height of the chart for `lanes` lanes (at least one row, for the "no trips" line). */
export function chartHeight(lanes: number): number {
  return HEADER + Math.max(1, Math.min(lanes, MAX_CHART_LANES)) * ROW + FOOTER;
}

/** Gridline step in hours giving about five lines up to `maxH`. */
function gridStepH(maxH: number): number {
  for (const step of [0.25, 0.5, 1, 2, 3, 4, 6, 8, 12, 24, 48]) if (maxH / step <= 6) return step;
  return Math.ceil(maxH / 6 / 24) * 24;
}

function fitText(ctx: SKRSContext2D, text: string, maxWidth: number): string {
  if (ctx.measureText(text).width <= maxWidth) return text;
  let cut = text;
  while (cut.length > 1 && ctx.measureText(`${cut}…`).width > maxWidth) cut = cut.slice(0, -1);
  return `${cut}…`;
}

export function renderTatChart(input: TatChartInput): Buffer {
  const lanes = input.lanes.slice(0, MAX_CHART_LANES);
  const height = chartHeight(lanes.length);
  const canvas = createCanvas(CHART_WIDTH, height);
  const ctx = canvas.getContext('2d');

  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, CHART_WIDTH, height);
  ctx.textBaseline = 'alphabetic';
  ctx.fillStyle = INK;
  ctx.font = `bold 22px ${FONT}`;
  ctx.fillText(fitText(ctx, input.title, CHART_WIDTH - 2 * LABEL_X), LABEL_X, 38);
  ctx.fillStyle = MUTED;
  ctx.font = `14px ${FONT}`;
  ctx.fillText(fitText(ctx, input.subtitle, CHART_WIDTH - 2 * LABEL_X), LABEL_X, 62);

  // Legend
  let x = LABEL_X;
  const legend = (draw: () => void, label: string) => {
    draw();
    ctx.fillStyle = INK;
    ctx.font = `13px ${FONT}`;
    ctx.fillText(label, x + 22, 94);
    x += 22 + ctx.measureText(label).width + 28;
  };
  legend(() => {
    ctx.fillStyle = DAY_BAR;
    ctx.fillRect(x, 82, 16, 14);
  }, 'median on the day');
  legend(() => {
    ctx.fillStyle = P90;
    ctx.fillRect(x + 6, 78, 4, 22);
  }, 'p90 on the day');
  legend(() => {
    ctx.fillStyle = BASELINE_BAR;
    ctx.fillRect(x, 84, 16, 10);
  }, 'median, previous 7 days');

  const top = HEADER;
  if (lanes.length === 0) {
    ctx.fillStyle = MUTED;
    ctx.font = `16px ${FONT}`;
    ctx.fillText('No trips were completed on this day.', LABEL_X, top + ROW / 2 + 6);
    return canvas.toBuffer('image/png');
  }

  const values = lanes.flatMap((l) => [l.medianS, l.p90S, l.baselineMedianS]);
  const maxS = Math.max(3600, ...values.filter((v): v is number => v !== null));
  const step = gridStepH(maxS / 3600);
  const scaleMaxS = Math.ceil(maxS / 3600 / step) * step * 3600;
  const xOf = (s: number) => PLOT_X + (s / scaleMaxS) * PLOT_W;
  const bottom = top + lanes.length * ROW;

  // Gridlines with hour labels under the plot
  ctx.font = `12px ${FONT}`;
  ctx.textAlign = 'center';
  for (let h = 0; h * 3600 <= scaleMaxS + 1; h += step) {
    const gx = Math.round(xOf(h * 3600)) + 0.5;
    ctx.strokeStyle = GRID;
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(gx, top - 6);
    ctx.lineTo(gx, bottom);
    ctx.stroke();
    ctx.fillStyle = MUTED;
    ctx.fillText(`${Number.isInteger(h) ? h : h.toFixed(2).replace(/0$/, '')} h`, gx, bottom + 18);
  }
  ctx.textAlign = 'left';

  lanes.forEach((lane, k) => {
    const y = top + k * ROW;
    ctx.fillStyle = INK;
    ctx.font = `bold 14px ${FONT}`;
    ctx.fillText(fitText(ctx, lane.lane, PLOT_X - LABEL_X - 16), LABEL_X, y + 24);
    ctx.fillStyle = MUTED;
    ctx.font = `12px ${FONT}`;
    ctx.fillText(plural(lane.count, 'trip'), LABEL_X, y + 42);

    ctx.font = `12px ${FONT}`;
    if (lane.medianS !== null) {
      ctx.fillStyle = DAY_BAR;
      ctx.fillRect(PLOT_X, y + 10, Math.max(2, xOf(lane.medianS) - PLOT_X), 20);
    }
    if (lane.p90S !== null) {
      ctx.fillStyle = P90;
      ctx.fillRect(xOf(lane.p90S) - 2, y + 6, 4, 28);
    }
    const dayEnd = Math.max(xOf(lane.medianS ?? 0), xOf(lane.p90S ?? 0));
    ctx.fillStyle = INK;
    ctx.fillText(
      `median ${formatDuration(lane.medianS)} · p90 ${formatDuration(lane.p90S)}`,
      dayEnd + 8,
      y + 25,
    );

    if (lane.baselineMedianS !== null) {
      ctx.fillStyle = BASELINE_BAR;
      ctx.fillRect(PLOT_X, y + 36, Math.max(2, xOf(lane.baselineMedianS) - PLOT_X), 12);
      ctx.fillStyle = MUTED;
      ctx.fillText(formatDuration(lane.baselineMedianS), xOf(lane.baselineMedianS) + 8, y + 47);
    } else {
      ctx.fillStyle = MUTED;
      ctx.fillText('none in the previous 7 days', PLOT_X + 4, y + 47);
    }
  });

  ctx.fillStyle = MUTED;
  ctx.font = `12px ${FONT}`;
  const more = input.lanes.length - lanes.length;
  const note = `Turnaround: dispatch to completion.${more > 0 ? ` ${plural(more, 'quieter lane')} not drawn.` : ''}`;
  ctx.fillText(note, LABEL_X, bottom + 42);
  return canvas.toBuffer('image/png');
}

export interface ChartFile {
  file: Buffer;
  filename: string;
  title: string;
  /** What a screen reader says instead of the image. */
  altText: string;
}

/** The daily report's chart as a file to upload, or null when no trip was completed that day. */
export function dailyReportChart(report: DailyReport): ChartFile | null {
  const { lanes } = report.tat;
  if (lanes.length === 0) return null;
  const title = `Turnaround per lane · ${formatDay(report.date)}`;
  const file = renderTatChart({
    title,
    subtitle: `Each lane on the day against its median from ${formatDay(report.tat.baselineFrom)} to ${formatDay(report.tat.baselineTo)}`,
    lanes: lanes.map((l) => ({
      lane: l.lane,
      count: l.day.count,
      medianS: l.day.median,
      p90S: l.day.p90,
      baselineMedianS: l.baseline.median,
    })),
  });
  const altText = lanes
    .slice(0, MAX_CHART_LANES)
    .map(
      (l) =>
        `${l.lane}: median ${formatDuration(l.day.median)}, previous 7 days ${formatDuration(l.baseline.median)}`,
    )
    .join('; ');
  // Slack refuses alt text over 1,000 characters.
  return {
    file,
    filename: `daily-report-${report.date}.png`,
    title,
    altText: truncate(`${title}. ${altText}`, 1000),
  };
}
