import { deltaText, type Envelope } from '../../streams/envelope.js';
import { DeltaBatch } from './delta-batch.js';
import { DONE, emit, Operator, type Pulled } from './operator.js';
import { Deadline, type Scheduler, systemScheduler } from './scheduler.js';

/** How `coalesceDeltas` merges. */
export interface CoalesceOptions {
  /** The window, from the first delta of a batch: no delta waits longer than this. */
  readonly coalesceMs: number;
  readonly deltaTypes: ReadonlySet<string>;
  readonly scheduler?: Scheduler;
}

class Coalescer extends Operator {
  private pending: DeltaBatch | null = null;
  private deadline: Deadline | null = null;
  private readonly ready: Envelope[] = [];
  private ended = false;
  private failure: { error: unknown } | null = null;
  private readonly scheduler: Scheduler;

  constructor(
    source: AsyncIterable<Envelope>,
    private readonly options: CoalesceOptions,
  ) {
    super(source);
    this.scheduler = options.scheduler ?? systemScheduler;
  }

  protected async produce(): Promise<IteratorResult<Envelope>> {
    for (;;) {
      const ready = this.ready.shift();
      if (ready) return emit(ready);
      if (this.deadline?.isReached) return emit(this.takePending() as Envelope);
      if (this.failure || this.ended) {
        // What was merged so far is real text: deliver it before the error or the end.
        const pending = this.takePending();
        if (pending) return emit(pending);
        if (this.failure) throw this.failure.error;
        return DONE;
      }
      let pulled: Pulled;
      try {
        pulled = await this.wait(this.deadline?.reached);
      } catch (error) {
        this.failure = { error };
        continue;
      }
      if (pulled.kind === 'closed') return DONE;
      if (pulled.kind === 'end') this.ended = true;
      else if (pulled.kind === 'timer') {
        const pending = this.takePending();
        if (pending) return emit(pending);
      } else this.accept(pulled.envelope);
    }
  }

  protected override dispose(): void {
    this.takePending();
    this.ready.length = 0;
  }

  private accept(envelope: Envelope): void {
    const { deltaTypes } = this.options;
    // A delta read after the window closed (the consumer was busy) starts the next batch.
    if (this.pending && !this.deadline?.isReached && this.pending.tryAdd(envelope, deltaTypes)) return;
    // Anything that cannot join the batch closes it first, so the order of events is kept.
    const pending = this.takePending();
    if (pending) this.ready.push(pending);
    if (deltaText(envelope, deltaTypes) !== undefined) {
      this.pending = new DeltaBatch(envelope);
      this.deadline = new Deadline(this.scheduler, this.options.coalesceMs);
    } else this.ready.push(envelope);
  }

  private takePending(): Envelope | null {
    const pending = this.pending;
    this.pending = null;
    this.deadline?.cancel();
    this.deadline = null;
    return pending ? pending.envelope() : null;
  }
}

/**
 * Merges consecutive text deltas of the same message that arrive within `coalesceMs` of the first
 * one into a single delta (concatenated text, the last one's seq, cursor and time). Any other event
 * is delivered after the batch before it.
 */
export function coalesceDeltas(
  source: AsyncIterable<Envelope>,
  options: CoalesceOptions,
): AsyncIterableIterator<Envelope> {
  return new Coalescer(source, options);
}
