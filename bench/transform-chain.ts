/**
 * CPU cost per event of the per-subscription transform chain, against a passthrough.
 *
 *   npx tsx bench/transform-chain.ts [deltas=100000] [runs=5]
 *
 * Method: ~100k synthetic text deltas (1–6 characters, LLM-like markdown prose with an e-mail, a
 * phone number, a card number or an API key every few lines) are built up front; each scenario pulls
 * them through `applyTransforms` from an already-resolved async source, as the join's queue feeds a
 * subscriber that keeps up. Coalescing and pacing run on a virtual clock: the source moves it 2 ms
 * per event (a fast model, 500 deltas/s) and fires due timers synchronously, so the run measures
 * operator work, never waiting. Each scenario runs `runs` times after a warm-up; the median wall
 * time (single-threaded and never idle, so close to CPU time) divided by the number of source events
 * is reported as µs/event, with the extra cost over the passthrough.
 */
import { applyTransforms } from '../src/edge/transforms/pipeline.js';
import type { Scheduler, TimerHandle } from '../src/edge/transforms/scheduler.js';
import type { TransformSpec } from '../src/edge/transforms/spec.js';
import { type Envelope, makeEnvelope } from '../src/streams/envelope.js';

const DELTAS = Number(process.argv[2] ?? 100_000);
const RUNS = Number(process.argv[3] ?? 5);
const EVENT_SPACING_MS = 2;
const DELTA_TYPES: ReadonlySet<string> = new Set(['CompletionDelta']);
const isTerminal = (envelope: Envelope): boolean => envelope.type === 'CompletionFinished';

const ALL_RULES: TransformSpec['redact'] = ['EMAIL', 'PHONE', 'CREDIT_CARD', 'API_KEY'];
const SCENARIOS: { name: string; spec: TransformSpec | null }[] = [
  { name: 'passthrough (null spec)', spec: null },
  { name: 'type filter', spec: { types: ['CompletionDelta', 'CompletionStarted'] } },
  { name: 'redact (4 rules)', spec: { redact: ALL_RULES } },
  { name: 'format PLAIN', spec: { format: 'PLAIN' } },
  { name: 'redact + PLAIN', spec: { redact: ALL_RULES, format: 'PLAIN' } },
  { name: 'coalesce 20 ms', spec: { coalesceMs: 20 } },
  { name: 'pacing 100/s', spec: { maxEventsPerSecond: 100 } },
  {
    name: 'full chain',
    spec: {
      types: ['CompletionDelta', 'CompletionStarted'],
      redact: ALL_RULES,
      format: 'PLAIN',
      coalesceMs: 20,
      maxEventsPerSecond: 100,
    },
  },
];

const LINES = [
  '## Getting started\n',
  'The **quick** brown fox jumps over the _lazy_ dog, and then it `runs` again.\n',
  '- First, install the package with `npm install streamgate`.\n',
  '- Then set the key: OPENAI_API_KEY=sk-proj-Xq7Vb2Lm9Rt4Wz8Kp1Ns6Yd3Qa5\n',
  '> Contact jane.doe@example.com or call +1 (415) 555-0199 for help.\n',
  'See [the documentation](https://example.com/docs/getting-started) for more details.\n',
  'Payment with 4111 1111 1111 1111 was declined; please try another card.\n',
  'In 2024, about 42% of the requests finished in under 300 ms, which is fine.\n',
  '```ts\nconst answer = compute(6 * 7);\n```\n',
  'Plain prose makes up most of the output: words, commas, and periods.\n',
];

function syntheticEvents(count: number): Envelope[] {
  let seed = 42;
  const next = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const at = new Date();
  const events: Envelope[] = [makeEnvelope('cmp_bench', 1, at, 'CompletionStarted', { messageId: 'msg_1' })];
  let text = '';
  let position = 0;
  while (events.length <= count) {
    if (text.length - position < 16) {
      text = text.slice(position) + LINES[Math.floor(next() * LINES.length)];
      position = 0;
    }
    const size = 1 + Math.floor(next() * 6);
    const piece = text.slice(position, position + size);
    position += size;
    events.push(
      makeEnvelope('cmp_bench', events.length + 1, at, 'CompletionDelta', {
        messageId: 'msg_1',
        text: piece,
      }),
    );
  }
  events.push(makeEnvelope('cmp_bench', events.length + 1, at, 'CompletionFinished', { messageId: 'msg_1' }));
  return events;
}

