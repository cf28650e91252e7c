/**
 * `npm run bench [-- options]`: every scenario runs streamgate and its baseline side by side,
 * interleaved, over several rounds; results go to bench/results/<date>.json and the summary table to
 * docs/benchmarks.md. See docs/benchmarks.md for the method.
 *
 *   --only a,b        scenarios to run: fanout, latency, ttft, recording, memory, transforms
 *   --quick           small sizes, one round: for iterating; writes <date>-quick.json, leaves the doc alone
 *                     (so does --env: its results go to <date>-<KEY>-<value>.json unless --label says otherwise)
 *   --rounds N        rounds per scenario (default 3, quick 1)
 *   --label X         results file <date>-X.json (e.g. before/after a change)
 *   --no-docs         do not touch docs/benchmarks.md
 *   --no-yoga-sse     skip the Yoga built-in SSE variant (graphql-sse only)
 *   --env KEY=VALUE   extra environment for our server (repeatable), e.g. --env SHARED_FANOUT=off
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startFakeProvider } from './fake-provider.js';
import { monoMs } from './lib/clock.js';
import type { BenchContext } from './lib/context.js';
import { openFileLimit, ROOT } from './lib/proc.js';
import type { ScenarioResult } from './lib/result.js';
import {
  environment,
  type FailedScenario,
  generatedSection,
  resultsPath,
  summaryTable,
  updateDoc,
  writeResults,
} from './report.js';
import { type LoadClient, startLoadClient } from './servers.js';

const SCENARIOS = ['fanout', 'latency', 'ttft', 'recording', 'memory', 'transforms'] as const;
type ScenarioName = (typeof SCENARIOS)[number];

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    label: { type: 'string' },
    'no-docs': { type: 'boolean', default: false },
    'no-yoga-sse': { type: 'boolean', default: false },
    env: { type: 'string', multiple: true },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  process.stdout.write(
    `usage: npm run bench -- [--only ${SCENARIOS.join(',')}] [--quick] [--rounds N] [--label X] [--no-docs] [--no-yoga-sse] [--env KEY=VALUE]\n`,
  );
  process.exit(0);
}

const quick = values.quick ?? false;
const selected: ScenarioName[] = values.only
  ? values.only.split(',').map((name) => {
      const trimmed = name.trim();
      if (!(SCENARIOS as readonly string[]).includes(trimmed))
        throw new Error(`unknown scenario "${trimmed}"; choose from ${SCENARIOS.join(', ')}`);
      return trimmed as ScenarioName;
    })
  : [...SCENARIOS];
const rounds = values.rounds ? Number(values.rounds) : quick ? 1 : 3;
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a positive integer`);
const oursEnv: Record<string, string> = {};
for (const pair of values.env ?? []) {
  const eq = pair.indexOf('=');
  if (eq <= 0) throw new Error(`--env expects KEY=VALUE, got "${pair}"`);
  oursEnv[pair.slice(0, eq)] = pair.slice(eq + 1);
}

/**
 * Sizes: the full run fits the 10-minute budget on 2 cores even for a server without shared fan-out
 * (~5 min with SHARED_FANOUT=off, ~3 min with it); quick is for iteration.
 */
const SIZES = quick
  ? {
      fanout: [
        { k: 100, n: 300 },
        { k: 1000, n: 50 },
      ],
      latency: { k: 1000, events: 20, intervalMs: 100 },
      ttft: { runs: 30 },
      recording: { streams: 4, eventsPerStream: 5_000, steadyRate: 10_000, steadySeconds: 1 },
      memory: { k: 1000 },
      transforms: { deltas: 20_000, runs: 2 },
    }
  : {
      fanout: [
        // N = 3000 at K = 100 so a burst costs the server ~1 s of CPU: /proc counts in 10 ms ticks.
        { k: 100, n: 3000 },
        // N = 300 at K = 1000 keeps a naive (unshared) server's bursts near 13 s: the run stays < 10 min.
        { k: 1000, n: 300 },
      ],
      latency: { k: 1000, events: 50, intervalMs: 100 },
      ttft: { runs: 50 },
      recording: { streams: 4, eventsPerStream: 25_000, steadyRate: 10_000, steadySeconds: 2 },
      memory: { k: 1000 },
      transforms: { deltas: 100_000, runs: 5 },
    };

