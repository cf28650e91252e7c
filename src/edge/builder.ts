import SchemaBuilder from '@pothos/core';
import type { GraphQLContext } from './context.js';
import './plugins/stream-subscription-plugin.js';

/** The schema builder: code-first, one file per type under schema/. */
export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  Scalars: {
    DateTime: { Input: Date; Output: Date | string };
    JSON: { Input: unknown; Output: unknown };
    ID: { Input: string; Output: string };
  };
  DefaultFieldNullability: false;
}>({
  plugins: ['streamSubscriptions'],
  defaultFieldNullability: false,
});

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});
