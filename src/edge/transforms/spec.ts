// TEMPORARY STUB written by the lead engineer so the server can run meanwhile — overwrite freely.
export interface TransformSpec {
  types?: string[];
  coalesceMs?: number;
  maxEventsPerSecond?: number;
  format?: 'RAW' | 'PLAIN';
  redact?: ('EMAIL' | 'PHONE' | 'CREDIT_CARD' | 'API_KEY')[];
}
export function normalizeTransform(_input: unknown): TransformSpec | null {
  return null;
}
export function isStatelessSpec(_spec: TransformSpec | null): boolean {
  return true;
}
