import type { FakeProvider } from '../fake-provider.js';
import type { LoadClient } from '../servers.js';

/** What the runner hands every scenario: shared helpers, never a server (each scenario starts its own). */
export interface BenchContext {
  fake: FakeProvider;
  client: LoadClient;
  quick: boolean;
  rounds: number;
  /** Include Yoga's built-in SSE (POST /graphql) next to graphql-sse where a scenario supports it. */
  yogaSse: boolean;
  /** Extra environment for our server (`--env KEY=VALUE`), e.g. a feature flag for a before/after run. */
  oursEnv: Record<string, string>;
  log(line: string): void;
}
