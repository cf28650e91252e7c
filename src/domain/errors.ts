/**
 * Errors the domain and the stream engine raise on purpose. The edge turns them into GraphQL errors
 * whose `extensions.code` is `code`; anything else is an internal error and is masked.
 */
export type AppErrorCode =
  | 'INVALID_INPUT'
  | 'NOT_FOUND'
  | 'BAD_CURSOR'
  | 'STREAM_NOT_LIVE'
  | 'STREAM_EXPIRED'
  | 'SLOW_CONSUMER'
  | 'UNAVAILABLE';

export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly code: AppErrorCode,
    message: string,
    /** Extra fields for `extensions`, e.g. the cursor to resume from. */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export function invalidInput(message: string, field?: string): AppError {
  return new AppError('INVALID_INPUT', message, field ? { field } : {});
}

export function notFound(what: string, id: string): AppError {
  return new AppError('NOT_FOUND', `${what} ${JSON.stringify(id)} does not exist`, { id });
}
