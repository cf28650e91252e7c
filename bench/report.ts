/** Results file and the generated section of docs/benchmarks.md. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './lib/proc.js';
import type { Metric, ScenarioResult } from './lib/result.js';
import type { Summary } from './lib/stats.js';

export interface Environment {
  node: string;
  cpus: number;
  cpuModel: string;
  kernel: string;
  memoryGiB: number;
  commit: string;
  /** Uncommitted changes in the working tree when the run started (src/ may differ from the commit). */
  dirty: boolean;
  /** Extra environment our server ran with (`--env`). */
  oursEnv?: Record<string, string>;
}

export interface FailedScenario {
  scenario: string;
  at: string;
  error: string;
}

export interface ResultsFile {
  date: string;
  quick: boolean;
  environment: Environment;
  /** By scenario name; a partial run (`--only`) replaces only its own scenarios. */
  scenarios: Record<string, ScenarioResult>;
  failures: Record<string, FailedScenario>;
}

export function environment(): Environment {
  const git = (args: string[]): string => {
    try {
      return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
    } catch {
      return '';
    }
  };
  return {
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    kernel: os.release(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    commit: git(['rev-parse', '--short', 'HEAD']) || 'unknown',
    dirty: git(['status', '--porcelain', '--', 'src', 'prisma', 'package.json']) !== '',
  };
}

export function resultsPath(date: string, label: string | undefined, quick: boolean): string {
  const name = [date, label, quick ? 'quick' : undefined].filter(Boolean).join('-');
  return path.join(ROOT, 'bench', 'results', `${name}.json`);
}

/** Merges this run's scenarios into the file of the same name (if any) and writes it. */
export function writeResults(
  file: string,
  run: Omit<ResultsFile, 'scenarios' | 'failures'>,
  scenarios: ScenarioResult[],
  failures: FailedScenario[],
): ResultsFile {
  let merged: ResultsFile = { ...run, scenarios: {}, failures: {} };
  if (existsSync(file)) {
    const previous = JSON.parse(readFileSync(file, 'utf8')) as ResultsFile;
    merged = { ...run, scenarios: previous.scenarios ?? {}, failures: previous.failures ?? {} };
  }
  for (const s of scenarios) {
    merged.scenarios[s.scenario] = s;
    delete merged.failures[s.scenario];
  }
  for (const f of failures) merged.failures[f.scenario] = f;
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(merged, null, 2)}\n`);
  return merged;
}

function formatValue(value: number, unit: string): string {
  if (!Number.isFinite(value)) return '—';
  if (unit === 'events/s') {
    if (value >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
    if (value >= 1e3) return `${(value / 1e3).toFixed(1)}k`;
    return value.toFixed(0);
  }
  const abs = Math.abs(value);
  return abs >= 100 ? value.toFixed(0) : abs >= 10 ? value.toFixed(1) : value.toFixed(2);
}

function formatSummary(s: Summary, unit: string): string {
  if (!Number.isFinite(s.median)) return '—';
  const spread = s.rounds.length > 1 ? ` (${formatValue(s.min, unit)}–${formatValue(s.max, unit)})` : '';
  return `${formatValue(s.median, unit)}${spread}`;
}

function formatRatio(m: Metric): string {
  if (m.show === 'added') {
    const a = m.added;
    if (!Number.isFinite(a.median)) return '—';
    const spread = a.rounds.length > 1 ? ` (${a.min.toFixed(2)}–${a.max.toFixed(2)})` : '';
    return `+${a.median.toFixed(2)} ${m.unit}${spread}`;
  }
  if (!Number.isFinite(m.ratio.median)) return '—';
  const spread = m.ratio.rounds.length > 1 ? ` (${m.ratio.min.toFixed(2)}–${m.ratio.max.toFixed(2)})` : '';
  return `${m.ratio.median.toFixed(2)}×${spread}`;
}

function formatMet(m: Metric): string {
  if (m.met === null || !m.target) return '';
  const mark = m.met ? '**yes**' : '**no**';
  if (m.target.on === 'added') {
    const added = m.added.median;
    return `${mark} (${added >= 0 ? '+' : ''}${added.toFixed(2)} ${m.unit})`;
  }
  return mark;
}

/** The summary table: one row per metric, in scenario order. */
export function summaryTable(results: ResultsFile, order: readonly string[]): string {
  const lines = [
    '| Metric | Unit | Better | Baseline | Ours | Ours/baseline (or added) | Target | Met? |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const name of order) {
    const scenario = results.scenarios[name];
    if (!scenario) continue;
    for (const m of scenario.metrics) {
      lines.push(
        `| ${m.label} | ${m.unit} | ${m.better} | ${formatSummary(m.baseline, m.unit)} ${m.baselineName === '—' ? '' : `<br><sub>${m.baselineName}</sub>`} | ${formatSummary(m.ours, m.unit)} | ${formatRatio(m)} | ${m.target?.text ?? ''} | ${formatMet(m)} |`,
      );
    }
  }
  return lines.join('\n');
}

/** Client overhead and other numbers the table cannot show, one bullet per scenario. */
function scenarioNotes(results: ResultsFile, order: readonly string[]): string[] {
  const out: string[] = [];
  for (const name of order) {
    const s = results.scenarios[name];
    if (!s) continue;
    const params = Object.entries(s.params)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(', ');
    out.push(
      `- **${name}** (${s.at.slice(0, 16).replace('T', ' ')} UTC, ${s.durationS.toFixed(0)} s, commit ${s.commit ?? '?'}): ${params}`,
    );
    if (name === 'fanout') {
      for (const [size, runs] of Object.entries(s.details)) {
        for (const [variant, list] of Object.entries(runs as Record<string, FanoutRun[]>)) {
          const wall = list.map((r) => r.wallMs);
          const client = list.map((r) => r.clientCpuMs);
          const join = list.map((r) => r.joinMs);
          const med = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? Number.NaN;
          out.push(
            `  - ${size} ${variant}: burst wall ${med(wall).toFixed(0)} ms, load-client CPU ${med(client).toFixed(0)} ms ` +
              `(${((med(client) / med(wall)) * 100).toFixed(0)}% of one core), K joins in ${med(join).toFixed(0)} ms`,
          );
        }
      }
    }
    if (name === 'latency') {
      const k = Number(s.params.k);
      for (const [variant, list] of Object.entries(
        s.details as Record<string, { clientCpuUsPerFrame?: number }[]>,
      )) {
        const per = list.map((r) => r.clientCpuUsPerFrame ?? Number.NaN).sort((a, b) => a - b);
        const mid = per[Math.floor(per.length / 2)] ?? Number.NaN;
        if (Number.isFinite(mid))
          out.push(
            `  - ${variant}: load client CPU ${mid.toFixed(1)} µs per frame received, so reading one event on all ${k} sockets takes it ≈ ${((mid * k) / 1000).toFixed(1)} ms`,
          );
      }
    }
    if (name === 'ttft') {
      const pooled = s.details.pooled as { addedP50: number; addedP99: number } | undefined;
      if (pooled)
        out.push(
          `  - pooled over all runs: added p50 ${pooled.addedP50.toFixed(2)} ms, added p99 ${pooled.addedP99.toFixed(2)} ms`,
        );
    }
    for (const note of s.notes) out.push(`  - ⚠ ${note}`);
  }
  for (const f of Object.values(results.failures))
    out.push(`- **${f.scenario} FAILED** (${f.at.slice(0, 16).replace('T', ' ')} UTC): ${f.error}`);
  return out;
}

interface FanoutRun {
  wallMs: number;
  clientCpuMs: number;
  joinMs: number;
}

export const BEGIN = '<!-- bench:begin (generated by npm run bench; edits inside are overwritten) -->';
export const END = '<!-- bench:end -->';

export function generatedSection(results: ResultsFile, order: readonly string[], file: string): string {
  const env = results.environment;
  const met = order.flatMap((name) => results.scenarios[name]?.metrics ?? []).filter((m) => m.met !== null);
  const hits = met.filter((m) => m.met).length;
  return [
    BEGIN,
    '',
    `Run of ${results.date} — \`${path.relative(ROOT, file)}\`: Node ${env.node}, ${env.cpus} × ${env.cpuModel}, ` +
      `Linux ${env.kernel}, ${env.memoryGiB} GiB; commit ${env.commit}${env.dirty ? ' with uncommitted changes in src/' : ''}` +
      `${
        env.oursEnv && Object.keys(env.oursEnv).length > 0
          ? `; our server with ${Object.entries(env.oursEnv)
              .map(([k, v]) => `${k}=${v}`)
              .join(' ')}`
          : ''
      }.`,
    `Medians across rounds, (min–max) in brackets; ratios are ours/baseline per round. Targets met: ${hits} of ${met.length}.`,
    '',
    summaryTable(results, order),
    '',
    ...scenarioNotes(results, order),
    '',
    END,
  ].join('\n');
}

/** Replaces the generated section of the document, keeping everything written by hand around it. */
export function updateDoc(docFile: string, section: string): void {
  const current = existsSync(docFile) ? readFileSync(docFile, 'utf8') : '';
  const begin = current.indexOf('<!-- bench:begin');
  const end = current.indexOf(END);
  const next =
    begin >= 0 && end > begin
      ? current.slice(0, begin) + section + current.slice(end + END.length)
      : `${current.trimEnd()}\n\n## Latest results\n\n${section}\n`;
  writeFileSync(docFile, next);
}
