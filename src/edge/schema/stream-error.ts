import { builder } from '../builder.js';
import type { FailureShape } from './shapes.js';

export const StreamErrorRef = builder.objectRef<FailureShape>('StreamError').implement({
  fields: (t) => ({
    code: t.exposeString('code', {
      description:
        'Stable machine-readable code, e.g. PROVIDER_OVERLOADED, PROVIDER_ERROR, RATE_LIMITED, CANCELLED, INTERRUPTED, INVALID_INPUT.',
    }),
    message: t.exposeString('message'),
    retryable: t.exposeBoolean('retryable', {
      description: 'True when starting the same request again may succeed.',
    }),
  }),
});
