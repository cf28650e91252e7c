/** IPC messages between the harness and its child processes (load client, raw SSE server). */

/** Harness → load client: open `count` SSE requests and wait until each has received one `next` frame. */
export interface ConnectCommand {
  type: 'connect';
  url: string;
  /** JSON request body (POST). */
  body: string;
  count: number;
  /** Requests waiting for their first frame at once (a listen backlog is finite). */
  concurrency: number;
}

/** Harness → load client: from now on, count frames; report once every subscriber reached `lastSeq`. */
export interface ArmCommand {
  type: 'arm';
  lastSeq: number;
  /** Collect producer→client latencies from the timestamps in the frames. */
  latency: boolean;
}

export interface CloseCommand {
  type: 'close';
}

export type ClientCommand = ConnectCommand | ArmCommand | CloseCommand;

export interface ConnectedReport {
  type: 'connected';
  ready: number;
  failed: number;
  ms: number;
  firstError?: string;
}

export interface ArmedReport {
  type: 'armed';
}

export interface DoneReport {
  type: 'done';
  /** {@link monoMs} time of the chunk that brought the last subscriber to `lastSeq`. */
  lastAt: number;
  /** `next` frames received since armed, all subscribers together. */
  frames: number;
  bytes: number;
  /** Subscribers that reached `lastSeq`. */
  reached: number;
  /** Subscribers whose response ended or failed before `lastSeq`. */
  failed: number;
  /** Load client's own CPU time between arm and done, ms (its overhead on the shared cores). */
  clientCpuMs: number;
  /** Producer→client latencies in ms, one per frame and subscriber (latency mode only). */
  latencies?: number[];
  firstError?: string;
}

export interface ClosedReport {
  type: 'closed';
}

/** Harness → raw server: relay the next reply of the provider at `providerUrl` to every subscriber. */
export type RawCommand = { type: 'relay'; providerUrl: string } | { type: 'subscribers' };

export type RawReport =
  | { type: 'relay-done'; deltas: number; error?: string }
  | { type: 'subscribers'; count: number };
