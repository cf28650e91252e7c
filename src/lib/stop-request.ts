/**
 * The reason given to a completion's AbortSignal, so the generation can tell a user's cancel from a
 * server shutdown and end with the right terminal status.
 */
export class StopRequest extends Error {
  override name = 'StopRequest';
  constructor(
    readonly code: 'CANCELLED' | 'INTERRUPTED',
    message = code === 'CANCELLED'
      ? 'The stream was cancelled'
      : 'The server stopped while the stream was live',
  ) {
    super(message);
  }
}
