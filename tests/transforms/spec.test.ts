import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors.js';
import { isStatelessSpec, normalizeTransform } from '../../src/edge/transforms/spec.js';

function invalidField(input: unknown): unknown {
  try {
    normalizeTransform(input);
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('INVALID_INPUT');
    return (error as AppError).details.field;
  }
  throw new Error('expected INVALID_INPUT');
}

describe('normalizeTransform', () => {
  it('returns null when nothing is asked for', () => {
    expect(normalizeTransform(null)).toBeNull();
    expect(normalizeTransform(undefined)).toBeNull();
    expect(normalizeTransform({})).toBeNull();
    expect(
      normalizeTransform({ types: null, coalesceMs: 0, maxEventsPerSecond: null, format: 'RAW', redact: [] }),
    ).toBeNull();
  });

  it('keeps a canonical spec: sorted, de-duplicated lists, RAW dropped', () => {
    expect(
      normalizeTransform({
        types: ['CompletionDelta', 'CompletionStarted', 'CompletionDelta'],
        coalesceMs: 50,
        maxEventsPerSecond: 2.5,
        format: 'PLAIN',
        redact: ['API_KEY', 'EMAIL', 'API_KEY'],
      }),
    ).toEqual({
      types: ['CompletionDelta', 'CompletionStarted'],
      coalesceMs: 50,
      maxEventsPerSecond: 2.5,
      format: 'PLAIN',
      redact: ['EMAIL', 'API_KEY'],
    });
  });

  it('accepts the bounds', () => {
    expect(normalizeTransform({ coalesceMs: 1 })).toEqual({ coalesceMs: 1 });
    expect(normalizeTransform({ coalesceMs: 60_000 })).toEqual({ coalesceMs: 60_000 });
    expect(normalizeTransform({ maxEventsPerSecond: 1000 })).toEqual({ maxEventsPerSecond: 1000 });
    expect(normalizeTransform({ maxEventsPerSecond: 0.01 })).toEqual({ maxEventsPerSecond: 0.01 });
  });

  it('rejects bad values with INVALID_INPUT naming the field', () => {
    expect(invalidField({ coalesceMs: -1 })).toBe('transform.coalesceMs');
    expect(invalidField({ coalesceMs: 60_001 })).toBe('transform.coalesceMs');
    expect(invalidField({ coalesceMs: 1.5 })).toBe('transform.coalesceMs');
    expect(invalidField({ maxEventsPerSecond: 0 })).toBe('transform.maxEventsPerSecond');
    expect(invalidField({ maxEventsPerSecond: -3 })).toBe('transform.maxEventsPerSecond');
    expect(invalidField({ maxEventsPerSecond: 1000.5 })).toBe('transform.maxEventsPerSecond');
    expect(invalidField({ maxEventsPerSecond: Number.NaN })).toBe('transform.maxEventsPerSecond');
    expect(invalidField({ types: [] })).toBe('transform.types');
    expect(invalidField({ types: ['CompletionDelta', ''] })).toBe('transform.types');
    expect(invalidField({ types: ['  '] })).toBe('transform.types');
    expect(invalidField({ format: 'HTML' })).toBe('transform.format');
    expect(invalidField({ redact: ['SSN'] })).toBe('transform.redact');
    expect(invalidField('PLAIN')).toBe('transform');
  });
});

describe('isStatelessSpec', () => {
  it('is true only for no spec or a type filter', () => {
    expect(isStatelessSpec(null)).toBe(true);
    expect(isStatelessSpec({})).toBe(true);
    expect(isStatelessSpec({ types: ['CompletionDelta'] })).toBe(true);
    expect(isStatelessSpec({ format: 'RAW' })).toBe(true);
    expect(isStatelessSpec({ format: 'PLAIN' })).toBe(false);
    expect(isStatelessSpec({ redact: ['EMAIL'] })).toBe(false);
    expect(isStatelessSpec({ coalesceMs: 10 })).toBe(false);
    expect(isStatelessSpec({ types: ['CompletionDelta'], maxEventsPerSecond: 5 })).toBe(false);
  });
});
