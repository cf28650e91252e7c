import { GraphQLError } from 'graphql';
import { AppError } from '../domain/errors.js';

/** `extensions.code` of an error that is not ours (a bug): its message is not shown to clients. */
export const INTERNAL_SERVER_ERROR = 'INTERNAL_SERVER_ERROR';

/** An AppError as the GraphQL error clients see: message, `extensions.code` and its details. */
export function toGraphQLError(error: AppError, path?: GraphQLError['path']): GraphQLError {
  return new GraphQLError(error.message, {
    path,
    extensions: { code: error.code, ...error.details },
  });
}

/**
 * Yoga's error mask: our AppErrors keep their message and get their stable code; GraphQL's own errors
 * (syntax, validation, variables) pass through; anything else becomes an opaque internal error, so no
 * stack trace or driver message reaches a client.
 */
export function maskError(error: unknown, fallbackMessage: string): Error {
  if (isGraphQLError(error)) {
    const original = error.originalError;
    if (original instanceof AppError) {
      return new GraphQLError(original.message, {
        nodes: error.nodes,
        path: error.path,
        positions: error.positions,
        source: error.source,
        extensions: { ...error.extensions, code: original.code, ...original.details },
      });
    }
    if (!original || isGraphQLError(original)) return error;
    return new GraphQLError(fallbackMessage, {
      nodes: error.nodes,
      path: error.path,
      extensions: { code: INTERNAL_SERVER_ERROR },
    });
  }
  if (error instanceof AppError) return toGraphQLError(error);
  return new GraphQLError(fallbackMessage, { extensions: { code: INTERNAL_SERVER_ERROR } });
}

/**
 * By name, not instanceof: graphql ships CommonJS and ESM builds, and errors made by a dependency that
 * loaded the other build are not instances of our GraphQLError class.
 */
export function isGraphQLError(error: unknown): error is GraphQLError {
  return error instanceof Error && error.name === 'GraphQLError';
}
