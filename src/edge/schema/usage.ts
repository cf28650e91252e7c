import type { Usage } from '../../domain/model.js';
import { builder } from '../builder.js';

export const UsageRef = builder.objectRef<Usage>('Usage').implement({
  fields: (t) => ({
    inputTokens: t.exposeInt('inputTokens'),
    outputTokens: t.exposeInt('outputTokens'),
  }),
});
