import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import type { Streamgate } from '../app/streamgate.js';
import type { AppContext } from './context.js';
import { maskError } from './errors.js';
import { useGraphQLSSE } from './plugins/use-graphql-sse.js';
import { useHealth } from './plugins/use-health.js';
import { useSseEventIds } from './plugins/use-sse-event-ids.js';
import { getSchema } from './schema/index.js';

export const GRAPHQL_PATH = '/graphql';
export const GRAPHQL_SSE_PATH = '/graphql/stream';

const EXAMPLE_QUERY = `# streamgate: subscriptions stream over SSE. Press the run button, then try
# resuming: copy a cursor and run the same subscription with streamId and after.
subscription Ask {
  chatCompletion(input: { prompt: "Tell me about streams" }) {
    __typename
    streamId
    seq
    cursor
    ... on CompletionStarted { messageId model thread { id title } }
    ... on CompletionDelta { text }
    ... on CompletionFinished { stopReason usage { inputTokens outputTokens } message { content } }
    ... on CompletionFailed { error { code message retryable } }
  }
}
`;

export type ServerContext = Record<string, unknown>;
export type StreamgateYoga = YogaServerInstance<ServerContext, AppContext>;

/** The GraphQL server: Yoga with the Pothos schema, both SSE transports, GraphiQL and /health. */
export function createStreamgateYoga(app: Streamgate, options: { isReady: () => boolean }): StreamgateYoga {
  return createYoga<ServerContext, AppContext>({
    schema: getSchema(),
    graphqlEndpoint: GRAPHQL_PATH,
    healthCheckEndpoint: false as unknown as string,
    landingPage: false,
    context: ({ request }) => ({ app, lastEventId: request.headers.get('last-event-id') }),
    maskedErrors: { maskError: (error, message) => maskError(error, message) },
    logging: {
      debug: (...args) => app.logger.debug(String(args[0]), { args: args.slice(1).map(String) }),
      info: (...args) => app.logger.info(String(args[0])),
      warn: (...args) => app.logger.warn(String(args[0])),
      error: (...args) => app.logger.error(String(args[0]), { detail: args.slice(1).map(String) }),
    },
    renderGraphiQL,
    graphiql: { title: 'streamgate', subscriptionsProtocol: 'GRAPHQL_SSE', defaultQuery: EXAMPLE_QUERY },
    plugins: [
      useHealth(options.isReady),
      useGraphQLSSE({ endpoint: GRAPHQL_SSE_PATH }),
      useSseEventIds({ keepAliveMs: app.config.keepAliveMs }),
    ],
  });
}
