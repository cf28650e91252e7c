/**
 * A millisecond clock comparable across processes on this machine.
 *
 * `performance.timeOrigin + performance.now()` anchors each process on the wall clock sampled at its
 * start, so two processes can disagree by a fraction of a millisecond, which is the size of what the
 * latency scenarios measure. `process.hrtime` reads CLOCK_MONOTONIC, one clock for every process of
 * the host, so a timestamp taken by the producer process and one taken by the client process subtract
 * exactly.
 */
export function monoMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
