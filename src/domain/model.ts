/** The conversation model: threads of messages, as the domain sees them (no Prisma, no GraphQL). */

export type MessageRole = 'USER' | 'ASSISTANT' | 'SYSTEM';

export type MessageStatus = 'PENDING' | 'STREAMING' | 'COMPLETE' | 'FAILED' | 'CANCELLED' | 'INTERRUPTED';

export const TERMINAL_MESSAGE_STATUSES: ReadonlySet<MessageStatus> = new Set([
  'COMPLETE',
  'FAILED',
  'CANCELLED',
  'INTERRUPTED',
]);

export interface Usage {
  inputTokens: number;
  outputTokens: number;
}

/** A stable machine-readable failure: what the API calls StreamError. */
export interface Failure {
  code: string;
  message: string;
  retryable: boolean;
}

export interface Thread {
  id: string;
  title: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface Message {
  id: string;
  threadId: string;
  /** Order within the thread, from 1. */
  position: number;
  role: MessageRole;
  content: string;
  status: MessageStatus;
  model: string | null;
  streamId: string | null;
  usage: Usage | null;
  stopReason: string | null;
  error: Failure | null;
  createdAt: Date;
  updatedAt: Date;
}
