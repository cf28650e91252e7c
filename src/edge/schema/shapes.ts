import type { Failure, Message, Thread } from '../../domain/model.js';

/** Dates are Date objects when read from storage and ISO strings when replayed from a recorded event. */
type Dated<T, K extends keyof T> = Omit<T, K> & { [P in K]: Date | string };

export type ThreadShape = Dated<Thread, 'createdAt' | 'updatedAt'>;
export type MessageShape = Dated<Message, 'createdAt' | 'updatedAt'>;
export type FailureShape = Failure;
