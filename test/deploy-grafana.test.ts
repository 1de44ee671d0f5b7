import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../src/metrics.ts';

// The Grafana dashboard queries only metrics Watch Tower exports: a renamed metric breaks this test, not a
// panel nobody looks at until the night it is needed.

const DASHBOARD = path.resolve(import.meta.dirname, '../deploy/grafana/watchtower.json');

interface Panel {
  type: string;
  title: string;
  datasource?: { uid: string };
  targets?: { expr: string }[];
}

const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
  uid: string;
  templating: { list: { name: string; type: string; query: string }[] };
  panels: Panel[];
};
const queryPanels = dashboard.panels.filter((p) => p.type !== 'row');
const exprs = queryPanels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));

/** Metric names a PromQL expression reads, histogram series (_bucket, _sum, _count) named by their metric. */
async function exportedMetrics() {
  const metrics = await createMetrics().registry.getMetricsAsJSON();
  return new Map(metrics.map((m) => [m.name, String(m.type)]));
}

function queried(expr: string, exported: Map<string, string>): string[] {
  return (expr.match(/\bwatchtower_[a-z0-9_]+/g) ?? []).map((name) => {
    const base = name.replace(/_(bucket|sum|count)$/, '');
    return base !== name && exported.get(base) === 'histogram' ? base : name;
  });
}

describe('the Grafana dashboard', () => {
  it('queries only metrics that createMetrics() registers', async () => {
    const exported = await exportedMetrics();
    const names = new Set(exprs.flatMap((e) => queried(e, exported)));
    expect(names.size).toBeGreaterThan(15);
    expect([...names].filter((n) => !exported.has(n))).toEqual([]);
  });

  it('reads histograms through their buckets and counters through rate or increase', async () => {
    const exported = await exportedMetrics();
    for (const expr of exprs) {
      for (const name of queried(expr, exported)) {
        if (exported.get(name) === 'histogram')
          expect(expr, expr).toMatch(new RegExp(`${name}_(bucket|count)`));
        if (exported.get(name) === 'counter') expect(expr, expr).toMatch(/\b(rate|increase)\(/);
      }
    }
  });

  it('covers ingest, latency, consumers, dead letters, jobs, outside calls and HTTP errors', async () => {
    const exported = await exportedMetrics();
    const names = new Set(exprs.flatMap((e) => queried(e, exported)));
    for (const metric of [
      'watchtower_webhook_items_total',
      'watchtower_positions_total',
      'watchtower_http_request_duration_seconds',
      'watchtower_consumer_lag',
      'watchtower_consumer_pending',
      'watchtower_dead_letter_total',
      'watchtower_job_runs_total',
      'watchtower_outside_call_duration_seconds',
      'watchtower_http_errors_total',
    ]) {
      expect(names, metric).toContain(metric);
    }
    expect(
      exprs.filter((e) =>
        e.startsWith(
          'histogram_quantile(0.99, sum by (le) (rate(watchtower_http_request_duration_seconds_bucket{route="/api/v1/webhooks/loconav"}',
        ),
      ),
    ).toHaveLength(1);
  });

  it('takes its Prometheus from a datasource variable, so it imports anywhere', () => {
    expect(dashboard.uid).toBe('watchtower');
    expect(dashboard.templating.list).toContainEqual(
      expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' }),
    );
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a template string.
    for (const p of queryPanels) expect(p.datasource?.uid, p.title).toBe('${datasource}');
  });
});
