import type { GraphQLResolveInfo } from 'graphql';
import type { StreamHandle } from '../../streams/engine.js';
import type { GraphQLContext } from '../context.js';
import type { TransformSpec } from '../transforms/spec.js';

/** A subscription the shared fan-out may take over once the transport's response is known. */
export interface FanoutOffer {
  handle: StreamHandle;
  spec: TransformSpec | null;
  context: GraphQLContext;
  info: GraphQLResolveInfo;
}

/**
 * Per HTTP request, shared between the node request handler (which sees the response) and the
 * subscription resolver (which sees the operation). The resolver offers; the handler decides: an
 * SSE response over node's HTTP goes to a fan-out group, anything else (single-connection
 * graphql-sse, in-process fetch) continues on Yoga's normal path.
 */
export class FanoutSlot {
  offer: FanoutOffer | undefined;
  private decided = false;
  private settle!: (taken: boolean) => void;
  /** Resolves true when the fan-out took the subscription, false when the normal path keeps it. */
  readonly decision = new Promise<boolean>((resolve) => {
    this.settle = resolve;
  });

  /** Registers the request's subscription; false when one is already offered or it is too late. */
  makeOffer(offer: FanoutOffer): boolean {
    if (this.offer || this.decided) return false;
    this.offer = offer;
    return true;
  }

  decide(taken: boolean): void {
    if (this.decided) return;
    this.decided = true;
    this.settle(taken);
  }
}

/** The key under which the slot travels in the server context (and so in the GraphQL context). */
export const FANOUT_SLOT = 'streamgateFanout';
