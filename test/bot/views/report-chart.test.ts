import { loadImage } from '@napi-rs/canvas';
import { describe, expect, it } from 'vitest';
import {
  CHART_WIDTH,
  chartHeight,
  dailyReportChart,
  MAX_CHART_LANES,
  renderTatChart,
  type TatChartLane,
} from '../../../src/bot/views/report-chart.ts';
import type { DailyReport } from '../../../src/fleet/analytics.ts';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Width and height from the PNG's IHDR chunk, which always comes first. */
function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
  expect(png.toString('latin1', 12, 16)).toBe('IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

const lane = (name: string, medianH: number, baselineH: number | null, count = 2): TatChartLane => ({
  lane: name,
  count,
  medianS: medianH * 3600,
  p90S: medianH * 3600 * 1.3,
  baselineMedianS: baselineH === null ? null : baselineH * 3600,
});

const input = {
  title: 'Turnaround per lane · Mon 10 Mar 2025',
  subtitle: 'Each lane on the day against its median from Mon 3 Mar 2025 to Sun 9 Mar 2025',
  lanes: [lane('Apapa Port → Ikeja Depot', 5, 4.5, 3), lane('Tin Can Island Port → Agbara', 2, null, 1)],
};

describe('renderTatChart', () => {
  it('draws a PNG of the chart width and a height for its lanes, that decodes', async () => {
    const png = renderTatChart(input);

    expect(pngSize(png)).toEqual({ width: CHART_WIDTH, height: chartHeight(2) });
    const image = await loadImage(png);
    expect([image.width, image.height]).toEqual([CHART_WIDTH, chartHeight(2)]);
  });

  it('draws different pictures for different numbers', () => {
    const longer = { ...input, lanes: [lane('Apapa Port → Ikeja Depot', 9, 4.5, 3), input.lanes[1]!] };
    expect(renderTatChart(longer).equals(renderTatChart(input))).toBe(false);
    expect(renderTatChart(input).equals(renderTatChart(input))).toBe(true);
  });

  it('grows with the lanes up to its cap, and still draws a day with none', () => {
    const many = Array.from({ length: MAX_CHART_LANES + 4 }, (_, k) => lane(`Lane ${k}`, k + 1, k));
    expect(pngSize(renderTatChart({ ...input, lanes: many })).height).toBe(chartHeight(MAX_CHART_LANES));
    expect(chartHeight(MAX_CHART_LANES)).toBeGreaterThan(chartHeight(2));
    expect(pngSize(renderTatChart({ ...input, lanes: [] }))).toEqual({
      width: CHART_WIDTH,
      height: chartHeight(0),
    });
  });

  it('copes with a very long lane name and unknown durations', () => {
    const odd = [
      {
        lane: `${'Very Long Terminal Name '.repeat(8)}→ Ikeja`,
        count: 1,
        medianS: null,
        p90S: null,
        baselineMedianS: null,
      },
    ];
    expect(pngSize(renderTatChart({ ...input, lanes: odd })).width).toBe(CHART_WIDTH);
  });
});

describe('dailyReportChart', () => {
  const report = {
    date: '2025-03-10',
    tat: {
      baselineFrom: '2025-03-03',
      baselineTo: '2025-03-09',
      lanes: [
        {
          lane: 'Apapa Port → Ikeja Depot',
          origin: 'Apapa Port',
          destination: 'Ikeja Depot',
          day: { count: 3, median: 5 * 3600, p90: 6 * 3600 },
          baseline: { count: 14, median: 4.5 * 3600, p90: 5.5 * 3600 },
        },
      ],
    },
  } as DailyReport;

  it('names the file after the day and says what the image shows for screen readers', () => {
    const chart = dailyReportChart(report)!;

    expect(chart.filename).toBe('daily-report-2025-03-10.png');
    expect(chart.title).toBe('Turnaround per lane · Mon 10 Mar 2025');
    expect(chart.altText).toBe(
      'Turnaround per lane · Mon 10 Mar 2025. Apapa Port → Ikeja Depot: median 5 h, previous 7 days 4 h 30 min',
    );
    expect(pngSize(chart.file)).toEqual({ width: CHART_WIDTH, height: chartHeight(1) });
  });

  it('has no chart for a day with no completed trip', () => {
    expect(dailyReportChart({ ...report, tat: { ...report.tat, lanes: [] } })).toBeNull();
  });
});
