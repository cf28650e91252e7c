import SchemaBuilder, {
  BasePlugin,
  type FieldNullability,
  type InputFieldMap,
  type InputShapeFromFields,
  type PothosOutputFieldConfig,
  type SchemaTypes,
  type TypeParam,
} from '@pothos/core';
import { type GraphQLFieldResolver, responsePathAsArray } from 'graphql';
import type { StreamHandle } from '../../streams/engine.js';
import type { Envelope } from '../../streams/envelope.js';
import type { GraphQLContext } from '../context.js';
import { deliverStream, SubscriptionErrorPayload } from '../delivery.js';
import { toGraphQLError } from '../errors.js';
import { normalizeTransform } from '../transforms/spec.js';
import { noteDeliveredCursor } from './use-sse-event-ids.js';

declare global {
  export namespace PothosSchemaTypes {
    export interface Plugins<Types extends SchemaTypes> {
      streamSubscriptions: StreamSubscriptionPlugin<Types>;
    }
    export interface SubscriptionFieldOptions<
      Types extends SchemaTypes,
      Type extends TypeParam<Types>,
      Nullable extends FieldNullability<Type>,
      Args extends InputFieldMap,
      ResolveShape,
      ResolveReturnShape,
    > {
      /**
       * Marks a field whose `subscribe` returns a StreamHandle: the plugin delivers it (join, per-
       * subscriber transforms, slow-client policy, errors as a final result) and picks the transform
       * input out of the field's arguments with this function.
       */
      streamTransform?: (args: InputShapeFromFields<Args>) => unknown;
    }
  }
}

/**
 * Cross-cutting subscription behaviour as resolver middleware: the resolvers only say which stream
 * and from where; the transform pipeline, backlog policy and error handling live here, once.
 */
export class StreamSubscriptionPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override wrapSubscribe(
    subscribe: GraphQLFieldResolver<unknown, Types['Context'], object> | undefined,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types['Context'], object> | undefined {
    const pickTransform = (fieldConfig.pothosOptions as { streamTransform?: (args: object) => unknown })
      .streamTransform;
    if (!subscribe || !pickTransform) return subscribe;
    return async (parent, args, context, info) => {
      // Validated before subscribing, so a bad transform never starts a generation.
      const spec = normalizeTransform(pickTransform(args));
      const handle = (await subscribe(parent, args, context, info)) as StreamHandle;
      return deliverStream(handle, spec, context as unknown as GraphQLContext, info);
    };
  }

  override wrapResolve(
    resolve: GraphQLFieldResolver<unknown, Types['Context'], object>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types['Context'], object> {
    if (fieldConfig.kind !== 'Subscription' || !('streamTransform' in fieldConfig.pothosOptions))
      return resolve;
    return (payload, args, context, info) => {
      const request = (context as unknown as GraphQLContext).request;
      if (payload instanceof SubscriptionErrorPayload) {
        noteDeliveredCursor(request, null);
        throw toGraphQLError(payload.error, responsePathAsArray(info.path));
      }
      noteDeliveredCursor(request, (payload as Envelope).cursor);
      return resolve(payload, args, context, info);
    };
  }
}

SchemaBuilder.registerPlugin('streamSubscriptions', StreamSubscriptionPlugin);
