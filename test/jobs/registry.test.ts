import { validate } from 'node-cron';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { findJob, JOB_NAMES, JOBS } from '../../src/jobs/registry.ts';

describe('job registry', () => {
  it('has one job per name, each on a schedule node-cron reads', () => {
    expect(JOBS.map((j) => j.name)).toEqual([...JOB_NAMES]);
    for (const job of JOBS) expect(validate(job.schedule), job.name).toBe(true);
  });

  it('runs the daily report at 06:00 and the watches every minute', () => {
    expect(findJob('daily-report').schedule).toBe('0 6 * * *');
    expect(findJob('sheets-sync').schedule).toBe('*/15 * * * *');
    expect(findJob('offline-watch').schedule).toBe('* * * * *');
    expect(findJob('delay-watch').schedule).toBe('* * * * *');
  });

  it('turns sheets sync off until Sheets is configured', () => {
    const sync = findJob('sheets-sync');
    expect(sync.disabledReason?.(loadConfig({}))).toBe(
      'roster sync is off: set GOOGLE_SHEETS_ID and GOOGLE_APPLICATION_CREDENTIALS',
    );
    expect(
      sync.disabledReason?.(loadConfig({ GOOGLE_SHEETS_ID: 's', GOOGLE_APPLICATION_CREDENTIALS: '/k.json' })),
    ).toBeUndefined();
  });
});

describe('job settings from the environment', () => {
  it('defaults to 30 minutes offline and 180 days of positions', () => {
    expect(loadConfig({}).jobs).toEqual({ offlineAfterMs: 30 * 60_000, positionsRetentionDays: 180 });
  });

  it('reads OFFLINE_AFTER as minutes or a duration', () => {
    const ms = (v: string) => loadConfig({ OFFLINE_AFTER: v }).jobs.offlineAfterMs;
    expect(ms('45')).toBe(45 * 60_000);
    expect(ms('45m')).toBe(45 * 60_000);
    expect(ms('90min')).toBe(90 * 60_000);
    expect(ms('2h')).toBe(2 * 3_600_000);
    expect(ms('600s')).toBe(600_000);
  });

  it('names both variables when they are wrong', () => {
    let error: unknown;
    try {
      loadConfig({ OFFLINE_AFTER: 'soon', POSITIONS_RETENTION_DAYS: '0' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      {
        variable: 'OFFLINE_AFTER',
        expected: 'expected minutes (30) or a duration such as 45m or 2h, from 1 min to 168 h, got "soon"',
      },
      { variable: 'POSITIONS_RETENTION_DAYS', expected: 'expected a whole number from 1 to 3650, got "0"' },
    ]);
  });
});
