// The LLM judge (docs/algorithms.md §3.1; the paper used Claude-3.7 Sonnet).
// It speaks the OpenAI-compatible chat-completions protocol, so any hosted or
// local server (llama.cpp, vLLM, Ollama, simulated-llm-server.ts) can serve:
// POST {baseUrl}/chat/completions with {model, messages, temperature: 0,
// response_format: {type: "json_object"}}. The system message holds the error
// taxonomy, the Error Propagation / Error Termination rules and the
// final-answer rule; the user message holds the problem, the reference answer
// and the numbered steps; the reply is JSON, one {step, score, reason} per step.
//
// Failure policy: a reply that cannot be trusted — bad JSON content, the wrong number
// of steps, missing fields, a refusal, an HTTP 4xx other than 429, or retries
// spent — becomes an abstention (label null) on every step it concerns, with
// the reason. Never a crash, never a silent "correct".
// Transient failures (429, 5xx, network errors, timeouts, a 2xx body cut off
// before its JSON ends) are retried with exponential backoff and full jitter;
// Retry-After (and OpenAI's retry-after-ms) is respected. At most `concurrency` requests are in flight.
//
// The API key (option or env GEMSTONE_LLM_API_KEY) goes only into the
// Authorization header: it is kept in a private field, left out of the cache
// key and of `config`, and scrubbed from every reason and log line.
import type { Judge, JudgeInput, StepVerdict } from './judge.ts';
import { cacheKey, JudgeCache, type CachedJudgement } from './judge-cache.ts';

export const LLM_API_KEY_ENV = 'GEMSTONE_LLM_API_KEY';
/** The model name the simulated server replies with (simulated-llm-server.ts). */
export const SIMULATED_MODEL = 'gemstone-simulated-judge';
/** Bumped whenever the prompt or the reply format changes (part of the cache key). */
export const LLM_JUDGE_PROMPT_VERSION = 2;

export const LLM_JUDGE_SYSTEM_PROMPT = [
  'You grade step-by-step solutions, one step at a time. You are given a problem, its reference final answer, and a ' +
    'response cut into numbered steps. Label every step 1 (correct) or 0 (incorrect), judging each step only from ' +
    'the problem and the steps up to and including it.',
  '',
  'A step is 0 when it has an error of its own:',
  '- calculation error: a slip in a computation or in algebra;',
  '- invalid derivation: a conclusion that does not follow from what came before;',
  '- logical leap: a claim made without the reasoning it needs;',
  '- misread condition: a number or condition of the problem used wrongly or invented;',
  '- wrong formula: a formula or rule that is wrong or does not apply;',
  '- false claim: a statement that is untrue, including "confirming" a wrong result.',
  '',
  'A step with no error of its own is decided by the steps before it:',
  '- Error Propagation: an earlier step is wrong and this step keeps building on the wrong result without fixing it: ' +
    '0, even when its own computation is right.',
  '- Error Termination: this step notices and fixes an earlier error, or starts a fresh, correct approach: 1.',
  'Steps that restate the problem, plan, or check earlier work, with nothing wrong in them, are 1.',
  '',
  'The final-answer step is 1 only if the answer it states matches the reference answer; otherwise it is 0.',
  '',
  'Reply with one JSON object and nothing else:',
  '{"steps": [{"step": 1, "score": 0, "reason": "..."}, ...]}',
  'with exactly one entry per step, in order, numbered from 1; score is 0 or 1; reason is one short sentence that ' +
    'names the error kind or the rule when the score is 0.',
].join('\n');

// ---- the user message: written here, read back by the simulated server ----

const STEPS_OPEN = '<steps>';
const STEPS_CLOSE = '</steps>';
const stepOpen = (k: number) => `<step n="${k}">`;
const STEP_CLOSE = '</step>';

/** The user message for a problem, its reference answer and the steps' text. */
export function formatUserMessage(problem: string, answer: string, steps: readonly string[]): string {
  const blocks = steps.map((text, i) => `${stepOpen(i + 1)}\n${text}\n${STEP_CLOSE}`);
  return [
    'Problem:',
    problem.replace(/\n+$/, ''),
    '',
    `Reference answer: ${answer}`,
    '',
    `The response, in ${steps.length} steps:`,
    STEPS_OPEN,
    ...blocks,
    STEPS_CLOSE,
    '',
    `Label all ${steps.length} steps.`,
  ].join('\n');
}

