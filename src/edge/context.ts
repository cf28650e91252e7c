import type { YogaInitialContext } from 'graphql-yoga';
import type { Streamgate } from '../app/streamgate.js';

/** What the server adds to Yoga's context. */
export interface AppContext {
  app: Streamgate;
  /**
   * The `Last-Event-ID` header of a reconnecting EventSource: subscriptions resume after it as if it
   * had been passed as `after`.
   */
  lastEventId: string | null;
}

/** What every resolver gets. */
export type GraphQLContext = YogaInitialContext & AppContext;
