/**
 * Fan-out latency: K subscribers, one delta every 100 ms, each stamped by the fake provider as it
 * writes it (the same producer for ours and the raw relay). The client subtracts the stamp from its
 * receive time for every frame of every subscriber; p50/p99 per round.
 */
import { monoMs, sleep } from '../lib/clock.js';
import type { BenchContext } from '../lib/context.js';
import type { DoneReport } from '../lib/protocol.js';
import { type Metric, metric, type ScenarioResult } from '../lib/result.js';
import { type Percentiles, percentiles } from '../lib/stats.js';

/** Latency percentiles of one run, plus what the load client itself spent per frame received. */
type LatencyRun = Percentiles & { clientCpuUsPerFrame: number };

import {
  ENDPOINTS,
  type Endpoint,
  FANOUT_SUBSCRIPTION,
  type OursServer,
  type RawServer,
  startOurs,
  startRaw,
} from '../servers.js';

export interface LatencyParams {
  k: number;
  events: number;
  intervalMs: number;
}

function check(done: DoneReport, expected: number, notes: string[], what: string): LatencyRun {
  const samples = done.latencies ?? [];
  if (done.failed > 0 || samples.length < expected)
    notes.push(
      `${what}: ${samples.length} of ${expected} samples, ${done.failed} failed (${done.firstError ?? ''})`,
    );
  return {
    ...percentiles(samples),
    clientCpuUsPerFrame: (done.clientCpuMs * 1000) / Math.max(1, done.frames),
  };
}

async function runRaw(
  ctx: BenchContext,
  raw: RawServer,
  p: LatencyParams,
  notes: string[],
): Promise<LatencyRun> {
  const plan = ctx.fake.next({ kind: 'paced', deltas: p.events, intervalMs: p.intervalMs });
  await ctx.client.connect(raw.url, { query: FANOUT_SUBSCRIPTION }, p.k);
  raw.command({ type: 'relay', providerUrl: ctx.fake.url });
  await plan.started;
  await sleep(300);
  await ctx.client.arm(p.events + 1, true);
  plan.go();
  const done = await ctx.client.done();
  await raw.waitFor('relay-done');
  await ctx.client.close();
  return check(done, p.k * p.events, notes, 'raw');
}

async function runOurs(
  ctx: BenchContext,
  ours: OursServer,
  endpoint: Endpoint,
  p: LatencyParams,
  notes: string[],
): Promise<LatencyRun> {
  const plan = ctx.fake.next({ kind: 'paced', deltas: p.events, intervalMs: p.intervalMs });
  const streamId = await ours.startCompletion('latency benchmark');
  await plan.started;
  await ctx.client.connect(
    `${ours.origin}${ENDPOINTS[endpoint]}`,
    { query: FANOUT_SUBSCRIPTION, variables: { id: streamId } },
    p.k,
  );
  await sleep(300);
  await ctx.client.arm(p.events + 1, true);
  plan.go();
  const done = await ctx.client.done();
  await plan.finished;
  await ctx.client.close();
  return check(done, p.k * p.events, notes, endpoint);
}

export async function latency(ctx: BenchContext, p: LatencyParams): Promise<ScenarioResult> {
  const started = monoMs();
  const ours = await startOurs(ctx.fake.url, ctx.oursEnv);
  let raw: RawServer | undefined;
  const notes: string[] = [];
  const metrics: Metric[] = [];
  const runs: Record<string, LatencyRun[]> = { raw: [] };
  try {
    raw = await startRaw();
    const endpoints: Endpoint[] = ctx.yogaSse ? ['graphql-sse', 'yoga-sse'] : ['graphql-sse'];
    for (const endpoint of endpoints) runs[endpoint] = [];
    const variants = ['raw', ...endpoints] as const;
    for (let round = 0; round < ctx.rounds; round++) {
      const order = variants.map((_, i) => variants[(i + round) % variants.length] ?? 'raw');
      for (const variant of order) {
        const result =
          variant === 'raw' ? await runRaw(ctx, raw, p, notes) : await runOurs(ctx, ours, variant, p, notes);
        runs[variant]?.push(result);
        ctx.log(
          `  latency K=${p.k} round ${round + 1} ${variant}: p50 ${result.p50.toFixed(2)} ms, p99 ${result.p99.toFixed(2)} ms, max ${result.max.toFixed(1)} ms (n=${result.n})`,
        );
      }
    }
    const rawRuns = runs.raw ?? [];
    for (const endpoint of endpoints) {
      const oursRuns = runs[endpoint] ?? [];
      const suffix = endpoint === 'graphql-sse' ? '' : ` (${endpoint})`;
      const spec = { unit: 'ms', better: 'lower' as const, baselineName: 'raw node:http SSE' };
      metrics.push(
        metric(
          { ...spec, id: `latency.k${p.k}.${endpoint}.p50`, label: `Fan-out latency p50, K=${p.k}${suffix}` },
          rawRuns.map((r) => r.p50),
          oursRuns.map((r) => r.p50),
        ),
        metric(
          {
            ...spec,
            id: `latency.k${p.k}.${endpoint}.p99`,
            label: `Fan-out latency p99, K=${p.k}${suffix}`,
            target: { on: 'ratio', op: '<=', value: 1.5, text: '≤ 1.5× raw' },
          },
          rawRuns.map((r) => r.p99),
          oursRuns.map((r) => r.p99),
        ),
      );
    }
  } finally {
    await Promise.allSettled([ours.stop(), raw?.stop()]);
  }
  return {
    scenario: 'latency',
    at: new Date().toISOString(),
    durationS: (monoMs() - started) / 1000,
    params: { ...p, rounds: ctx.rounds },
    metrics,
    details: runs,
    notes,
  };
}
