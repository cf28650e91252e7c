/**
 * Transform chain cost per event: runs bench/transform-chain.ts (its own process, one per round) and
 * reads its table. The passthrough (no transform) is the baseline of every other row.
 *
 * The script prints a table rather than exporting a function, so its stdout format is the interface:
 * `<name padded to 27> <µs/event> [+<extra>] <events out>` under a header starting with "scenario".
 */
import { monoMs } from '../lib/clock.js';
import type { BenchContext } from '../lib/context.js';
import { spawnNode } from '../lib/proc.js';
import { type Metric, metric, type ScenarioResult } from '../lib/result.js';

export interface TransformParams {
  deltas: number;
  runs: number;
}

const ROW = /^(.+?)\s+(\d+(?:\.\d+)?)\s+(?:\+\d+(?:\.\d+)?\s+)?(\d+)$/;

async function runScript(p: TransformParams): Promise<Map<string, number>> {
  const child = spawnNode('transform-chain', 'bench/transform-chain.ts', {
    env: { NODE_ENV: 'production' },
    args: [String(p.deltas), String(p.runs)],
  });
  // The script runs to completion and exits; its pipe closes with it.
  const code = await child.exited;
  if (code !== 0) throw new Error(`transform-chain exited with ${code}: ${child.stderr().slice(-2000)}`);
  const rows = new Map<string, number>();
  let inTable = false;
  for (const line of child.stdout().split('\n')) {
    if (line.startsWith('scenario')) {
      inTable = true;
      continue;
    }
    const match = inTable ? ROW.exec(line.trim()) : null;
    if (match?.[1] && match[2]) rows.set(match[1].trim(), Number(match[2]));
  }
  if (rows.size === 0) throw new Error(`no table in transform-chain output:\n${child.stdout().slice(-2000)}`);
  return rows;
}

export async function transforms(ctx: BenchContext, p: TransformParams): Promise<ScenarioResult> {
  const started = monoMs();
  const rounds: Map<string, number>[] = [];
  for (let round = 0; round < ctx.rounds; round++) {
    const rows = await runScript(p);
    rounds.push(rows);
    ctx.log(`  transforms round ${round + 1}: ${[...rows].map(([n, us]) => `${n} ${us}`).join(', ')}`);
  }
  const first = rounds[0] ?? new Map<string, number>();
  const names = [...first.keys()];
  const baseName = names.find((n) => n.startsWith('passthrough')) ?? names[0] ?? '';
  const base = rounds.map((r) => r.get(baseName) ?? Number.NaN);
  const metrics: Metric[] = names
    .filter((n) => n !== baseName)
    .map((name) =>
      metric(
        {
          id: `transforms.${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}`,
          label: `Transform chain: ${name}, per event`,
          unit: 'µs',
          better: 'lower',
          baselineName: baseName,
          // A ratio over a near-free passthrough says little; the cost added per event does.
          show: 'added',
        },
        base,
        rounds.map((r) => r.get(name) ?? Number.NaN),
      ),
    );
  return {
    scenario: 'transforms',
    at: new Date().toISOString(),
    durationS: (monoMs() - started) / 1000,
    params: { ...p, rounds: ctx.rounds, script: 'bench/transform-chain.ts' },
    metrics,
    details: { rounds: rounds.map((r) => Object.fromEntries(r)) },
    notes: [],
  };
}
