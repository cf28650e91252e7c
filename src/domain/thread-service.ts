import { newId } from '../lib/ids.js';
import { invalidInput, notFound } from './errors.js';
import type { Message, Thread } from './model.js';
import type { ThreadEventSink, ThreadRepository } from './ports.js';

export const MAX_TITLE_LENGTH = 200;
export const MAX_PAGE = 100;

/** Threads: create, rename, delete, list. Every change is reported to the thread event sink. */
export class ThreadService {
  constructor(
    private readonly threads: ThreadRepository,
    private readonly sink: ThreadEventSink,
  ) {}

  async create(title: string | null | undefined): Promise<Thread> {
    return this.threads.create({ id: newId('thr'), title: normalizeTitle(title ?? null) });
  }

  get(id: string): Promise<Thread | null> {
    return this.threads.get(id);
  }

  async require(id: string): Promise<Thread> {
    const thread = await this.threads.get(id);
    if (!thread) throw notFound('Thread', id);
    return thread;
  }

  list(first: number | null | undefined): Promise<Thread[]> {
    return this.threads.list(clampPage(first));
  }

  async rename(id: string, title: string): Promise<Thread> {
    const normalized = normalizeTitle(title);
    if (normalized === null) throw invalidInput('title must not be empty', 'title');
    const thread = await this.threads.rename(id, normalized);
    if (!thread) throw notFound('Thread', id);
    this.sink.emit({ type: 'ThreadUpdated', threadId: id, thread });
    return thread;
  }

  /** Reports a message change made outside a completion (e.g. recovery at start-up). */
  reportMessageUpdated(message: Message): void {
    this.sink.emit({ type: 'ThreadMessageUpdated', threadId: message.threadId, message });
  }

  /** Deletes the thread and its messages; the caller stops its live streams first. */
  async delete(id: string): Promise<boolean> {
    const deleted = await this.threads.delete(id);
    if (deleted) this.sink.emit({ type: 'ThreadDeleted', threadId: id });
    return deleted;
  }
}

function normalizeTitle(title: string | null): string | null {
  if (title === null) return null;
  const trimmed = title.trim();
  if (trimmed === '') return null;
  if (trimmed.length > MAX_TITLE_LENGTH) {
    throw invalidInput(`title must be at most ${MAX_TITLE_LENGTH} characters`, 'title');
  }
  return trimmed;
}

/** Page sizes: default 20, at most MAX_PAGE; a negative size is a client bug worth reporting. */
export function clampPage(first: number | null | undefined, fallback = 20): number {
  if (first === null || first === undefined) return fallback;
  if (!Number.isInteger(first) || first < 0)
    throw invalidInput('first must be a non-negative integer', 'first');
  return Math.min(first, MAX_PAGE);
}
