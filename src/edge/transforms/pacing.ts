import type { Envelope } from '../../streams/envelope.js';
import { DeltaBatch } from './delta-batch.js';
import { DONE, emit, Operator, type Pulled } from './operator.js';
import { Deadline, type Scheduler, systemScheduler } from './scheduler.js';

/** How `paceEvents` paces. */
export interface PacingOptions {
  readonly maxEventsPerSecond: number;
  readonly deltaTypes: ReadonlySet<string>;
  readonly scheduler?: Scheduler;
}

/**
 * Events read ahead while waiting for a delivery slot. Deltas of one message merge into one entry,
 * so only events that cannot merge (other events, alternating messages) fill it; once full, the
 * operator stops reading and the backlog stays in the join, where the slow-client policy applies.
 */
export const MAX_PACED_QUEUE = 64;

class Pacer extends Operator {
  private readonly queue: DeltaBatch[] = [];
  private readonly interval: number;
  private nextAt = Number.NEGATIVE_INFINITY;
  private slot: Deadline | null = null;
  private ended = false;
  private failure: { error: unknown } | null = null;
  private readonly scheduler: Scheduler;

  constructor(
    source: AsyncIterable<Envelope>,
    private readonly options: PacingOptions,
  ) {
    super(source);
    this.scheduler = options.scheduler ?? systemScheduler;
    this.interval = 1000 / options.maxEventsPerSecond;
  }

  protected async produce(): Promise<IteratorResult<Envelope>> {
    for (;;) {
      if (this.queue.length > 0) {
        const now = this.scheduler.now();
        if (now >= this.nextAt) {
          this.slot?.cancel();
          this.slot = null;
          this.nextAt = now + this.interval;
          return emit((this.queue.shift() as DeltaBatch).envelope());
        }
        this.slot ??= new Deadline(this.scheduler, this.nextAt - now);
      } else if (this.failure) {
        throw this.failure.error;
      } else if (this.ended) {
        return DONE;
      }
      const pull = !this.ended && !this.failure && this.queue.length < MAX_PACED_QUEUE;
      let pulled: Pulled;
      try {
        pulled = await this.wait(this.slot?.reached, pull);
      } catch (error) {
        // Events already read are delivered, in their turn, before the error.
        this.failure = { error };
        continue;
      }
      if (pulled.kind === 'closed') return DONE;
      if (pulled.kind === 'end') this.ended = true;
      else if (pulled.kind === 'timer') this.slot = null;
      else this.enqueue(pulled.envelope);
    }
  }

  protected override dispose(): void {
    this.slot?.cancel();
    this.slot = null;
    this.queue.length = 0;
  }

  private enqueue(envelope: Envelope): void {
    const last = this.queue.at(-1);
    if (!last?.tryAdd(envelope, this.options.deltaTypes)) this.queue.push(new DeltaBatch(envelope));
  }
}

/**
 * Delivers at most `maxEventsPerSecond` events per second (evenly spaced, the first at once). Text
 * deltas of one message waiting for their turn are merged; nothing is dropped or reordered, and
 * the terminal event comes after everything before it.
 */
export function paceEvents(
  source: AsyncIterable<Envelope>,
  options: PacingOptions,
): AsyncIterableIterator<Envelope> {
  return new Pacer(source, options);
}
