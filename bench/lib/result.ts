/** The shape every scenario reports, so the runner can tabulate and judge them the same way. */
import { type Summary, summarize } from './stats.js';

/**
 * A target is judged on the median across rounds of the ratio ours/baseline, of the difference
 * ours − baseline (for "added" costs such as time to first token), or of ours alone (an absolute bound).
 */
export interface Target {
  on: 'ratio' | 'added' | 'ours';
  op: '>=' | '<=';
  value: number;
  /** How the target reads in the table, e.g. "≥ 0.5× raw". */
  text: string;
}

export interface Metric {
  id: string;
  label: string;
  unit: string;
  /** Which direction is good for the raw values (and so for the ratio). */
  better: 'higher' | 'lower';
  baselineName: string;
  baseline: Summary;
  ours: Summary;
  /** ours / baseline, per round. */
  ratio: Summary;
  /** ours − baseline, per round. */
  added: Summary;
  target?: Target;
  /** What the comparison column shows: the ratio (default) or ours − baseline (an added cost). */
  show?: 'ratio' | 'added';
  /** Null when there is no target. */
  met: boolean | null;
}

export interface ScenarioResult {
  scenario: string;
  /** ISO time the scenario finished. */
  at: string;
  durationS: number;
  /** Commit the scenario ran on (`+dirty` with uncommitted changes in src/); set by the runner. */
  commit?: string;
  params: Record<string, unknown>;
  metrics: Metric[];
  /** Anything else worth keeping (per-round raw numbers, client overhead, errors). */
  details: Record<string, unknown>;
  notes: string[];
}

/** Builds a metric from per-round values of both sides (same length, same round order). */
export function metric(
  spec: Omit<Metric, 'baseline' | 'ours' | 'ratio' | 'added' | 'met'>,
  baselineRounds: readonly number[],
  oursRounds: readonly number[],
): Metric {
  const ratio = oursRounds.map((v, i) => v / (baselineRounds[i] ?? Number.NaN));
  const added = oursRounds.map((v, i) => v - (baselineRounds[i] ?? Number.NaN));
  const result: Metric = {
    ...spec,
    baseline: summarize(baselineRounds),
    ours: summarize(oursRounds),
    ratio: summarize(ratio),
    added: summarize(added),
    met: null,
  };
  result.met = judge(result);
  return result;
}

export function judge(m: Metric): boolean | null {
  if (!m.target) return null;
  const value =
    m.target.on === 'ratio' ? m.ratio.median : m.target.on === 'added' ? m.added.median : m.ours.median;
  if (!Number.isFinite(value)) return false;
  return m.target.op === '>=' ? value >= m.target.value : value <= m.target.value;
}