/** Time that moves with the source: each event advances it, firing due timers synchronously. */
class VirtualClock implements Scheduler {
  private time = 0;
  private id = 0;
  private readonly timers = new Map<number, { at: number; callback: () => void }>();
  /** Once the source is exhausted nothing moves time: timers then fire on the next microtask. */
  private draining = false;

  now(): number {
    return this.time;
  }

  setTimer(callback: () => void, ms: number): TimerHandle {
    const id = ++this.id;
    const at = this.time + ms;
    this.timers.set(id, { at, callback });
    if (this.draining) {
      queueMicrotask(() => {
        if (!this.timers.delete(id)) return;
        this.time = Math.max(this.time, at);
        callback();
      });
    }
    return id;
  }

  clearTimer(handle: TimerHandle): void {
    this.timers.delete(handle as number);
  }

  advanceTo(time: number): void {
    for (;;) {
      let dueId = 0;
      let due: { at: number; callback: () => void } | undefined;
      for (const [id, timer] of this.timers) {
        if (timer.at <= time && (!due || timer.at < due.at)) {
          dueId = id;
          due = timer;
        }
      }
      if (!due) break;
      this.timers.delete(dueId);
      this.time = Math.max(this.time, due.at);
      due.callback();
    }
    this.time = time;
  }

  drain(): void {
    this.draining = true;
    const pending = [...this.timers.entries()].sort((a, b) => a[1].at - b[1].at);
    for (const [id, timer] of pending) {
      queueMicrotask(() => {
        if (!this.timers.delete(id)) return;
        this.time = Math.max(this.time, timer.at);
        timer.callback();
      });
    }
  }
}

/** The events as an already-resolved source, as a subscriber's queue that is never empty. */
function source(events: readonly Envelope[], clock: VirtualClock): AsyncIterableIterator<Envelope> {
  let index = 0;
  const iterator: AsyncIterableIterator<Envelope> = {
    next() {
      const envelope = events[index];
      if (!envelope) {
        clock.drain();
        return Promise.resolve({ value: undefined, done: true });
      }
      clock.advanceTo(index * EVENT_SPACING_MS);
      index++;
      return Promise.resolve({ value: envelope, done: false });
    },
    return() {
      index = events.length;
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}

async function runOnce(
  events: readonly Envelope[],
  spec: TransformSpec | null,
): Promise<{ ms: number; out: number }> {
  const clock = new VirtualClock();
  const started = performance.now();
  let out = 0;
  for await (const _ of applyTransforms(source(events, clock), spec, {
    deltaTypes: DELTA_TYPES,
    isTerminal,
    scheduler: clock,
    resume: { seq: 0, offset: 0 },
  })) {
    out++;
  }
  return { ms: performance.now() - started, out };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

async function main(): Promise<void> {
  const events = syntheticEvents(DELTAS);
  const chars = events.reduce((sum, e) => sum + ((e.data as { text?: string }).text?.length ?? 0), 0);
  console.log(
    `transform chain: ${events.length} source events (${DELTAS} deltas, ${chars} chars), ${RUNS} runs after a warm-up, Node ${process.version}\n`,
  );
  const rows: { name: string; us: number; out: number }[] = [];
  for (const { name, spec } of SCENARIOS) {
    await runOnce(events, spec);
    const times: number[] = [];
    let out = 0;
    for (let run = 0; run < RUNS; run++) {
      const result = await runOnce(events, spec);
      times.push(result.ms);
      out = result.out;
    }
    rows.push({ name, us: (median(times) * 1000) / events.length, out });
  }
  const base = rows[0]?.us ?? 0;
  console.log('scenario                    µs/event   over passthrough   events out');
  for (const { name, us, out } of rows) {
    const extra = name.startsWith('passthrough') ? '' : `+${(us - base).toFixed(2)}`;
    console.log(
      `${name.padEnd(27)} ${us.toFixed(2).padStart(8)}   ${extra.padStart(16)}   ${String(out).padStart(10)}`,
    );
  }
}

await main();
