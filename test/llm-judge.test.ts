// The LLM judge against the local simulated OpenAI-compatible server
// (127.0.0.1, port 0): labelling, fault tolerance (429 storm, timeouts,
// malformed replies, dropped connections), the concurrency bound, the cache
// (a rerun makes no request), secrecy of the API key, and the simulated marker.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { JudgeInput, StepVerdict } from '../src/judge/judge.ts';
import { JsonlCacheFile } from '../src/judge/judge-cache-file.ts';
import { canonicalJson, isCachedJudgement, JudgeCache, type CachedJudgement } from '../src/judge/judge-cache.ts';
import {
  formatUserMessage,
  LLM_API_KEY_ENV,
  LlmJudge,
  parseRetryAfter,
  parseUserMessage,
  type LlmJudgeOptions,
} from '../src/judge/llm-judge.ts';
import {
  SimulatedLlmServer,
  type Fault,
  type SimulatedLlmServerOptions,
  type StepLabeller,
} from '../src/judge/simulated-llm-server.ts';
import { arithmetic } from '../src/tasks/arithmetic.ts';
import { NoisySolver } from '../src/tasks/noisy-solver.ts';
import { Random } from '../src/util/random.ts';

// ---- a tiny arithmetic checker: the labeller the simulated server uses here ----

function evalOp(a: number, op: string, b: number): number | null {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return b === 0 ? null : Math.floor(a / b);
    case '%':
      return b === 0 ? null : ((a % b) + b) % b;
    default:
      return null;
  }
}

/** 0 for a wrong "a op b = c" claim or a final answer that is not the reference; 1 otherwise. */
const checkArithmetic: StepLabeller = (_problem, steps, { answer }) =>
  steps.map((text) => {
    const final = /Answer:\s*(-?\d+)/.exec(text);
    if (final) {
      return final[1] === answer
        ? { score: 1, reason: 'final answer matches the reference' }
        : { score: 0, reason: `final answer ${final[1]} is not the reference ${answer}` };
    }
    for (const m of text.matchAll(/(-?\d+)\s*([-+*/%])\s*(\d+)\s*=\s*(-?\d+)/g)) {
      const value = evalOp(Number(m[1]), m[2], Number(m[3]));
      if (value !== Number(m[4]))
        return { score: 0, reason: `calculation error: ${m[1]}${m[2]}${m[3]} is ${value}, not ${m[4]}` };
    }
    return { score: 1, reason: 'the arithmetic checks out' };
  });

// ---- inputs: the built-in task's problems with noisy traces ----

const solver = new NoisySolver({ seed: 7, slipRate: 0.35, checkRate: 0.5 });
function inputs(count: number, seedStart = 0): JudgeInput[] {
  return Array.from({ length: count }, (_, i) => {
    const problem = arithmetic.generate(seedStart + i, 1);
    const response = solver.solve(problem).text;
    return { problem, response, steps: arithmetic.naturalSteps(response) };
  });
}
/** What the labeller says about an input (the truth of the simulated judge without noise). */
function expected(input: JudgeInput): (0 | 1)[] {
  const texts = input.steps.map((s) => input.response.slice(s.start, s.end).replace(/\s+$/, ''));
  return checkArithmetic(input.problem.prompt, texts, { answer: input.problem.answer }).map((l) => l.score);
}

// ---- fixtures: servers closed, console captured ----

const servers: SimulatedLlmServer[] = [];
async function startServer(options: Partial<SimulatedLlmServerOptions> = {}): Promise<SimulatedLlmServer> {
  const server = await SimulatedLlmServer.start({ labeller: checkArithmetic, ...options });
  servers.push(server);
  return server;
}
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  vi.restoreAllMocks();
});

