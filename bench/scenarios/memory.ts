/**
 * Memory per idle subscriber: a fresh server per round, warmed up by 50 subscribers that come and go;
 * then K idle subscribers of one live stream (ours: a completion held before its first delta; raw: a
 * stream that never relays) join in steps of K/4. After each step: three forced full GCs (preload,
 * SIGUSR2), then VmRSS (median of 5 readings) and the JS heap (`process.memoryUsage()` over IPC).
 *
 * Per subscriber = robust (Theil–Sen) slope of RSS against the number of subscribers over the 5 points
 * (0, K/4 … K). With two points, (RSS at K − RSS at 0) / K, one late release of start-up memory or one
 * heap resize between the readings (10–40 MB, as large as the whole signal) decides the result; the
 * median of pair slopes needs the same drift at most steps to be fooled. The two-point value is kept
 * in the details.
 */
import { monoMs, sleep } from '../lib/clock.js';
import type { BenchContext } from '../lib/context.js';
import { type Child, messageOfType, rssKb } from '../lib/proc.js';
import { metric, type ScenarioResult } from '../lib/result.js';
import { median } from '../lib/stats.js';
import { ENDPOINTS, FANOUT_SUBSCRIPTION, forceSettle, startOurs, startRaw } from '../servers.js';

export interface MemoryParams {
  k: number;
}

const STEPS = 4;

interface Point {
  subscribers: number;
  rssKb: number;
  /** heapUsed + external (ArrayBuffers included), KiB. */
  heapKb: number;
}

interface Reading {
  points: Point[];
  /** RSS slope, KiB per subscriber (the headline). */
  perSubscriberKb: number;
  /** (RSS at K − RSS at 0) / K. */
  twoPointKb: number;
  /** JS heap slope, KiB per subscriber. */
  heapPerSubscriberKb: number;
}

interface MemoryUsageReport {
  type: 'memory';
  heapUsed: number;
  external: number;
}

/**
 * Theil–Sen slope: the median of the slopes between every pair of points. One reading displaced by a
 * late release of start-up memory (seen: RSS −37 MB between 0 and 250 subscribers) moves a least-squares
 * line across the whole range; it only touches 4 of the 10 pair slopes here, so the median holds.
 */
function slope(points: readonly Point[], value: (p: Point) => number): number {
  const slopes: number[] = [];
  for (let i = 0; i < points.length; i++) {
    for (let j = i + 1; j < points.length; j++) {
      const a = points[i] as Point;
      const b = points[j] as Point;
      slopes.push((value(b) - value(a)) / (b.subscribers - a.subscribers));
    }
  }
  return median(slopes);
}

async function settledPoint(child: Child, subscribers: number): Promise<Point> {
  await forceSettle(child.pid);
  const readings: number[] = [];
  for (let i = 0; i < 5; i++) {
    readings.push(rssKb(child.pid));
    await sleep(100);
  }
  child.send({ type: 'memory?' });
  const usage = await child.nextMessage(messageOfType<MemoryUsageReport>('memory'), 10_000);
  return { subscribers, rssKb: median(readings), heapKb: (usage.heapUsed + usage.external) / 1024 };
}

async function measure(
  ctx: BenchContext,
  child: Child,
  url: string,
  body: object,
  k: number,
): Promise<Reading> {
  // Start-up garbage (module compilation, migrations) is released lazily: give it time before point 0.
  await sleep(1000);
  await ctx.client.connect(url, body, 50);
  await ctx.client.close();
  const points = [await settledPoint(child, 0)];
  for (let step = 1; step <= STEPS; step++) {
    const target = Math.round((k * step) / STEPS);
    await ctx.client.connect(url, body, target - (points.at(-1)?.subscribers ?? 0));
    await sleep(300);
    points.push(await settledPoint(child, target));
  }
  await ctx.client.close();
  const first = points[0] as Point;
  const last = points.at(-1) as Point;
  return {
    points,
    perSubscriberKb: slope(points, (p) => p.rssKb),
    twoPointKb: (last.rssKb - first.rssKb) / k,
    heapPerSubscriberKb: slope(points, (p) => p.heapKb),
  };
}

