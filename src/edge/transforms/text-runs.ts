import { cursorOf, deltaText, type Envelope } from '../../streams/envelope.js';
import { DONE, emit, Operator } from './operator.js';
import { stepText, type TextOptions, transformText } from './text-step.js';

/**
 * Where a subscription starts: `seq` is the cursor's seq (`StreamHandle.after`), `offset` the
 * characters of the text run starting at event seq+1 the client already has (the cursor's
 * `.offset`). `parseCursor(after)` fits.
 */
export interface ResumePoint {
  readonly offset: number;
  /**
   * Strongly recommended: without it the first event is assumed to follow the start directly,
   * which is wrong when the join merged the first events into one delta (then the operator's
   * cursors inside that delta are off).
   */
  readonly seq?: number;
}

/** What `transformTextRuns` needs: the delta types, the text transform, the start position. */
export interface TextRunOptions {
  readonly deltaTypes: ReadonlySet<string>;
  readonly text: TextOptions;
  readonly resume?: ResumePoint;
}

/** A place in a run's text where a source position is known: run offset `at` = cursor `(seq, 0)`. */
interface Anchor {
  at: number;
  seq: number;
}

/** Consecutive deltas of one message (type, stream and messageId): one text transformed as a whole. */
interface Run {
  readonly streamId: string;
  readonly type: string;
  readonly messageId: unknown;
  /** The newest delta of the run: emitted text rides in a copy of it. */
  last: Envelope;
  /** Source text received and not yet emitted. */
  buffer: string;
  /** The source character before `buffer` ('' at the start of the run). */
  prev: string;
  /** Run offset of `buffer[0]`. */
  consumed: number;
  /** Run offset after the last received text. */
  received: number;
  anchors: Anchor[];
}

/** The operator behind transformTextRuns. */
class TextRunOperator extends Operator {
  private run: Run | null = null;
  private readonly ready: Envelope[] = [];
  private previousSeq: number | undefined;
  private skip: number;

  constructor(
    source: AsyncIterable<Envelope>,
    private readonly options: TextRunOptions,
  ) {
    super(source);
    this.previousSeq = options.resume?.seq;
    this.skip = Math.max(0, options.resume?.offset ?? 0);
  }

  protected async produce(): Promise<IteratorResult<Envelope>> {
    for (;;) {
      const ready = this.ready.shift();
      if (ready) return emit(ready);
      let pulled: IteratorResult<Envelope>;
      try {
        pulled = await this.pull();
      } catch (error) {
        this.run = null;
        throw error;
      }
      if (pulled.done) {
        this.endRun();
        const last = this.ready.shift();
        return last ? emit(last) : DONE;
      }
      this.accept(pulled.value);
    }
  }

  protected override dispose(): void {
    this.run = null;
    this.ready.length = 0;
  }

  private accept(envelope: Envelope): void {
    const before = this.previousSeq ?? envelope.seq - 1;
    this.previousSeq = envelope.seq;
    const text = deltaText(envelope, this.options.deltaTypes);
    if (text === undefined) {
      this.endRun();
      this.ready.push(this.transformSnapshot(envelope));
      return;
    }
    const messageId = (envelope.data as { messageId?: unknown }).messageId;
    let run = this.run;
    if (
      run &&
      (run.type !== envelope.type || run.streamId !== envelope.streamId || run.messageId !== messageId)
    ) {
      this.endRun();
      run = null;
    }
    if (!run) {
      run = {
        streamId: envelope.streamId,
        type: envelope.type,
        messageId,
        last: envelope,
        buffer: '',
        prev: '',
        consumed: 0,
        received: 0,
        anchors: [],
      };
      this.run = run;
    }
    run.anchors.push({ at: run.received, seq: before });
    run.received += text.length;
    run.last = envelope;
    let fresh = text;
    if (this.skip > 0) {
      // Resuming: this text (up to `skip` characters) was delivered before; it only gives context.
      const skipped = Math.min(this.skip, text.length);
      this.skip -= skipped;
      run.consumed += skipped;
      run.prev = text[skipped - 1] ?? run.prev;
      fresh = text.slice(skipped);
    }
    run.buffer += fresh;
    this.advance(run, false);
  }