/**
 * Scenario modules are imported when they run: src/ changes under the harness, and an import that
 * breaks one scenario (a renamed export) must fail that scenario, not the whole run.
 */
async function run(name: ScenarioName, ctx: BenchContext): Promise<ScenarioResult> {
  switch (name) {
    case 'fanout':
      return (await import('./scenarios/fanout.js')).fanout(ctx, SIZES.fanout);
    case 'latency':
      return (await import('./scenarios/latency.js')).latency(ctx, SIZES.latency);
    case 'ttft':
      return (await import('./scenarios/ttft.js')).ttft(ctx, SIZES.ttft);
    case 'recording':
      return (await import('./scenarios/recording.js')).recording(ctx, SIZES.recording);
    case 'memory':
      return (await import('./scenarios/memory.js')).memory(ctx, SIZES.memory);
    case 'transforms':
      return (await import('./scenarios/transforms.js')).transforms(ctx, SIZES.transforms);
  }
}

async function main(): Promise<number> {
  const started = monoMs();
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const files = openFileLimit();
  log(
    `bench: ${selected.join(', ')}; ${rounds} round(s)${quick ? ', quick' : ''}; open files ${files.soft}/${files.hard}`,
  );
  const env = environment();
  const date = new Date().toISOString().slice(0, 10);
  const fake = await startFakeProvider();
  let client: LoadClient = startLoadClient();
  const done: ScenarioResult[] = [];
  const failures: FailedScenario[] = [];
  try {
    for (const name of selected) {
      const t = monoMs();
      log(`\n▶ ${name}`);
      const ctx: BenchContext = {
        fake,
        client,
        quick,
        rounds,
        yogaSse: !values['no-yoga-sse'],
        oursEnv,
        log,
      };
      try {
        const result = await run(name, ctx);
        done.push({ ...result, commit: `${env.commit}${env.dirty ? '+dirty' : ''}` });
        log(`  (${((monoMs() - t) / 1000).toFixed(0)} s)`);
      } catch (error) {
        const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
        log(`  ✗ ${name} failed: ${message}`);
        failures.push({
          scenario: name,
          at: new Date().toISOString(),
          error: message.split('\n')[0] ?? message,
        });
        // A failed scenario may leave sockets or a half-armed client behind: start the next one clean.
        await client.stop();
        client = startLoadClient();
      }
    }
  } finally {
    await Promise.allSettled([client.stop(), fake.close()]);
  }

  // A run with another server configuration never lands in (or on top of) the default results.
  const label =
    values.label ??
    (Object.keys(oursEnv).length > 0
      ? Object.entries(oursEnv)
          .map(([k, v]) => `${k}-${v}`.replace(/[^A-Za-z0-9_-]+/g, '_'))
          .join('-')
      : undefined);
  const file = resultsPath(date, label, quick);
  const merged = writeResults(file, { date, quick, environment: { ...env, oursEnv } }, done, failures);
  log(`\nresults: ${path.relative(ROOT, file)}\n`);
  log(summaryTable(merged, SCENARIOS));
  if (!quick && !values['no-docs'] && Object.keys(oursEnv).length === 0) {
    const doc = path.join(ROOT, 'docs', 'benchmarks.md');
    updateDoc(doc, generatedSection(merged, SCENARIOS, file));
    // Biome formats Markdown tables too: format now, or `npm run lint` fails after every run.
    try {
      execFileSync(path.join(ROOT, 'node_modules', '.bin', 'biome'), ['format', '--write', doc], {
        stdio: 'ignore',
      });
    } catch {
      log('could not format docs/benchmarks.md with Biome; run npm run format');
    }
    log(`\nupdated ${path.relative(ROOT, doc)}`);
  }
  log(`\nbench finished in ${((monoMs() - started) / 1000).toFixed(0)} s`);
  return failures.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
