/**
 * Loaded into every benchmarked server process (`--import`), ours and the raw baseline alike, so both
 * carry the same passive extras:
 * - SIGUSR2 runs a full GC (with --expose-gc), so memory is read after a forced settle rather than
 *   whenever V8 felt like collecting;
 * - an IPC `{ type: 'memory?' }` is answered with `process.memoryUsage()`, which separates the JS heap
 *   from what RSS also counts (allocator arenas, code, pages V8 has not returned yet);
 * - the process exits when the harness's IPC channel closes, so a harness killed with SIGKILL leaves
 *   no orphan server behind.
 */
const gc = (globalThis as { gc?: () => void }).gc;

process.on('SIGUSR2', () => {
  gc?.();
});

if (process.send) {
  process.on('message', (message: unknown) => {
    if (typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'memory?')
      process.send?.({ type: 'memory', ...process.memoryUsage() });
  });
  process.on('disconnect', () => process.exit(1));
}
