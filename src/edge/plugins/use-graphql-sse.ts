import { type DocumentNode, type ExecutionResult, GraphQLError, getOperationAST } from 'graphql';
import { createHandler } from 'graphql-sse/lib/use/fetch';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { isGraphQLError } from '../errors.js';

/**
 * The GraphQL over SSE protocol (graphql-sse) at `endpoint`, both of its modes, running every
 * operation through Yoga's envelop (parse, validate, context, masked errors).
 *
 * Why not `@graphql-yoga/plugin-graphql-sse`: it hands graphql-sse results without a `data` key
 * (`{ errors }`), which graphql-sse does not recognise as a result, so a subscription rejected by its
 * resolver became an HTTP 400 and a syntax error an HTTP 500. Here every error is a GraphQL result
 * with a stable `extensions.code`, delivered in the event stream.
 */
export function useGraphQLSSE(options: { endpoint: string }): Plugin {
  const serverContexts = new WeakMap<Request, object>();
  let handler: ((request: Request) => Promise<Response>) | undefined;
  return {
    onYogaInit({ yoga }) {
      handler = createHandler(
        {
          onSubscribe: async (req, params) => {
            const enveloped = yoga.getEnveloped({ ...serverContexts.get(req.raw), request: req.raw, params });
            let document: DocumentNode;
            try {
              document = enveloped.parse(params.query);
            } catch (error) {
              return failure(error, 'GRAPHQL_PARSE_FAILED');
            }
            const errors: readonly GraphQLError[] = enveloped.validate(enveloped.schema, document);
            if (errors.length > 0)
              return { data: null, errors: errors.map((e) => withCode(e, 'GRAPHQL_VALIDATION_FAILED')) };
            const contextValue = await enveloped.contextFactory();
            const args = {
              schema: enveloped.schema,
              document,
              contextValue,
              variableValues: params.variables,
              operationName: params.operationName,
            };
            const operation = getOperationAST(document, params.operationName)?.operation;
            const result = await (operation === 'subscription'
              ? enveloped.subscribe(args)
              : enveloped.execute(args));
            if (isAsyncIterable(result)) return result as AsyncIterable<ExecutionResult>;
            return { data: null, ...(result as ExecutionResult) };
          },
        },
        yoga.fetchAPI,
      );
    },
    onRequest({ request, url, endResponse, serverContext }) {
      if (url.pathname !== options.endpoint || !handler) return;
      serverContexts.set(request, serverContext);
      return handler(request).then(endResponse);
    },
  };
}

function withCode(error: GraphQLError, code: string): GraphQLError {
  if (error.extensions.code) return error;
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    extensions: { ...error.extensions, code },
  });
}

function failure(error: unknown, code: string): ExecutionResult {
  const message = isGraphQLError(error) || error instanceof Error ? error.message : String(error);
  return { data: null, errors: [new GraphQLError(message, { extensions: { code } })] };
}
