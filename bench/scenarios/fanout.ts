/**
 * Live fan-out: K SSE subscribers of one stream, N deltas as fast as possible. Delivered events/s
 * (K×N over the time from the trigger to the last subscriber's last delta) and server CPU µs per
 * delivered event (utime+stime of the server process over the same interval), ours vs the raw server.
 */
import { monoMs, sleep } from '../lib/clock.js';
import type { BenchContext } from '../lib/context.js';
import { cpuMs } from '../lib/proc.js';
import type { DoneReport } from '../lib/protocol.js';
import { type Metric, metric, type ScenarioResult, type Target } from '../lib/result.js';
import {
  ENDPOINTS,
  type Endpoint,
  FANOUT_SUBSCRIPTION,
  type OursServer,
  type RawServer,
  startOurs,
  startRaw,
} from '../servers.js';

export interface FanoutSize {
  k: number;
  n: number;
}

interface Burst {
  /** Delivered events per second. */
  rate: number;
  /** Server CPU µs per delivered event. */
  cpuUs: number;
  wallMs: number;
  serverCpuMs: number;
  clientCpuMs: number;
  joinMs: number;
  frames: number;
  failed: number;
  firstError?: string;
}

type Variant = 'raw' | Endpoint;

function measured(
  k: number,
  n: number,
  t0: number,
  cpu0: number,
  pid: number,
  done: DoneReport,
  joinMs: number,
) {
  const serverCpuMs = cpuMs(pid) - cpu0;
  const wallMs = done.lastAt - t0;
  const delivered = k * n;
  const burst: Burst = {
    rate: (delivered / wallMs) * 1000,
    cpuUs: (serverCpuMs * 1000) / delivered,
    wallMs,
    serverCpuMs,
    clientCpuMs: done.clientCpuMs,
    joinMs,
    frames: done.frames,
    failed: done.failed,
    ...(done.firstError !== undefined && { firstError: done.firstError }),
  };
  return burst;
}

async function burstRaw(ctx: BenchContext, raw: RawServer, { k, n }: FanoutSize): Promise<Burst> {
  const plan = ctx.fake.next({ kind: 'burst', deltas: n });
  const joined = await ctx.client.connect(raw.url, { query: FANOUT_SUBSCRIPTION }, k);
  raw.command({ type: 'relay', providerUrl: ctx.fake.url });
  await plan.started;
  await sleep(200);
  await ctx.client.arm(n + 1, false);
  const cpu0 = cpuMs(raw.child.pid);
  const t0 = monoMs();
  plan.go();
  const done = await ctx.client.done();
  const result = measured(k, n, t0, cpu0, raw.child.pid, done, joined.ms);
  const relayed = await raw.waitFor('relay-done');
  if (relayed.deltas !== n)
    throw new Error(`raw relayed ${relayed.deltas} of ${n} deltas ${relayed.error ?? ''}`);
  await ctx.client.close();
  return result;
}

async function burstOurs(
  ctx: BenchContext,
  ours: OursServer,
  endpoint: Endpoint,
  { k, n }: FanoutSize,
): Promise<Burst> {
  const plan = ctx.fake.next({ kind: 'burst', deltas: n });
  const streamId = await ours.startCompletion('fan-out benchmark');
  await plan.started;
  const joined = await ctx.client.connect(
    `${ours.origin}${ENDPOINTS[endpoint]}`,
    { query: FANOUT_SUBSCRIPTION, variables: { id: streamId } },
    k,
  );
  await sleep(200);
  // Seq 1 is CompletionStarted; the N deltas are seq 2..N+1.
  await ctx.client.arm(n + 1, false);
  const cpu0 = cpuMs(ours.child.pid);
  const t0 = monoMs();
  plan.go();
  const done = await ctx.client.done();
  const result = measured(k, n, t0, cpu0, ours.child.pid, done, joined.ms);
  await plan.finished;
  await ctx.client.close();
  return result;
}