/** Fast settings for tests: short timeouts and backoff, silent unless a log is given. */
function judgeFor(server: SimulatedLlmServer, options: Partial<LlmJudgeOptions> = {}): LlmJudge {
  return new LlmJudge({
    baseUrl: server.baseUrl,
    model: 'judge-model',
    apiKey: 'sk-unused',
    timeoutMs: 2_000,
    backoffBaseMs: 5,
    backoffMaxMs: 40,
    log: null,
    ...options,
  });
}

const judgeAll = (judge: LlmJudge, xs: JudgeInput[]) => Promise.all(xs.map((x) => judge.judge(x)));

/**
 * Every step has a verdict; a labelled one agrees with the labeller (never a silent "correct");
 * an abstention has a reason.
 */
function expectSound(xs: JudgeInput[], results: StepVerdict[][]): { labelled: number; abstained: number } {
  let labelled = 0;
  let abstained = 0;
  expect(results.length).toBe(xs.length);
  xs.forEach((x, i) => {
    const truth = expected(x);
    expect(results[i].length).toBe(x.steps.length);
    results[i].forEach((v, k) => {
      if (v.label === null) {
        abstained++;
        expect(v.reason, 'an abstention says why').toMatch(/\S/);
      } else {
        labelled++;
        expect(v.label).toBe(truth[k]);
      }
    });
  });
  return { labelled, abstained };
}
const stepCount = (xs: JudgeInput[]) => xs.reduce((n, x) => n + x.steps.length, 0);

describe('LLM judge: prompt and reply formats', () => {
  it('the user message carries the problem, the reference and the steps, and reads back exactly', () => {
    const steps = ['Step 1: 17+15=33', 'a step\nover two lines', 'has </step> inside\n<step n="4">', ''];
    const message = formatUserMessage('Start 17: +15 *3 -14\n', '82', steps);
    expect(message).toContain('Reference answer: 82');
    expect(parseUserMessage(message)).toEqual({ problem: 'Start 17: +15 *3 -14', answer: '82', steps });
    expect(parseUserMessage('hello')).toBeNull();
  });

  it('Retry-After is read in milliseconds, seconds and as an HTTP date', () => {
    expect(parseRetryAfter(new Headers({ 'retry-after-ms': '250', 'retry-after': '9' }))).toBe(250);
    expect(parseRetryAfter(new Headers({ 'retry-after': '2' }))).toBe(2000);
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter(new Headers({ 'retry-after': 'Wed, 01 Jan 2025 00:00:03 GMT' }), now)).toBe(3000);
    expect(parseRetryAfter(new Headers({ 'retry-after': 'soon' }))).toBeUndefined();
    expect(parseRetryAfter(new Headers())).toBeUndefined();
  });

  it('canonical JSON ignores key order', () => {
    expect(canonicalJson({ b: 1, a: [2, { d: 3, c: undefined, e: 'x' }] })).toBe('{"a":[2,{"d":3,"e":"x"}],"b":1}');
    expect(canonicalJson({ a: 1, b: 2 })).toBe(canonicalJson({ b: 2, a: 1 }));
  });
});

