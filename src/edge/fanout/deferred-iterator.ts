/**
 * An iterator that waits for the fan-out decision: ends at once when the subscription was taken by a
 * group, otherwise becomes the normal per-subscriber pipeline (created only then, so a taken
 * subscription never attaches twice).
 */
export function deferUntilDecided<T>(
  decision: Promise<boolean>,
  create: () => AsyncIterator<T>,
): AsyncIterableIterator<T> {
  let inner: AsyncIterator<T> | undefined;
  let finished = false;
  const ready = decision.then((taken) => {
    if (!taken && !finished) inner = create();
  });
  const iterator: AsyncIterableIterator<T> = {
    async next() {
      await ready;
      if (finished || !inner) return { value: undefined, done: true };
      return inner.next();
    },
    async return() {
      finished = true;
      await inner?.return?.();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
