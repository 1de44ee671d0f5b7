// Overspeed held, not touched: one alert when a truck stays above the limit for a minimum time, not one per
// fix. A single fix above the limit (GPS jitter, a burst on an empty road) raises nothing; a long run raises
// one alert, and the truck must drop clearly below the limit (hysteresis) before another run can start one.
// A gap in the fixes longer than maxGapS breaks the run: nobody knows what the truck did meanwhile.

export interface OverspeedOptions {
  limitKmh: number;
  /** How long above the limit before the alert; 0 alerts on the first fix above. */
  minHeldS: number;
  /** The run ends when speed falls to limit − hysteresis or below. */
  hysteresisKmh?: number;
  maxGapS?: number;
}

export interface OverspeedRun {
  since: Date;
  at: Date;
  /** The highest speed seen in the run so far. */
  maxKmh: number;
  heldS: number;
}

interface RunState {
  readonly since: number;
  readonly last: number;
  readonly maxKmh: number;
  readonly alerted: boolean;
}

export class OverspeedTracker {
  private readonly runs = new Map<string, RunState>();
  private readonly hysteresisKmh: number;
  private readonly maxGapMs: number;

  constructor(private readonly o: OverspeedOptions) {
    this.hysteresisKmh = o.hysteresisKmh ?? 5;
    this.maxGapMs = (o.maxGapS ?? 120) * 1000;
  }

  /** Feeds one in-order fix; returns the run the first time it has been held long enough. */
  observe(truckId: string, at: Date, speedKmh: number | null | undefined): OverspeedRun | undefined {
    if (speedKmh === null || speedKmh === undefined || !Number.isFinite(speedKmh)) return undefined;
    const t = at.getTime();
    let run = this.runs.get(truckId);
    if (run && (t - run.last > this.maxGapMs || t < run.last)) run = undefined;
    if (speedKmh <= this.o.limitKmh - this.hysteresisKmh || (!run && speedKmh <= this.o.limitKmh)) {
      this.runs.delete(truckId);
      return undefined;
    }
    run = run
      ? { ...run, last: t, maxKmh: Math.max(run.maxKmh, speedKmh) }
      : { since: t, last: t, maxKmh: speedKmh, alerted: false };
    const heldMs = t - run.since;
    if (!run.alerted && heldMs >= this.o.minHeldS * 1000) {
      this.runs.set(truckId, { ...run, alerted: true });
      return { since: new Date(run.since), at, maxKmh: run.maxKmh, heldS: heldMs / 1000 };
    }
    this.runs.set(truckId, run);
    return undefined;
  }

  snapshot(truckIds: Iterable<string>): Map<string, RunState | undefined> {
    const snap = new Map<string, RunState | undefined>();
    for (const id of truckIds) snap.set(id, this.runs.get(id));
    return snap;
  }

  restore(snap: Map<string, RunState | undefined>): void {
    for (const [id, state] of snap) {
      if (state) this.runs.set(id, state);
      else this.runs.delete(id);
    }
  }
}