describe('LLM judge against the simulated server', () => {
  it('labels every step as the labeller does, sends the key as a Bearer header, and is marked simulated', async () => {
    const server = await startServer({ apiKey: 'sk-bearer-check' });
    const judge = judgeFor(server, { apiKey: 'sk-bearer-check' });
    expect(judge.simulated).toBe(false); // nothing known before a reply
    const xs = inputs(8);
    const results = await judgeAll(judge, xs);
    const { labelled, abstained } = expectSound(xs, results);
    expect(abstained).toBe(0);
    expect(labelled).toBe(stepCount(xs));
    expect(results.flat().some((v) => v.label === 0)).toBe(true); // the traces hold wrong steps
    expect(results.flat().every((v) => v.reason?.startsWith('[simulated] '))).toBe(true);
    expect(judge.simulated).toBe(true);
    expect(server.stats.requests).toBe(xs.length);
    expect(server.stats.withBearer).toBe(xs.length);
  });

  it('noise flips labels at about its rate, the same way whatever the order of requests', async () => {
    const xs = inputs(30);
    const a = await judgeAll(judgeFor(await startServer({ noise: 0.25, seed: 3 }), { concurrency: 1 }), xs);
    const b = await judgeAll(
      judgeFor(await startServer({ noise: 0.25, seed: 3 }), { concurrency: 6 }),
      [...xs].reverse(),
    );
    expect(a).toEqual(b.reverse());
    const flipped = a.flatMap((r, i) => r.filter((v, k) => v.label !== expected(xs[i])[k]));
    const rate = flipped.length / stepCount(xs);
    expect(rate).toBeGreaterThan(0.1);
    expect(rate).toBeLessThan(0.4);
    expect(flipped.every((v) => /flipped by simulated noise/.test(v.reason ?? ''))).toBe(true);
  });

  it('survives a 429 storm, honouring retry-after', async () => {
    const storm: Fault[] = Array.from({ length: 6 }, () => ({ kind: 'status', status: 429, retryAfterMs: 30 }));
    const server = await startServer({ faults: storm });
    const judge = judgeFor(server, { concurrency: 2, retries: 8 });
    const xs = inputs(5);
    const results = await judgeAll(judge, xs);
    expect(expectSound(xs, results).abstained).toBe(0);
    expect(server.stats.requests).toBe(xs.length + storm.length);
    expect(judge.stats.retries).toBe(storm.length);
  });

  it('waits at least as long as Retry-After says', async () => {
    const server = await startServer({ faults: [{ kind: 'status', status: 429, retryAfterMs: 1000 }] });
    const judge = judgeFor(server);
    const started = performance.now();
    const [result] = await judgeAll(judge, inputs(1));
    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
    expect(result.every((v) => v.label !== null)).toBe(true);
  });

  it('retries timeouts, and abstains with the reason when every attempt times out', async () => {
    const slow: Fault = { kind: 'delay', ms: 1_500 };
    const server = await startServer({ faults: [slow, slow] });
    const xs = inputs(4);
    const results = await judgeAll(judgeFor(server, { timeoutMs: 150, concurrency: 4 }), xs);
    expect(expectSound(xs, results).abstained).toBe(0);
    expect(server.stats.requests).toBe(xs.length + 2);

    const stuck = await startServer({ fault: () => slow });
    const [x] = inputs(1);
    const verdicts = await judgeFor(stuck, { timeoutMs: 100, retries: 1 }).judge(x);
    expect(verdicts.length).toBe(x.steps.length);
    for (const v of verdicts) {
      expect(v.label).toBeNull();
      expect(v.reason).toMatch(/no reply after 2 attempts: timed out after 100 ms/);
    }
    expect(stuck.stats.requests).toBe(2);
  });

  it('retries dropped connections, 500s and cut-off bodies; abstains when the connection always drops', async () => {
    const server = await startServer({
      faults: [
        { kind: 'drop' },
        { kind: 'status', status: 500 },
        { kind: 'malformed-body' },
        { kind: 'drop' },
        { kind: 'status', status: 503 },
      ],
    });
    const xs = inputs(3);
    const results = await judgeAll(judgeFor(server, { concurrency: 1 }), xs);
    expect(expectSound(xs, results).abstained).toBe(0);
    expect(server.stats.requests).toBe(xs.length + 5);

    // A 200 whose body is always cut off: retried like a 500, then abstained with the reason.
    const cutting = await startServer({ fault: () => ({ kind: 'malformed-body' }) });
    const [c] = inputs(1, 60);
    const cut = await judgeFor(cutting, { retries: 2 }).judge(c);
    expect(
      cut.every(
        (v) =>
          v.label === null && /no reply after 3 attempts: the reply body is not complete JSON/.test(v.reason ?? ''),
      ),
    ).toBe(true);
    expect(cutting.stats.requests).toBe(3);

    const dropping = await startServer({ fault: () => ({ kind: 'drop' }) });
    const [x] = inputs(1, 50);
    const verdicts = await judgeFor(dropping, { retries: 2 }).judge(x);
    expect(
      verdicts.every((v) => v.label === null && /no reply after 3 attempts: network error/.test(v.reason ?? '')),
    ).toBe(true);
    expect(dropping.stats.requests).toBe(3);
  });

  const malformedReplyTitle =
    'malformed or refused reply content, or a 4xx, becomes abstentions with their reasons, without retrying';
  it(malformedReplyTitle, async () => {
    const cases: [Fault, RegExp][] = [
      [{ kind: 'malformed-content' }, /^\[simulated\] the reply is not JSON/],
      [{ kind: 'refusal' }, /^\[simulated\] the model refused: I'm sorry/],
      [{ kind: 'wrong-count' }, /^\[simulated\] the reply labels \d+ steps, expected \d+/],
      [{ kind: 'status', status: 400, body: 'bad request' }, /^HTTP 400: .*bad request/],
      [{ kind: 'status', status: 404 }, /^HTTP 404/],
    ];
    const [x] = inputs(1, 100);
    for (const [fault, reason] of cases) {
      const server = await startServer({ faults: [fault] });
      const verdicts = await judgeFor(server).judge(x);
      expect(verdicts.length, fault.kind).toBe(x.steps.length);
      for (const v of verdicts) {
        expect(v.label, fault.kind).toBeNull();
        expect(v.reason, fault.kind).toMatch(reason);
      }
      expect(server.stats.requests, fault.kind).toBe(1);
    }
    expect(inputs(1, 100)[0].steps.length).toBeGreaterThan(1);
    // A missing field abstains on that step only; the others keep their labels.
    const server = await startServer({ faults: [{ kind: 'missing-fields' }] });
    const verdicts = await judgeFor(server).judge(x);
    expect(verdicts[0].label).toBeNull();
    expect(verdicts[0].reason).toMatch(/step 1 of the reply has no score/);
    expect(verdicts.slice(1).map((v) => v.label)).toEqual(expected(x).slice(1));
  });

  it('chaos: every step labelled truly or abstained with a reason, nothing lost', async () => {
    const kinds: Fault[] = [
      { kind: 'status', status: 429, retryAfterMs: 5 },
      { kind: 'status', status: 500 },
      { kind: 'delay', ms: 400 },
      { kind: 'drop' },
      { kind: 'malformed-body' },
      { kind: 'malformed-content' },
      { kind: 'refusal' },
      { kind: 'wrong-count' },
      { kind: 'missing-fields' },
    ];
    const rng = new Random(11);
    const plan = Array.from({ length: 200 }, () =>
      rng.next() < 0.5 ? kinds[Math.floor(rng.next() * kinds.length)] : null,
    );
    const server = await startServer({ faults: plan, maxRequests: 200 });
    const xs = inputs(24, 200);
    const results = await judgeAll(judgeFor(server, { concurrency: 4, retries: 3, timeoutMs: 150 }), xs);
    const { labelled, abstained } = expectSound(xs, results);
    expect(labelled + abstained).toBe(stepCount(xs));
    expect(labelled).toBeGreaterThan(0);
    expect(abstained).toBeGreaterThan(0);
    expect(server.stats.requests).toBeLessThanOrEqual(xs.length * 4);
  });

  it('keeps at most `concurrency` requests in flight', async () => {
    const server = await startServer({ latencyMs: 40 });
    const xs = inputs(16, 300);
    const results = await judgeAll(judgeFor(server, { concurrency: 3 }), xs);
    expect(expectSound(xs, results).abstained).toBe(0);
    expect(server.stats.maxInFlight).toBe(3);
    expect(server.stats.requests).toBe(16);
  });

  it('falls back to plain requests when the server refuses response_format', async () => {
    const server = await startServer({ acceptResponseFormat: false });
    const xs = inputs(3, 400);
    const results = await judgeAll(judgeFor(server, { concurrency: 1 }), xs);
    expect(expectSound(xs, results).abstained).toBe(0);
    expect(server.stats.requests).toBe(xs.length + 1);
  });

  it('a reply from a real (not simulated) model is not marked simulated', async () => {
    const fakeFetch: typeof fetch = async (_url, init) => {
      const body = JSON.parse(String(init?.body)) as { messages: { role: string; content: string }[] };
      const parsed = parseUserMessage(body.messages[1].content)!;
      const steps = parsed.steps.map((_, i) => ({ step: i + 1, score: 1, reason: 'fine' }));
      return new Response(
        JSON.stringify({ model: 'some-real-model', choices: [{ message: { content: JSON.stringify({ steps }) } }] }),
        { status: 200 },
      );
    };
    const judge = new LlmJudge({
      baseUrl: 'http://127.0.0.1:9/v1',
      model: 'some-real-model',
      apiKey: 'k',
      fetch: fakeFetch,
      log: null,
    });
    const [x] = inputs(1);
    const verdicts = await judge.judge(x);
    expect(verdicts.every((v) => v.label === 1 && v.reason === 'fine')).toBe(true);
    expect(judge.simulated).toBe(false);
  });
});

describe('LLM judge cache', () => {
  it('a rerun hits the cache and makes no request, and the key is not part of the cache key', async () => {
    const server = await startServer();
    const cache = new JudgeCache();
    const xs = inputs(6, 500);
    const first = await judgeAll(judgeFor(server, { cache, apiKey: 'sk-one' }), xs);
    expect(server.stats.requests).toBe(xs.length);
    const again = judgeFor(server, { cache, apiKey: 'sk-two' });
    expect(await judgeAll(again, xs)).toEqual(first);
    expect(server.stats.requests).toBe(xs.length);
    expect(again.stats).toMatchObject({ requests: 0, cacheHits: xs.length });
    expect(again.simulated).toBe(true); // remembered with the entry

    // Another model is another judge: no reuse.
    await judgeAll(judgeFor(server, { cache, model: 'other-model' }), xs.slice(0, 1));
    expect(server.stats.requests).toBe(xs.length + 1);
  });

  it('the same steps asked twice at once make one request', async () => {
    const server = await startServer({ latencyMs: 30 });
    const [x] = inputs(1, 550);
    const judge = judgeFor(server, { cache: null });
    const [a, b] = await Promise.all([judge.judge(x), judge.judge(x)]);
    expect(a).toEqual(b);
    expect(server.stats.requests).toBe(1);
  });

  it('a JSONL file cache makes a rerun in a new process cost nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gemstone-judge-cache-'));
    dirs.push(dir);
    const path = join(dir, 'llm-cache.jsonl');
    const server = await startServer();
    const xs = inputs(5, 600);
    const file = new JsonlCacheFile<CachedJudgement>(path);
    const first = await judgeAll(
      judgeFor(server, { cache: new JudgeCache(file, isCachedJudgement), concurrency: 5 }),
      xs,
    );
    await file.flush();
    expect((await readFile(path, 'utf8')).trim().split('\n').length).toBe(xs.length);
    expect(server.stats.requests).toBe(xs.length);

    const reopened = new JudgeCache(new JsonlCacheFile<CachedJudgement>(path), isCachedJudgement);
    const again = judgeFor(server, { cache: reopened });
    expect(await judgeAll(again, xs)).toEqual(first);
    expect(server.stats.requests).toBe(xs.length);
    expect(again.simulated).toBe(true);
  });

  it('abstentions are not cached: the rerun asks again and gets labels', async () => {
    const server = await startServer({ faults: [{ kind: 'malformed-content' }] });
    const cache = new JudgeCache();
    const [x] = inputs(1, 700);
    const judge = judgeFor(server, { cache });
    expect((await judge.judge(x)).every((v) => v.label === null)).toBe(true);
    expect(await cache.size()).toBe(0);
    const second = await judge.judge(x);
    expect(second.map((v) => v.label)).toEqual(expected(x));
    expect(server.stats.requests).toBe(2);
    expect(await cache.size()).toBe(1);
  });
});

