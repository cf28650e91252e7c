import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StreamEngine } from '../../streams/engine.js';
import { cursorOf } from '../../streams/envelope.js';
import { isStatelessSpec } from '../transforms/spec.js';
import { FanoutGroup, type SseProtocol } from './group.js';
import type { FanoutOffer } from './slot.js';
import { batchWrites } from './write-batching.js';

export interface FanoutOptions {
  engine: StreamEngine;
  keepAliveMs: number;
  hardCapBytes: number;
  cacheBytes?: number;
  onUnexpected(error: unknown): void;
}

/**
 * Shared execution down to the socket: SSE subscriptions Yoga has parsed, validated and subscribed are
 * handed here, grouped, and served by writing each group's frames to node's response objects.
 */
export class Fanout {
  private readonly groups = new Map<string, FanoutGroup>();

  constructor(private readonly options: FanoutOptions) {}

  /** Groups right now (tests assert it returns to zero). */
  get groupCount(): number {
    return this.groups.size;
  }

  get memberCount(): number {
    let count = 0;
    for (const group of this.groups.values()) count += group.size;
    return count;
  }

  /** Takes over the response of an offered subscription. */
  attach(offer: FanoutOffer, req: IncomingMessage, res: ServerResponse, headers: Headers): void {
    const protocol: SseProtocol = (req.url ?? '').startsWith('/graphql/stream') ? 'graphql-sse' : 'yoga-sse';
    const { handle, spec, context } = offer;
    const stateless = handle.offset === 0 && isStatelessSpec(spec);
    const base = JSON.stringify([
      handle.streamId,
      protocol,
      context.params.query,
      context.params.operationName ?? null,
      stableJson(context.params.variables ?? null),
      spec,
    ]);
    let key = stateless ? base : `${base}|${handle.after}.${handle.offset}`;
    let group = this.groups.get(key);
    if (group && !group.canServe(handle.after)) {
      key = `${key}|${handle.after}#${Math.random()}`;
      group = undefined;
    }
    if (!group) {
      group = new FanoutGroup(key, offer, {
        protocol,
        keepAliveMs: this.options.keepAliveMs,
        hardCapBytes: this.options.hardCapBytes,
        cacheBytes: this.options.cacheBytes ?? 4 * 1024 * 1024,
        stateless,
        engine: this.options.engine,
        onUnexpected: this.options.onUnexpected,
        onEmpty: (g) => {
          if (this.groups.get(g.key) === g) this.groups.delete(g.key);
        },
      });
      this.groups.set(key, group);
    }

    res.statusCode = 200;
    headers.forEach((value, name) => {
      if (name !== 'content-length') res.setHeader(name, value);
    });
    res.setHeader('content-type', 'text/event-stream; charset=utf-8');
    res.setHeader('cache-control', 'no-cache');
    res.setHeader('connection', 'keep-alive');
    res.setHeader('content-encoding', 'none');
    res.socket?.setNoDelay(true);
    batchWrites(res);
    res.write(protocol === 'yoga-sse' ? ':\n\nretry: 1000\n\n' : ':\n\n');
    group.join(res, handle.after, cursorOf(handle.streamId, handle.after, handle.offset));
  }
}

/** JSON with sorted keys, so equal variables give equal group keys. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}