/** Reads a user message written by formatUserMessage back; null when it is not one. */
export function parseUserMessage(message: string): { problem: string; answer: string; steps: string[] } | null {
  const head = /^Problem:\n([\s\S]*?)\n\nReference answer: (.*)\n\nThe response, in (\d+) steps:\n<steps>\n/.exec(
    message,
  );
  if (!head) return null;
  const count = Number(head[3]);
  const steps: string[] = [];
  let at = head[0].length;
  for (let k = 1; k <= count; k++) {
    const open = `${stepOpen(k)}\n`;
    if (!message.startsWith(open, at)) return null;
    at += open.length;
    // The step ends at the close tag followed by the next step's open tag (or the end of the list).
    const closeWith = `\n${STEP_CLOSE}\n${k < count ? stepOpen(k + 1) : STEPS_CLOSE}`;
    const end = message.indexOf(closeWith, at);
    if (end < 0) return null;
    steps.push(message.slice(at, end));
    at = end + `\n${STEP_CLOSE}\n`.length;
  }
  if (!message.startsWith(STEPS_CLOSE, at)) return null;
  return { problem: head[1], answer: head[2], steps };
}

// ---- options ----

export interface LlmJudgeOptions {
  /** The server's base URL, e.g. https://api.openai.com/v1 or http://127.0.0.1:8080/v1. */
  baseUrl: string;
  model: string;
  /** Bearer token. Default: env GEMSTONE_LLM_API_KEY (Node, Deno); none in the browser unless given. */
  apiKey?: string;
  /** Most requests in flight at once (default 4). */
  concurrency?: number;
  /** Per attempt, covering the whole reply (default 60 000 ms). */
  timeoutMs?: number;
  /** Retries after the first attempt on 429, 5xx, network errors and timeouts (default 4). */
  retries?: number;
  /** Backoff before retry n (from 0): a uniform draw in [0, min(maxMs, baseMs · 2^n)] (defaults 500, 30 000 ms). */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Longest Retry-After honoured; longer ones are cut to this (default 60 000 ms). */
  maxRetryAfterMs?: number;
  /**
   * response_format {type: "json_object"}: 'auto' (default) sends it and, when the
   * server rejects it with a 400 that names it, drops it for this and later requests.
   */
  jsonMode?: 'auto' | 'always' | 'never';
  /** Results of earlier runs (default: a cache in memory for this judge; null: none). */
  cache?: JudgeCache | null;
  /** Log lines (retries, give-ups); default console.warn; null: silent. Never holds the key. */
  log?: ((line: string) => void) | null;
  /** Default: globalThis.fetch. */
  fetch?: typeof fetch;
  /** Uniform in [0, 1) for the jitter (default Math.random). */
  random?: () => number;
}

/**
 * The key from env GEMSTONE_LLM_API_KEY in Node or Deno; undefined where there is none
 * (or no permission to read it).
 */
export function llmApiKeyFromEnv(name: string = LLM_API_KEY_ENV): string | undefined {
  const g = globalThis as {
    Deno?: { env?: { get(name: string): string | undefined } };
    process?: { env?: Record<string, string | undefined> };
  };
  try {
    if (g.Deno?.env) return g.Deno.env.get(name) || undefined;
  } catch {
    // Deno without --allow-env.
  }
  try {
    return g.process?.env?.[name] || undefined;
  } catch {
    return undefined;
  }
}

/** What is known about a reply from the server. */
interface ReplyOutcome {
  verdicts: StepVerdict[];
  model: string;
  simulated: boolean;
}

/** Why one attempt failed: retryable or not, with a reason fit to show (already scrubbed of the key). */
interface AttemptFailure {
  retry: boolean;
  reason: string;
  retryAfterMs?: number;
  /** The server refused response_format: try again without it. */
  dropJsonMode?: boolean;
}

const MAX_REASON_CHARS = 300;