describe('LLM judge API key', () => {
  it('is sent as a Bearer header and never appears in errors, logs or the cache', async () => {
    const key = 'sk-live-SECRET-6f1c2a9e7b';
    const captured: string[] = [];
    for (const method of ['log', 'warn', 'error', 'info', 'debug'] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        captured.push(args.map((a) => (typeof a === 'string' ? a : inspect(a))).join(' '));
      });
    }
    const dir = await mkdtemp(join(tmpdir(), 'gemstone-judge-key-'));
    dirs.push(dir);
    const path = join(dir, 'cache.jsonl');
    const file = new JsonlCacheFile<CachedJudgement>(path);
    const echo: Fault = { kind: 'status', status: 401, echoAuthorization: true };
    const server = await startServer({
      apiKey: key,
      faults: [
        { kind: 'status', status: 429, retryAfterMs: 5 },
        { kind: 'drop' },
        { kind: 'malformed-body' },
        echo,
        { kind: 'status', status: 500, echoAuthorization: true },
      ],
    });
    // The default log (console.warn) is on here: its lines are captured.
    const judge = new LlmJudge({
      baseUrl: server.baseUrl,
      model: 'm',
      apiKey: key,
      concurrency: 1,
      timeoutMs: 2_000,
      backoffBaseMs: 5,
      cache: new JudgeCache(file, isCachedJudgement),
    });
    const xs = inputs(6, 800);
    const results = await judgeAll(judge, xs);
    await file.flush();
    const { labelled, abstained } = expectSound(xs, results);
    expect(labelled).toBeGreaterThan(0); // the server accepted the key: it was sent as "Bearer <key>"
    expect(abstained).toBeGreaterThan(0);
    expect(server.stats.withBearer).toBe(server.stats.requests);
    const reasons = results.flat().map((v) => v.reason ?? '');
    expect(reasons.some((r) => r.includes('[api key]'))).toBe(true); // the echoed header was scrubbed
    expect(captured.length).toBeGreaterThan(0);
    const everything = [
      ...captured,
      ...reasons,
      await readFile(path, 'utf8'),
      JSON.stringify(judge),
      inspect(judge, { showHidden: true, depth: 8 }),
    ];
    for (const text of everything) expect(text).not.toContain(key);
    expect(everything.join('\n')).not.toContain('SECRET');
  });

  it('a short key is scrubbed where it stands alone, without mangling words that contain it', async () => {
    const key = 'ari';
    const server = await startServer({
      apiKey: key,
      faults: [{ kind: 'status', status: 401, echoAuthorization: true }],
    });
    const judge = judgeFor(server, { apiKey: key, concurrency: 1 });
    // One after the other: the server faults its first request, and two judge() calls at once race to the
    // semaphore through their cache keys' digests (under load the second can arrive first).
    const [first, second] = inputs(2, 900);
    const refused = await judge.judge(first);
    const labelled = await judge.judge(second);
    expect(refused[0].reason).toMatch(/^HTTP 401: .*Bearer \[api key\]/);
    expect(refused[0].reason).not.toMatch(/Bearer ari/);
    expect(labelled.some((v) => v.reason?.includes('arithmetic'))).toBe(true);
  });

  it(`is read from ${LLM_API_KEY_ENV} when not given`, async () => {
    const key = 'sk-from-env-1234';
    vi.stubEnv(LLM_API_KEY_ENV, key);
    try {
      const server = await startServer({ apiKey: key });
      const judge = new LlmJudge({ baseUrl: server.baseUrl, model: 'm', log: null });
      expect(judge.hasApiKey).toBe(true);
      const [x] = inputs(1);
      expect((await judge.judge(x)).every((v) => v.label !== null)).toBe(true);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
