/**
 * What the domain needs from the outside world. Implemented in infra/ (Prisma) and app/ (the thread
 * feed on top of the stream engine); a PostgreSQL or Redis backed implementation only replaces these.
 */
import type { Failure, Message, MessageStatus, Thread, Usage } from './model.js';

export interface ThreadRepository {
  create(input: { id: string; title: string | null }): Promise<Thread>;
  get(id: string): Promise<Thread | null>;
  /** Newest first. */
  list(first: number): Promise<Thread[]>;
  rename(id: string, title: string): Promise<Thread | null>;
  /** Deletes the thread and its messages; false when it did not exist. */
  delete(id: string): Promise<boolean>;
}

export interface BeginExchangeInput {
  /** An existing thread, or a thread to create in the same transaction. */
  thread: { existingId: string } | { create: { id: string; title: string | null } };
  user: { id: string; content: string };
  assistant: { id: string; model: string; streamId: string };
}

export interface BeginExchangeResult {
  thread: Thread;
  /** The thread's messages before this exchange, in order. */
  history: Message[];
  user: Message;
  assistant: Message;
}

export interface MessagePatch {
  content?: string;
  status?: MessageStatus;
  usage?: Usage | null;
  stopReason?: string | null;
  error?: Failure | null;
}

export interface MessageRepository {
  /**
   * Commits the user message and the PENDING assistant message (creating the thread when asked) in
   * one transaction; returns null when the existing thread does not exist.
   */
  beginExchange(input: BeginExchangeInput): Promise<BeginExchangeResult | null>;
  get(id: string): Promise<Message | null>;
  /** In thread order; with `last`, only the newest `last` of them. */
  listByThread(threadId: string, last?: number): Promise<Message[]>;
  update(id: string, patch: MessagePatch): Promise<Message>;
  /** Messages still PENDING or STREAMING, e.g. after a crash. */
  listUnfinished(): Promise<Message[]>;
}

/** Everything that happens in a thread, in the order it happens. */
export type ThreadDomainEvent =
  | { type: 'ThreadMessageAdded'; threadId: string; message: Message }
  | { type: 'ThreadMessageDelta'; threadId: string; messageId: string; text: string }
  | { type: 'ThreadMessageUpdated'; threadId: string; message: Message }
  | { type: 'ThreadUpdated'; threadId: string; thread: Thread }
  | { type: 'ThreadDeleted'; threadId: string };

/** Where the domain reports thread events; delivery is the caller's business (the thread feed). */
export interface ThreadEventSink {
  emit(event: ThreadDomainEvent): void;
}
