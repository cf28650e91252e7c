import type { Envelope } from './envelope.js';

export type BusListener = (envelope: Envelope) => void;

/**
 * Live delivery of envelopes to this server's subscribers. In-process today; a Redis implementation
 * shares live events between instances (gaps found by seq are backfilled from storage).
 */
export interface StreamBus {
  publish(envelope: Envelope): void;
  /** Returns the function that unsubscribes. */
  subscribe(streamId: string, listener: BusListener): () => void;
  /** Listeners attached to a stream on this server. */
  listenerCount(streamId: string): number;
}

export class InProcessStreamBus implements StreamBus {
  private readonly listeners = new Map<string, Set<BusListener>>();

  publish(envelope: Envelope): void {
    const set = this.listeners.get(envelope.streamId);
    if (!set) return;
    for (const listener of set) listener(envelope);
  }

  subscribe(streamId: string, listener: BusListener): () => void {
    let set = this.listeners.get(streamId);
    if (!set) {
      set = new Set();
      this.listeners.set(streamId, set);
    }
    set.add(listener);
    return () => {
      const current = this.listeners.get(streamId);
      if (!current) return;
      current.delete(listener);
      if (current.size === 0) this.listeners.delete(streamId);
    };
  }

  listenerCount(streamId: string): number {
    return this.listeners.get(streamId)?.size ?? 0;
  }

  /** Streams with at least one listener (tests assert it returns to zero). */
  get activeStreams(): number {
    return this.listeners.size;
  }
}