async function measureRaw(ctx: BenchContext, k: number): Promise<Reading> {
  const raw = await startRaw();
  try {
    return await measure(ctx, raw.child, raw.url, { query: FANOUT_SUBSCRIPTION }, k);
  } finally {
    await raw.stop();
  }
}

async function measureOurs(ctx: BenchContext, k: number): Promise<Reading> {
  const ours = await startOurs(ctx.fake.url, ctx.oursEnv);
  const plan = ctx.fake.next({ kind: 'burst', deltas: 1 });
  try {
    const streamId = await ours.startCompletion('idle subscribers');
    await plan.started;
    return await measure(
      ctx,
      ours.child,
      `${ours.origin}${ENDPOINTS['graphql-sse']}`,
      { query: FANOUT_SUBSCRIPTION, variables: { id: streamId } },
      k,
    );
  } finally {
    plan.go();
    await ours.stop();
  }
}

export async function memory(ctx: BenchContext, p: MemoryParams): Promise<ScenarioResult> {
  const started = monoMs();
  const raw: Reading[] = [];
  const ours: Reading[] = [];
  const notes: string[] = [];
  for (let round = 0; round < ctx.rounds; round++) {
    if (round % 2 === 0) {
      ours.push(await measureOurs(ctx, p.k));
      raw.push(await measureRaw(ctx, p.k));
    } else {
      raw.push(await measureRaw(ctx, p.k));
      ours.push(await measureOurs(ctx, p.k));
    }
    const describe = (r: Reading | undefined) =>
      r
        ? `${r.perSubscriberKb.toFixed(1)} KiB/sub (two-point ${r.twoPointKb.toFixed(1)}, heap ${r.heapPerSubscriberKb.toFixed(1)}; ` +
          `RSS ${r.points.map((pt) => Math.round(pt.rssKb / 1024)).join('→')} MiB)`
        : '?';
    ctx.log(
      `  memory K=${p.k} round ${round + 1}: ours ${describe(ours.at(-1))}, raw ${describe(raw.at(-1))}`,
    );
    for (const [side, reading] of [
      ['ours', ours.at(-1)],
      ['raw', raw.at(-1)],
    ] as const) {
      if (reading && reading.perSubscriberKb <= 0)
        notes.push(`round ${round + 1}: ${side} RSS fell while subscribers joined (GC/allocator noise)`);
    }
  }
  const spec = { unit: 'KiB', better: 'lower' as const, baselineName: 'raw node:http SSE' };
  return {
    scenario: 'memory',
    at: new Date().toISOString(),
    durationS: (monoMs() - started) / 1000,
    params: { ...p, steps: STEPS, rounds: ctx.rounds, endpoint: 'graphql-sse' },
    metrics: [
      metric(
        {
          ...spec,
          id: `memory.k${p.k}.per-subscriber`,
          label: `Memory (RSS) per idle subscriber, K=${p.k}`,
          target: { on: 'ratio', op: '<=', value: 2, text: '≤ 2× raw' },
        },
        raw.map((r) => r.perSubscriberKb),
        ours.map((o) => o.perSubscriberKb),
      ),
      metric(
        {
          ...spec,
          id: `memory.k${p.k}.heap-per-subscriber`,
          label: `JS heap per idle subscriber, K=${p.k}`,
          // RSS can absorb heap growth in pages already committed; the heap cannot hide it.
          target: { on: 'ratio', op: '<=', value: 2, text: '≤ 2× raw' },
        },
        raw.map((r) => r.heapPerSubscriberKb),
        ours.map((o) => o.heapPerSubscriberKb),
      ),
    ],
    details: { raw, ours },
    notes,
  };
}
