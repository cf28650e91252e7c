/** Small statistics helpers: the harness reports medians and spreads, never single runs. */

/** The q-quantile (0..1) with linear interpolation; NaN for an empty sample. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return quantileSorted(sorted, q);
}

/** Same as {@link quantile} for an already sorted sample (avoids re-sorting large latency samples). */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  const a = sorted[low] ?? Number.NaN;
  const b = sorted[high] ?? Number.NaN;
  return a + (b - a) * (position - low);
}

export const median = (values: readonly number[]): number => quantile(values, 0.5);

/** A metric measured once per round: the median is the headline, min/max and IQR the spread. */
export interface Summary {
  median: number;
  min: number;
  max: number;
  q1: number;
  q3: number;
  /** One value per round, in run order. */
  rounds: number[];
}

export function summarize(rounds: readonly number[]): Summary {
  const finite = rounds.filter((v) => Number.isFinite(v));
  return {
    median: median(finite),
    min: finite.length ? Math.min(...finite) : Number.NaN,
    max: finite.length ? Math.max(...finite) : Number.NaN,
    q1: quantile(finite, 0.25),
    q3: quantile(finite, 0.75),
    rounds: [...rounds],
  };
}

/** p50/p90/p99/max of a latency sample, in the sample's unit. */
export interface Percentiles {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export function percentiles(values: ArrayLike<number>): Percentiles {
  const sorted = Float64Array.from(values).sort();
  const list = Array.from(sorted);
  return {
    n: list.length,
    p50: quantileSorted(list, 0.5),
    p90: quantileSorted(list, 0.9),
    p99: quantileSorted(list, 0.99),
    max: list.at(-1) ?? Number.NaN,
  };
}
