/** A subscription consumed in the background, so a test can wait for "n events received". */
import type { ExecutionResult } from 'graphql';
import type { Client } from 'graphql-sse';

export class Subscriber<T = Record<string, unknown>> {
  readonly results: ExecutionResult<T>[] = [];
  /** Resolves when the subscription completes (or rejects on a transport error). */
  readonly done: Promise<ExecutionResult<T>[]>;
  private readonly waiters: { count: number; resolve: () => void }[] = [];
  private readonly iterator: AsyncIterableIterator<ExecutionResult<T>>;

  constructor(client: Client, query: string, variables: Record<string, unknown> = {}) {
    const iterator = client.iterate<T>({ query, variables }) as AsyncIterableIterator<ExecutionResult<T>>;
    this.iterator = iterator;
    this.done = (async () => {
      for await (const result of iterator) {
        this.results.push(result);
        this.notify();
      }
      this.notify(true);
      return this.results;
    })();
    this.done.catch(() => {});
  }

  /** Resolves once at least `count` results arrived (rejects if the subscription ends before). */
  received(count: number): Promise<void> {
    if (this.results.length >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waiters.push({ count, resolve });
      this.done.then(() => {
        if (this.results.length < count)
          reject(new Error(`ended after ${this.results.length} of ${count} results`));
      }, reject);
    });
  }

  /** Leaves the subscription. */
  async stop(): Promise<void> {
    await this.iterator.return?.();
  }

  private notify(ended = false): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const waiter = this.waiters[i];
      if (waiter && (ended || this.results.length >= waiter.count)) {
        this.waiters.splice(i, 1);
        if (this.results.length >= waiter.count) waiter.resolve();
      }
    }
  }
}

/** The root field's value of each result; throws on a GraphQL error. */
export function payloads<T>(results: ExecutionResult<Record<string, T>>[], field: string): T[] {
  return results.map((result) => {
    if (result.errors?.length || !result.data)
      throw new Error(`unexpected errors: ${JSON.stringify(result.errors)}`);
    return result.data[field] as T;
  });
}