export async function fanout(ctx: BenchContext, sizes: FanoutSize[]): Promise<ScenarioResult> {
  const started = monoMs();
  const ours = await startOurs(ctx.fake.url, ctx.oursEnv);
  let raw: RawServer | undefined;
  const metrics: Metric[] = [];
  const details: Record<string, unknown> = {};
  const notes: string[] = [];
  try {
    raw = await startRaw();
    const endpoints: Endpoint[] = ctx.yogaSse ? ['graphql-sse', 'yoga-sse'] : ['graphql-sse'];
    const variants: Variant[] = ['raw', ...endpoints];
    // One unmeasured burst per server warms the JIT and the connection paths.
    await burstRaw(ctx, raw, { k: 10, n: 50 });
    for (const endpoint of endpoints) await burstOurs(ctx, ours, endpoint, { k: 10, n: 50 });

    for (const size of sizes) {
      const runs = new Map<Variant, Burst[]>(variants.map((v) => [v, []]));
      for (let round = 0; round < ctx.rounds; round++) {
        // Rotating the order spreads any drift (page cache, heap growth, thermal) over every variant.
        const order = variants.map((_, i) => variants[(i + round) % variants.length] as Variant);
        for (const variant of order) {
          const burst =
            variant === 'raw' ? await burstRaw(ctx, raw, size) : await burstOurs(ctx, ours, variant, size);
          runs.get(variant)?.push(burst);
          ctx.log(
            `  fanout K=${size.k} N=${size.n} round ${round + 1} ${variant}: ${Math.round(burst.rate)} ev/s, ` +
              `${burst.cpuUs.toFixed(2)} µs CPU/ev, wall ${Math.round(burst.wallMs)} ms, client CPU ${Math.round(burst.clientCpuMs)} ms` +
              (burst.failed ? `, ${burst.failed} FAILED (${burst.firstError})` : ''),
          );
          if (burst.failed)
            notes.push(
              `K=${size.k} ${variant} round ${round + 1}: ${burst.failed} subscribers ended early (${burst.firstError})`,
            );
        }
      }
      const rawRuns = runs.get('raw') ?? [];
      for (const endpoint of endpoints) {
        const oursRuns = runs.get(endpoint) ?? [];
        const suffix = endpoint === 'graphql-sse' ? '' : ` (${endpoint})`;
        const rateTarget: Target | undefined =
          size.k >= 1000 ? { on: 'ratio', op: '>=', value: 0.5, text: '≥ 0.5× raw' } : undefined;
        metrics.push(
          metric(
            {
              id: `fanout.k${size.k}.${endpoint}.rate`,
              label: `Delivered events/s, K=${size.k}, N=${size.n}${suffix}`,
              unit: 'events/s',
              better: 'higher',
              baselineName: 'raw node:http SSE',
              ...(rateTarget && { target: rateTarget }),
            },
            rawRuns.map((r) => r.rate),
            oursRuns.map((r) => r.rate),
          ),
          metric(
            {
              id: `fanout.k${size.k}.${endpoint}.cpu`,
              label: `Server CPU per delivered event, K=${size.k}${suffix}`,
              unit: 'µs',
              better: 'lower',
              baselineName: 'raw node:http SSE',
              target: { on: 'ratio', op: '<=', value: 2, text: '≤ 2× raw' },
            },
            rawRuns.map((r) => r.cpuUs),
            oursRuns.map((r) => r.cpuUs),
          ),
        );
      }
      details[`k${size.k}`] = Object.fromEntries(runs);
    }
  } finally {
    await Promise.allSettled([ours.stop(), raw?.stop()]);
  }
  return {
    scenario: 'fanout',
    at: new Date().toISOString(),
    durationS: (monoMs() - started) / 1000,
    params: { sizes, rounds: ctx.rounds, yogaSse: ctx.yogaSse },
    metrics,
    details,
    notes,
  };
}
