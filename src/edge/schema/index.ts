import { type GraphQLSchema, lexicographicSortSchema } from 'graphql';
import { builder } from '../builder.js';
import './scalars.js';
import './enums.js';
import './usage.js';
import './stream-error.js';
import './message.js';
import './thread.js';
import './stream.js';
import './stream-events.js';
import './completion-events.js';
import './thread-events.js';
import './inputs.js';
import './query.js';
import './mutation.js';
import './subscription.js';

let schema: GraphQLSchema | undefined;

/** The executable schema, built once. */
export function getSchema(): GraphQLSchema {
  schema ??= builder.toSchema();
  return schema;
}

/** The schema as printed to schema/schema.graphql: sorted, so diffs show real changes only. */
export function getSortedSchema(): GraphQLSchema {
  return lexicographicSortSchema(getSchema());
}
