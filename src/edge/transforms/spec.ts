import { invalidInput } from '../../domain/errors.js';

/** The `RedactionRule` enum of the GraphQL contract. */
export type RedactionRule = 'EMAIL' | 'PHONE' | 'CREDIT_CARD' | 'API_KEY';

/** The `TextFormat` enum of the GraphQL contract. */
export type TextFormat = 'RAW' | 'PLAIN';

/** Every redaction rule, in the order they are listed in the contract (also the canonical order). */
export const REDACTION_RULES: readonly RedactionRule[] = ['EMAIL', 'PHONE', 'CREDIT_CARD', 'API_KEY'];

/**
 * What a subscription's `transform` asks for, validated and canonical: absent fields are off, lists
 * are de-duplicated and sorted, so `JSON.stringify(spec)` is a stable key for grouping subscribers.
 */
export interface TransformSpec {
  /** Deliver only these event types (terminal events always pass). */
  types?: string[];
  /** Merge consecutive deltas of one message arriving within this many milliseconds. */
  coalesceMs?: number;
  /** Deliver at most this many events per second, merging deltas held back meanwhile. */
  maxEventsPerSecond?: number;
  /** Only `PLAIN` is ever kept: `RAW` is the identity. */
  format?: TextFormat;
  redact?: RedactionRule[];
}

/** The GraphQL `StreamTransformInput` as a resolver receives it: every field nullable. */
export interface StreamTransformInput {
  types?: readonly string[] | null;
  coalesceMs?: number | null;
  maxEventsPerSecond?: number | null;
  format?: TextFormat | null;
  redact?: readonly RedactionRule[] | null;
}

/** Longest accepted coalescing window: beyond a minute a "stream" is a batch job. */
export const MAX_COALESCE_MS = 60_000;
/** Highest accepted pacing rate; faster than that, pacing is not what the client wants. */
export const MAX_EVENTS_PER_SECOND = 1000;

/**
 * Validates a subscription's `transform` argument (a `StreamTransformInput` from GraphQL, or anything
 * else a caller hands over). Returns null when it asks for nothing, so the caller can skip the
 * transform layer entirely. Throws INVALID_INPUT naming the offending field.
 */
export function normalizeTransform(input: unknown): TransformSpec | null {
  if (input === null || input === undefined) return null;
  if (typeof input !== 'object' || Array.isArray(input)) {
    throw invalidInput('transform must be a StreamTransformInput object', 'transform');
  }
  const fields = input as Record<keyof StreamTransformInput, unknown>;
  const spec: TransformSpec = {};

  const types = normalizeTypes(fields.types);
  if (types) spec.types = types;

  const coalesceMs = fields.coalesceMs;
  if (coalesceMs !== null && coalesceMs !== undefined && coalesceMs !== 0) {
    if (
      typeof coalesceMs !== 'number' ||
      !Number.isInteger(coalesceMs) ||
      coalesceMs < 1 ||
      coalesceMs > MAX_COALESCE_MS
    ) {
      throw invalidInput(
        `transform.coalesceMs must be an integer from 1 to ${MAX_COALESCE_MS} (0 or null turns coalescing off)`,
        'transform.coalesceMs',
      );
    }
    spec.coalesceMs = coalesceMs;
  }

  const rate = fields.maxEventsPerSecond;
  if (rate !== null && rate !== undefined) {
    if (typeof rate !== 'number' || !Number.isFinite(rate) || rate <= 0 || rate > MAX_EVENTS_PER_SECOND) {
      throw invalidInput(
        `transform.maxEventsPerSecond must be greater than 0 and at most ${MAX_EVENTS_PER_SECOND}`,
        'transform.maxEventsPerSecond',
      );
    }
    spec.maxEventsPerSecond = rate;
  }

  const format = fields.format;
  if (format !== null && format !== undefined) {
    if (format !== 'RAW' && format !== 'PLAIN') {
      throw invalidInput('transform.format must be RAW or PLAIN', 'transform.format');
    }
    if (format === 'PLAIN') spec.format = 'PLAIN';
  }

  const redact = normalizeRules(fields.redact);
  if (redact) spec.redact = redact;

  return Object.keys(spec).length > 0 ? spec : null;
}

function normalizeTypes(types: unknown): string[] | undefined {
  if (types === null || types === undefined) return undefined;
  if (!Array.isArray(types) || types.length === 0) {
    // An empty filter would deliver only the terminal event: almost certainly a client bug.
    throw invalidInput(
      'transform.types must list at least one event type (omit it to receive all)',
      'transform.types',
    );
  }
  for (const type of types) {
    if (typeof type !== 'string' || type.trim() === '') {
      throw invalidInput('transform.types must contain non-empty type names', 'transform.types');
    }
  }
  return [...new Set(types as string[])].sort();
}

function normalizeRules(rules: unknown): RedactionRule[] | undefined {
  if (rules === null || rules === undefined) return undefined;
  if (!Array.isArray(rules))
    throw invalidInput('transform.redact must be a list of rules', 'transform.redact');
  for (const rule of rules as unknown[]) {
    if (!REDACTION_RULES.includes(rule as RedactionRule)) {
      throw invalidInput(`transform.redact: unknown rule ${JSON.stringify(rule)}`, 'transform.redact');
    }
  }
  const chosen = REDACTION_RULES.filter((rule) => (rules as unknown[]).includes(rule));
  return chosen.length > 0 ? chosen : undefined;
}

/**
 * True when the output for each source event depends on that event alone (only a type filter, or
 * nothing): subscribers with such a spec can share one transformed feed whatever their start
 * position. Redaction, formatting, coalescing and pacing all carry state across events.
 */
export function isStatelessSpec(spec: TransformSpec | null): boolean {
  if (!spec) return true;
  return (
    spec.coalesceMs === undefined &&
    spec.maxEventsPerSecond === undefined &&
    spec.format !== 'PLAIN' &&
    (spec.redact === undefined || spec.redact.length === 0)
  );
}