  /** Emits what the run's buffer allows; with `final`, all of it. */
  private advance(run: Run, final: boolean): void {
    while (run.buffer !== '') {
      const step = stepText(run.buffer, run.prev, final, this.options.text);
      if (step.cut === 0) {
        if (final) throw new Error('text transform made no progress at the end of a run');
        return;
      }
      run.prev = run.buffer[step.cut - 1] as string;
      run.buffer = run.buffer.slice(step.cut);
      run.consumed += step.cut;
      const ended = final && run.buffer === '';
      const cursor = ended ? cursorOf(run.last.streamId, run.last.seq) : this.cursorAt(run, run.consumed);
      if (step.out !== '') this.ready.push(withText(run.last, step.out, cursor));
      this.pruneAnchors(run);
      if (!step.more && !final) return;
    }
  }

  private cursorAt(run: Run, at: number): string {
    const anchors = run.anchors;
    for (let i = anchors.length - 1; i >= 0; i--) {
      const anchor = anchors[i] as Anchor;
      // Strictly before: at a delta boundary the cursor names the end of the previous delta's text,
      // keeping the character before the resume point within reach of the resumed run.
      if (anchor.at < at) return cursorOf(run.streamId, anchor.seq, at - anchor.at);
    }
    const first = anchors[0] as Anchor;
    return cursorOf(run.streamId, first.seq, at - first.at);
  }

  private pruneAnchors(run: Run): void {
    let keep = 0;
    for (let i = run.anchors.length - 1; i >= 0; i--) {
      if ((run.anchors[i] as Anchor).at <= run.consumed) {
        keep = i;
        break;
      }
    }
    if (keep > 0) run.anchors.splice(0, keep);
  }

  private endRun(): void {
    // Resume offsets only ever point into the first run after the resume point.
    this.skip = 0;
    const run = this.run;
    if (!run) return;
    this.run = null;
    this.advance(run, true);
  }

  private transformSnapshot(envelope: Envelope): Envelope {
    const message = (envelope.data as { message?: unknown }).message;
    if (!message || typeof message !== 'object') return envelope;
    const content = (message as { content?: unknown }).content;
    if (typeof content !== 'string' || content === '') return envelope;
    const transformed = transformText(content, this.options.text);
    if (transformed === content) return envelope;
    const data = { ...envelope.data, message: { ...message, content: transformed } };
    return { ...envelope, data, json: JSON.stringify(data) };
  }
}

function withText(base: Envelope, text: string, cursor: string): Envelope {
  const data = { ...base.data, text };
  return { ...base, data, cursor, json: JSON.stringify(data) };
}

/**
 * Redaction and PLAIN formatting of text deltas, holding back only text whose output can still
 * change, plus the same transform applied to message snapshots (`data.message.content`) as whole
 * strings.
 *
 * Cursors. An emitted delta carries the source position it accounts for: `cursorOf(streamId, s, k)`
 * = every event up to `s`, plus the first `k` characters of the run's text from event s+1 on (s is
 * the event before the delta whose text the cut falls in; k can reach past that event's text only
 * when the join merged several events into one delta). Inside a run the cursor always names at
 * least one character of text (`s:N-1.len` rather than `s:N`), because resuming needs the character
 * before the resume point; the cursor after the end of a run is the plain `cursorOf(streamId, N)`.
 * Resuming with `resume: { seq: s, offset: k }` skips those k characters and yields exactly the rest.
 *
 * A run ends at anything that is not its next delta (another message's delta, any other event,
 * the end of the source): the held-back tail is then emitted as the end of the text, before that
 * event, because a one-dimensional cursor cannot pass an event while text before it is held. So a
 * secret split around an interleaved event (two messages streaming at once in a thread feed) is
 * not recognised. On an upstream error the held tail is dropped, not emitted: it may be the start
 * of a secret, and the client resumes from its last cursor anyway.
 */
export function transformTextRuns(
  source: AsyncIterable<Envelope>,
  options: TextRunOptions,
): AsyncIterableIterator<Envelope> {
  return new TextRunOperator(source, options);
}
