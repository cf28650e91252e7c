/**
 * The envelope every recorded event travels in, whatever produced it: `seq` counts from 1 without
 * gaps within a stream, `cursor` names the position right after the event.
 */
export interface Envelope<D extends object = object> {
  readonly streamId: string;
  readonly seq: number;
  readonly at: Date;
  /** The event's type name, e.g. CompletionDelta. */
  readonly type: string;
  /** The event's own fields. */
  readonly data: D;
  readonly cursor: string;
  /** `JSON.stringify(data)`, computed once per event and shared by recording and byte accounting. */
  readonly json: string;
}

export function makeEnvelope<D extends object>(
  streamId: string,
  seq: number,
  at: Date,
  type: string,
  data: D,
  json?: string,
): Envelope<D> {
  return {
    streamId,
    seq,
    at,
    type,
    data,
    cursor: cursorOf(streamId, seq),
    json: json ?? JSON.stringify(data),
  };
}

/**
 * Cursors are opaque to clients. For one stream they are `<streamId>:<seq>`: everything up to and
 * including event `seq` was delivered. A text transform that delivered only part of the text after it
 * (it holds back a tail that could still become a redaction match) adds `.<offset>`: the first
 * `offset` characters of the message's text from event seq+1 on were accounted for as well.
 */
export function cursorOf(streamId: string, seq: number, offset = 0): string {
  return offset > 0 ? `${streamId}:${seq}.${offset}` : `${streamId}:${seq}`;
}

export interface CursorPosition {
  streamId: string;
  seq: number;
  /** Characters of the message's text from event seq+1 on already delivered (0 for a whole-event position). */
  offset: number;
}

const POSITION = /^(0|[1-9]\d{0,14})(?:\.([1-9]\d{0,9}))?$/;

/** The position a cursor names, or null when it is not one of ours. */
export function parseCursor(cursor: string): CursorPosition | null {
  const colon = cursor.lastIndexOf(':');
  if (colon <= 0) return null;
  const match = POSITION.exec(cursor.slice(colon + 1));
  if (!match) return null;
  return { streamId: cursor.slice(0, colon), seq: Number(match[1]), offset: match[2] ? Number(match[2]) : 0 };
}

/** The text of a text delta, or undefined for any other event. */
export function deltaText(envelope: Envelope, deltaTypes: ReadonlySet<string>): string | undefined {
  if (!deltaTypes.has(envelope.type)) return undefined;
  const text = (envelope.data as { text?: unknown }).text;
  return typeof text === 'string' ? text : undefined;
}

/**
 * Two text deltas of the same target can be merged losslessly: concatenated text, the later
 * event's seq, cursor and time, so resuming from the merged event's cursor stays exact.
 */
export function canMerge(a: Envelope, b: Envelope, deltaTypes: ReadonlySet<string>): boolean {
  if (a.type !== b.type || a.streamId !== b.streamId || !deltaTypes.has(a.type)) return false;
  const da = a.data as { text?: unknown; messageId?: unknown };
  const db = b.data as { text?: unknown; messageId?: unknown };
  return typeof da.text === 'string' && typeof db.text === 'string' && da.messageId === db.messageId;
}

export function mergeDeltas(a: Envelope, b: Envelope): Envelope {
  const text = (a.data as { text: string }).text + (b.data as { text: string }).text;
  return withData(b, { ...b.data, text });
}

/**
 * A copy of `base` with new data (and optionally a new cursor): `json` is computed only if someone
 * reads it, because merging a lagging client's deltas one by one must not re-serialize the growing
 * text each time.
 */
export function withData<D extends object>(
  base: Envelope,
  data: D,
  changes: { cursor?: string } = {},
): Envelope<D> {
  const envelope = {
    streamId: base.streamId,
    seq: base.seq,
    at: base.at,
    type: base.type,
    data,
    cursor: changes.cursor ?? base.cursor,
  } as Envelope<D>;
  let json: string | undefined;
  Object.defineProperty(envelope, 'json', {
    enumerable: true,
    get: () => {
      json ??= JSON.stringify(data);
      return json;
    },
  });
  return envelope;
}

/** Bytes an event weighs in a backlog: cheap for text deltas (no serialization), exact otherwise. */
export function weightOf(envelope: Envelope): number {
  const text = (envelope.data as { text?: unknown }).text;
  return typeof text === 'string' ? text.length + 96 : envelope.json.length;
}
