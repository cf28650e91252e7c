/**
 * Added time to first token: ours = from sending the graphql-sse subscription that starts a completion
 * to its first CompletionDelta frame; baseline = the same fake provider streamed directly with
 * `@anthropic-ai/sdk` (`messages.create({ stream: true })`, as our provider does) to its first text
 * delta. Sequential, interleaved pair by pair, alternating which goes first. Both clients keep their
 * connection alive between runs (the SDK's fetch pools; ours uses a keep-alive agent), so neither pays
 * a TCP handshake the other does not.
 */
import http from 'node:http';
import Anthropic from '@anthropic-ai/sdk';
import { monoMs } from '../lib/clock.js';
import type { BenchContext } from '../lib/context.js';
import { metric, type ScenarioResult } from '../lib/result.js';
import { frameKind, SseScanner } from '../lib/sse.js';
import { percentiles } from '../lib/stats.js';
import { ENDPOINTS, type OursServer, startOurs } from '../servers.js';

export interface TtftParams {
  /** Pairs per round. */
  runs: number;
}

const SUBSCRIPTION =
  'subscription ($prompt: String!) { chatCompletion(input: { prompt: $prompt }) { __typename seq ... on CompletionDelta { text } } }';

const MODEL = 'claude-sonnet-5-5';

/** ms from sending the request to the first CompletionDelta; reads the stream to its end. */
function oursOnce(ours: OursServer, agent: http.Agent, prompt: string): Promise<number> {
  const url = new URL(`${ours.origin}${ENDPOINTS['graphql-sse']}`);
  const body = JSON.stringify({ query: SUBSCRIPTION, variables: { prompt } });
  return new Promise((resolve, reject) => {
    let first = Number.NaN;
    const t0 = monoMs();
    const request = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          accept: 'text/event-stream',
          'content-length': Buffer.byteLength(body),
        },
      },
      (response) => {
        const scanner = new SseScanner((text, start, end) => {
          if (!Number.isNaN(first) || frameKind(text, start) !== 'next') return;
          const at = text.indexOf('CompletionDelta', start);
          if (at >= 0 && at < end) first = monoMs() - t0;
        });
        response.on('data', (chunk: Buffer) => scanner.push(chunk));
        response.on('end', () =>
          Number.isNaN(first) ? reject(new Error('stream ended without a CompletionDelta')) : resolve(first),
        );
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

async function sdkOnce(client: Anthropic, prompt: string): Promise<number> {
  const t0 = monoMs();
  let first = Number.NaN;
  const stream = await client.messages.create({
    model: MODEL,
    max_tokens: 64,
    messages: [{ role: 'user', content: prompt }],
    stream: true,
  });
  for await (const event of stream) {
    if (Number.isNaN(first) && event.type === 'content_block_delta' && event.delta.type === 'text_delta')
      first = monoMs() - t0;
  }
  if (Number.isNaN(first)) throw new Error('SDK stream ended without a text delta');
  return first;
}

export async function ttft(ctx: BenchContext, p: TtftParams): Promise<ScenarioResult> {
  const started = monoMs();
  const ours = await startOurs(ctx.fake.url, ctx.oursEnv);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const sdk = new Anthropic({ apiKey: 'x', baseURL: ctx.fake.url, maxRetries: 0 });
  const oursAll: number[] = [];
  const sdkAll: number[] = [];
  const perRound = {
    ours: [] as ReturnType<typeof percentiles>[],
    sdk: [] as ReturnType<typeof percentiles>[],
  };
  try {
    // Warm-up: JIT, the SDK's and the server's connection pools, SQLite's page cache.
    for (let i = 0; i < 10; i++) {
      await oursOnce(ours, agent, `warm-up ${i}`);
      await sdkOnce(sdk, `warm-up ${i}`);
    }
    for (let round = 0; round < ctx.rounds; round++) {
      const o: number[] = [];
      const s: number[] = [];
      for (let i = 0; i < p.runs; i++) {
        const prompt = `time to first token ${round}.${i}`;
        if (i % 2 === 0) {
          o.push(await oursOnce(ours, agent, prompt));
          s.push(await sdkOnce(sdk, prompt));
        } else {
          s.push(await sdkOnce(sdk, prompt));
          o.push(await oursOnce(ours, agent, prompt));
        }
      }
      oursAll.push(...o);
      sdkAll.push(...s);
      const po = percentiles(o);
      const ps = percentiles(s);
      perRound.ours.push(po);
      perRound.sdk.push(ps);
      ctx.log(
        `  ttft round ${round + 1}: ours p50 ${po.p50.toFixed(2)} / p99 ${po.p99.toFixed(2)} ms; ` +
          `SDK direct p50 ${ps.p50.toFixed(2)} / p99 ${ps.p99.toFixed(2)} ms (n=${p.runs})`,
      );
    }
  } finally {
    agent.destroy();
    await ours.stop();
  }
  const spec = { unit: 'ms', better: 'lower' as const, baselineName: 'SDK direct to the fake' };
  const pooledOurs = percentiles(oursAll);
  const pooledSdk = percentiles(sdkAll);
  return {
    scenario: 'ttft',
    at: new Date().toISOString(),
    durationS: (monoMs() - started) / 1000,
    params: { runsPerRound: p.runs, rounds: ctx.rounds, total: oursAll.length },
    metrics: [
      metric(
        {
          ...spec,
          id: 'ttft.p50',
          label: 'Time to first token p50',
          target: { on: 'added', op: '<=', value: 2, text: 'added ≤ 2 ms' },
        },
        perRound.sdk.map((r) => r.p50),
        perRound.ours.map((r) => r.p50),
      ),
      metric(
        {
          ...spec,
          id: 'ttft.p99',
          label: 'Time to first token p99',
          target: { on: 'added', op: '<=', value: 5, text: 'added ≤ 5 ms' },
        },
        perRound.sdk.map((r) => r.p99),
        perRound.ours.map((r) => r.p99),
      ),
    ],
    details: {
      pooled: {
        ours: pooledOurs,
        sdk: pooledSdk,
        addedP50: pooledOurs.p50 - pooledSdk.p50,
        addedP99: pooledOurs.p99 - pooledSdk.p99,
      },
      perRound,
    },
    notes: [],
  };
}