class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}
  async acquire(): Promise<void> {
    if (this.active < this.limit) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
  release(): void {
    const next = this.waiting.shift();
    if (next)
      next(); // the slot passes straight to the next waiter
    else this.active--;
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class LlmJudge implements Judge {
  readonly name = 'llm';
  readonly #apiKey: string | undefined;
  readonly #fetch: typeof fetch;
  private readonly semaphore: Semaphore;
  private readonly cache: JudgeCache | null;
  private readonly log: ((line: string) => void) | null;
  private readonly random: () => number;
  private jsonMode: 'auto' | 'always' | 'never';
  /** Requests for the same key already in flight share one answer. */
  private readonly pending = new Map<string, Promise<StepVerdict[]>>();
  private sawSimulated = false;
  /** Counts for reports: requests sent (attempts), replies served from the cache, steps abstained. */
  readonly stats = { requests: 0, cacheHits: 0, abstainedSteps: 0, retries: 0 };
  /** The settings that decide replies (no key): part of every cache key. */
  readonly config: { baseUrl: string; model: string; temperature: 0; promptVersion: number };
  readonly concurrency: number;
  readonly timeoutMs: number;
  readonly retries: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  readonly maxRetryAfterMs: number;

  constructor(options: LlmJudgeOptions) {
    if (typeof options.baseUrl !== 'string' || !/^https?:\/\//.test(options.baseUrl)) {
      throw new Error(
        'LlmJudge: baseUrl must be an http(s) URL such as http://127.0.0.1:8080/v1, ' +
          `got ${JSON.stringify(String(options.baseUrl))}.`,
      );
    }
    if (typeof options.model !== 'string' || options.model === '')
      throw new Error('LlmJudge: model must be a non-empty name.');
    const positive = (name: string, v: number | undefined, fallback: number, min: number) => {
      const value = v ?? fallback;
      if (!Number.isFinite(value) || value < min)
        throw new Error(`LlmJudge: ${name} must be a number ≥ ${min}, got ${value}.`);
      return value;
    };
    this.concurrency = Math.floor(positive('concurrency', options.concurrency, 4, 1));
    this.timeoutMs = positive('timeoutMs', options.timeoutMs, 60_000, 1);
    this.retries = Math.floor(positive('retries', options.retries, 4, 0));
    this.backoffBaseMs = positive('backoffBaseMs', options.backoffBaseMs, 500, 0);
    this.backoffMaxMs = positive('backoffMaxMs', options.backoffMaxMs, 30_000, 0);
    this.maxRetryAfterMs = positive('maxRetryAfterMs', options.maxRetryAfterMs, 60_000, 0);
    this.#apiKey = options.apiKey ?? llmApiKeyFromEnv();
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.semaphore = new Semaphore(this.concurrency);
    this.cache = options.cache === undefined ? new JudgeCache(null) : options.cache;
    this.log = options.log === undefined ? (line) => console.warn(line) : options.log;
    this.random = options.random ?? Math.random;
    this.jsonMode = options.jsonMode ?? 'auto';
    this.config = {
      baseUrl: options.baseUrl.replace(/\/+$/, ''),
      model: options.model,
      temperature: 0,
      promptVersion: LLM_JUDGE_PROMPT_VERSION,
    };
  }

  /** True once a reply (or a cached one) came from a simulated judge: its labels must be shown as simulated. */
  get simulated(): boolean {
    return this.sawSimulated;
  }

  /** Whether an API key is set (the key itself is never exposed). */
  get hasApiKey(): boolean {
    return this.#apiKey !== undefined && this.#apiKey !== '';
  }

  /** Never shows the key (JSON.stringify of the judge). */
  toJSON(): unknown {
    return { name: this.name, ...this.config, concurrency: this.concurrency, simulated: this.simulated };
  }

  async judge(input: JudgeInput): Promise<StepVerdict[]> {
    const stepTexts = input.steps.map((s) => input.response.slice(s.start, s.end).replace(/\s+$/, ''));
    if (stepTexts.length === 0) return [];
    const user = formatUserMessage(input.problem.prompt, input.problem.answer, stepTexts);
    const key = await cacheKey({
      judge: 'llm',
      config: this.config,
      system: LLM_JUDGE_SYSTEM_PROMPT,
      prompt: input.problem.prompt,
      answer: input.problem.answer,
      steps: stepTexts,
    });
    const running = this.pending.get(key);
    if (running) return running.then((v) => structuredClone(v));
    const work = this.judgeUncached(key, user, stepTexts.length).finally(() => this.pending.delete(key));
    this.pending.set(key, work);
    return work.then((v) => structuredClone(v));
  }

  private async judgeUncached(key: string, user: string, count: number): Promise<StepVerdict[]> {
    const cached = await this.cacheGet(key, count);
    if (cached) {
      this.stats.cacheHits++;
      if (cached.simulated) this.sawSimulated = true;
      return cached.verdicts;
    }
    const outcome = await this.request(user, count);
    if ('failure' in outcome) return this.abstainAll(count, outcome.failure);
    if (outcome.simulated) this.sawSimulated = true;
    const abstained = outcome.verdicts.filter((v) => v.label === null).length;
    this.stats.abstainedSteps += abstained;
    if (abstained === 0 && this.cache) {
      const entry: CachedJudgement = { verdicts: outcome.verdicts, model: outcome.model, simulated: outcome.simulated };
      try {
        await this.cache.set(key, entry);
      } catch (error) {
        this.emit(
          `llm judge: could not write the cache (${this.describeError(error)}); the result is kept for this run only.`,
        );
      }
    }
    return outcome.verdicts;
  }

  private async cacheGet(key: string, count: number): Promise<CachedJudgement | undefined> {
    if (!this.cache) return undefined;
    try {
      const hit = await this.cache.get(key);
      return hit && hit.verdicts.length === count ? hit : undefined;
    } catch (error) {
      this.emit(`llm judge: could not read the cache (${this.describeError(error)}); asking the server.`);
      return undefined;
    }
  }

  private abstainAll(count: number, reason: string): StepVerdict[] {
    this.stats.abstainedSteps += count;
    return Array.from({ length: count }, () => ({ label: null, reason }));
  }

  /** Attempts until a reply is read, a failure is final, or the retries are spent. */
  private async request(user: string, count: number): Promise<ReplyOutcome | { failure: string }> {
    let last = '';
    let retriesUsed = 0;
    for (;;) {
      const result = await this.attempt(user, count);
      if (!('retry' in result)) return result;
      last = result.reason;
      if (result.dropJsonMode) {
        // Not a transient failure and not a retry: the same request without response_format.
        if (this.jsonMode !== 'never')
          this.emit(`llm judge: the server does not accept response_format; sending requests without it.`);
        this.jsonMode = 'never';
        continue;
      }
      if (!result.retry) {
        this.emit(`llm judge: ${last}; not retried, abstaining on ${count} step${count === 1 ? '' : 's'}.`);
        return { failure: last };
      }
      if (retriesUsed >= this.retries) {
        const failure = `no reply after ${retriesUsed + 1} attempt${retriesUsed === 0 ? '' : 's'}: ${last}`;
        this.emit(`llm judge: gave up, ${failure}`);
        return { failure };
      }
      const backoff = this.random() * Math.min(this.backoffMaxMs, this.backoffBaseMs * 2 ** retriesUsed);
      const wait =
        result.retryAfterMs !== undefined
          ? Math.max(Math.min(result.retryAfterMs, this.maxRetryAfterMs), backoff)
          : backoff;
      retriesUsed++;
      this.stats.retries++;
      this.emit(`llm judge: ${last}; retry ${retriesUsed} of ${this.retries} in ${Math.round(wait)} ms.`);
      await sleep(wait);
    }
  }

  /** One HTTP request, inside the concurrency bound and the timeout. */
  private async attempt(user: string, count: number): Promise<ReplyOutcome | AttemptFailure> {
    await this.semaphore.acquire();
    try {
      return await this.attemptHeld(user, count);
    } finally {
      this.semaphore.release();
    }
  }

  /**
   * The request is built only once a slot is held, so it sees what earlier replies taught
   * (e.g. no response_format).
   */
  private async attemptHeld(user: string, count: number): Promise<ReplyOutcome | AttemptFailure> {
    const body: Record<string, unknown> = {
      model: this.config.model,
      messages: [
        { role: 'system', content: LLM_JUDGE_SYSTEM_PROMPT },
        { role: 'user', content: user },
      ],
      temperature: 0,
    };
    const sentJsonMode = this.jsonMode !== 'never';
    if (sentJsonMode) body.response_format = { type: 'json_object' };
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (this.hasApiKey) headers.authorization = `Bearer ${this.#apiKey}`;

    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.timeoutMs);
    try {
      this.stats.requests++;
      let status: number;
      let text: string;
      let retryAfterMs: number | undefined;
      try {
        const response = await this.#fetch(`${this.config.baseUrl}/chat/completions`, {
          method: 'POST',
          headers,
          body: JSON.stringify(body),
          signal: controller.signal,
        });
        status = response.status;
        retryAfterMs = parseRetryAfter(response.headers);
        text = await response.text(); // inside the timeout: a reply that stalls mid-body is a timeout too
      } catch (error) {
        const reason = timedOut
          ? `timed out after ${this.timeoutMs} ms`
          : `network error (${this.describeError(error)})`;
        return { retry: true, reason };
      }
      if (status === 429 || status >= 500) {
        return { retry: true, reason: `HTTP ${status}${this.bodySnippet(text)}`, retryAfterMs };
      }
      if (status < 200 || status >= 300) {
        if (status === 400 && sentJsonMode && this.jsonMode !== 'always' && /response_format|json_object/i.test(text)) {
          return { retry: false, dropJsonMode: true, reason: `HTTP 400 (response_format refused)` };
        }
        return { retry: false, reason: `HTTP ${status}${this.bodySnippet(text)}` };
      }
      // A 2xx body that is not whole JSON is a transfer cut off (a dropped proxy connection): transient.
      let reply: unknown;
      try {
        reply = JSON.parse(text);
      } catch {
        return { retry: true, reason: `the reply body is not complete JSON (cut off?)${this.bodySnippet(text)}` };
      }
      return this.readReply(reply, count);
    } finally {
      clearTimeout(timer);
    }
  }

  /** A 2xx body → verdicts; anything that cannot be trusted → abstentions with the reason. */
  private readReply(reply: unknown, count: number): ReplyOutcome {
    const r = (reply ?? {}) as {
      model?: unknown;
      gemstone_simulated?: unknown;
      choices?: { message?: { content?: unknown; refusal?: unknown }; finish_reason?: unknown }[];
    };
    const model = typeof r.model === 'string' ? r.model : '';
    const simulated = model === SIMULATED_MODEL || r.gemstone_simulated === true;
    const choice = Array.isArray(r.choices) ? r.choices[0] : undefined;
    const message = choice?.message;
    if (!message || typeof message !== 'object')
      return this.malformed(count, 'the reply has no choices[0].message', model, simulated);
    if (typeof message.refusal === 'string' && message.refusal.trim() !== '') {
      return this.malformed(count, `the model refused: ${this.clip(message.refusal)}`, model, simulated);
    }
    if (choice?.finish_reason === 'content_filter')
      return this.malformed(count, 'the reply was withheld by a content filter', model, simulated);
    if (typeof message.content !== 'string')
      return this.malformed(count, 'the reply message has no text content', model, simulated);
    const content = message.content.trim().replace(/^```(?:json)?\s*\n?([\s\S]*?)\n?```$/i, '$1');
    let parsed: unknown;
    try {
      parsed = JSON.parse(content);
    } catch {
      const cut = choice?.finish_reason === 'length' ? ' (cut off at the length limit)' : '';
      return this.malformed(
        count,
        `the reply is not JSON${cut}: ${this.clip(JSON.stringify(content))}`,
        model,
        simulated,
      );
    }
    const list = Array.isArray(parsed) ? parsed : (parsed as { steps?: unknown } | null)?.steps;
    if (!Array.isArray(list)) return this.malformed(count, 'the reply JSON has no "steps" list', model, simulated);
    if (list.length !== count)
      return this.malformed(count, `the reply labels ${list.length} steps, expected ${count}`, model, simulated);
    const byStep = new Map<number, unknown>();
    for (const [i, entry] of list.entries()) {
      const n = (entry as { step?: unknown } | null)?.step;
      // A missing step number is read as the entry's position; a bad or repeated one makes the list unreadable.
      const k =
        n === undefined
          ? i + 1
          : typeof n === 'number'
            ? n
            : typeof n === 'string' && /^\d+$/.test(n.trim())
              ? Number(n)
              : NaN;
      if (!Number.isInteger(k) || k < 1 || k > count || byStep.has(k)) {
        return this.malformed(
          count,
          `the reply's entry ${i + 1} has step ${this.clip(JSON.stringify(n))}, ` +
            `not a distinct number from 1 to ${count}`,
          model,
          simulated,
        );
      }
      byStep.set(k, entry);
    }
    const tag = simulated ? '[simulated] ' : '';
    const verdicts: StepVerdict[] = [];
    for (let k = 1; k <= count; k++) {
      const entry = byStep.get(k) as { score?: unknown; reason?: unknown } | null;
      const score = entry?.score;
      const label =
        score === 0 || score === '0' || score === false ? 0 : score === 1 || score === '1' || score === true ? 1 : null;
      if (label === null) {
        const why = score === undefined ? 'no score' : `score ${this.clip(JSON.stringify(score))} is not 0 or 1`;
        verdicts.push({ label: null, reason: `${tag}step ${k} of the reply has ${why}` });
        continue;
      }
      const reason =
        typeof entry?.reason === 'string' && entry.reason.trim() !== ''
          ? this.clip(entry.reason.trim())
          : '(no reason given)';
      verdicts.push({ label, score: label, reason: `${tag}${reason}` });
    }
    return { verdicts, model, simulated };
  }

  private malformed(count: number, reason: string, model: string, simulated: boolean): ReplyOutcome {
    const tag = simulated ? '[simulated] ' : '';
    this.emit(`llm judge: ${reason}; abstaining on ${count} step${count === 1 ? '' : 's'}.`);
    return {
      verdicts: Array.from({ length: count }, () => ({ label: null, reason: `${tag}${reason}` })),
      model,
      simulated,
    };
  }

  private bodySnippet(text: string): string {
    const t = text.trim();
    return t === '' ? '' : `: ${this.clip(t)}`;
  }

  /** Scrubs the key and cuts to MAX_REASON_CHARS. Every text shown or logged passes through here. */
  private clip(text: string): string {
    let t = this.scrub(text);
    if (t.length > MAX_REASON_CHARS) t = `${t.slice(0, MAX_REASON_CHARS)}…`;
    return t;
  }

  /**
   * Replaces the key with "[api key]". A key of 8 characters or more goes wherever it
   * appears; a shorter one (a local server's "secret") only where it stands as a whole
   * token, so that the key "k" does not mangle the word "ok".
   */
  private scrub(text: string): string {
    const key = this.#apiKey;
    if (!key) return text;
    if (key.length >= 8) return text.split(key).join('[api key]');
    const escaped = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return text.replace(new RegExp(`(?<![A-Za-z0-9_-])${escaped}(?![A-Za-z0-9_-])`, 'g'), '[api key]');
  }

  private describeError(error: unknown): string {
    const e = error as { name?: unknown; message?: unknown; cause?: { code?: unknown; message?: unknown } } | null;
    const parts = [typeof e?.message === 'string' ? e.message : String(error)];
    const cause = e?.cause;
    if (cause && (typeof cause.code === 'string' || typeof cause.message === 'string')) {
      parts.push(String(typeof cause.code === 'string' ? cause.code : cause.message));
    }
    return this.clip(parts.join(': '));
  }

  private emit(line: string): void {
    this.log?.(this.scrub(line));
  }
}

/**
 * Milliseconds to wait from retry-after-ms (OpenAI) or Retry-After (seconds or an HTTP date);
 * undefined when absent or unreadable.
 */
export function parseRetryAfter(headers: Headers, now: number = Date.now()): number | undefined {
  const ms = headers.get('retry-after-ms');
  if (ms !== null && /^\s*\d+(\.\d+)?\s*$/.test(ms)) return Number(ms);
  const value = headers.get('retry-after');
  if (value === null) return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
