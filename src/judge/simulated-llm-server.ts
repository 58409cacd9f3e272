// A local OpenAI-compatible chat-completions server that answers as a
// SIMULATED judge, for tests and offline demos (Node and Deno, node:http).
// It reads the steps back out of the LLM judge's user message
// (parseUserMessage), labels them with the labeller it is given (a task's
// oracle or rule judge, step-labeller.ts, or any function; the server itself
// knows no task), flips each label with probability `noise`
// (seeded by the request's content, so the same request always gets the same
// labels whatever order requests arrive in), and marks every reply as
// simulated: model "gemstone-simulated-judge", `gemstone_simulated: true`
// beside the choices and `"simulated": true` inside the JSON content.
//
// It listens on 127.0.0.1 with a port from the system (port 0) only, caps the
// number of requests it answers, and can inject faults request by request:
// HTTP errors (a 429 storm with Retry-After, 500s), delays longer than the
// client's timeout, malformed bodies and contents, refusals, wrong step
// counts, missing fields, and dropped connections.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SIMULATED_MODEL } from './llm-judge.ts';
import { simulatedVerdicts, type SimulatedStep, type StepLabeller } from './simulated-llm.ts';

export type { StepLabeller } from './simulated-llm.ts';

/** What the server does to one request instead of (or before) answering it normally. */
export type Fault =
  /** Replies with this HTTP status (429 with retry-after-ms and Retry-After when retryAfterMs is set). */
  | { kind: 'status'; status: number; retryAfterMs?: number; body?: string; echoAuthorization?: boolean }
  /** Answers normally, but only after `ms`. */
  | { kind: 'delay'; ms: number }
  /** Destroys the socket without a reply. */
  | { kind: 'drop' }
  /** 200 with a body that is not JSON. */
  | { kind: 'malformed-body' }
  /** A well-formed completion whose content is not JSON. */
  | { kind: 'malformed-content' }
  /** A completion with the refusal field set and a refusal as its text. */
  | { kind: 'refusal' }
  /** Labels one step fewer than asked. */
  | { kind: 'wrong-count' }
  /** Leaves the score out of the first step's entry. */
  | { kind: 'missing-fields' };

export interface SimulatedLlmServerOptions {
  labeller: StepLabeller;
  /** Probability in [0, 1] of flipping each label (default 0). */
  noise?: number;
  /** Seed of the noise (default 0). */
  seed?: number;
  /** Faults for requests in arrival order: the n-th request (from 0) gets faults[n] when it is set. */
  faults?: readonly (Fault | null | undefined)[];
  /** Or a fault chosen per request (n from 0); used when `faults` has nothing for it. */
  fault?: (n: number) => Fault | null | undefined;
  /** Delay before every normal answer (default 0 ms). */
  latencyMs?: number;
  /** Requests after this many are answered 400 (default 1000), so a runaway client cannot loop forever. */
  maxRequests?: number;
  /** When set, a request without "Authorization: Bearer <apiKey>" gets 401. */
  apiKey?: string;
  /** False: a request that sets response_format gets 400 (as some local servers do). Default true. */
  acceptResponseFormat?: boolean;
}

export interface SimulatedLlmServerStats {
  /** Every request received, whatever its fate. */
  requests: number;
  /** Requests received and not yet finished (answered or dropped). */
  inFlight: number;
  maxInFlight: number;
  /** Requests that carried a Bearer token. */
  withBearer: number;
  /** Normal answers sent (status 200 with labels). */
  answered: number;
  /** Faults applied. */
  faults: number;
}

const MAX_BODY_BYTES = 1 << 20;

export class SimulatedLlmServer {
  readonly stats: SimulatedLlmServerStats = {
    requests: 0,
    inFlight: 0,
    maxInFlight: 0,
    withBearer: 0,
    answered: 0,
    faults: 0,
  };
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private constructor(
    private readonly server: Server,
    private readonly options: SimulatedLlmServerOptions,
    /** e.g. http://127.0.0.1:41234/v1 */
    readonly baseUrl: string,
  ) {}

  /** Starts a server on 127.0.0.1 with a free port. */
  static async start(options: SimulatedLlmServerOptions): Promise<SimulatedLlmServer> {
    const noise = options.noise ?? 0;
    if (!(noise >= 0 && noise <= 1))
      throw new Error(`SimulatedLlmServer: noise must be a probability in [0, 1], got ${noise}.`);
    let self: SimulatedLlmServer | null = null;
    const server = createServer((req, res) => self?.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    self = new SimulatedLlmServer(server, options, `http://127.0.0.1:${port}/v1`);
    return self;
  }

  /** Stops answering, cancels delayed answers and closes every connection. */
  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const n = this.stats.requests++;
    this.stats.inFlight++;
    this.stats.maxInFlight = Math.max(this.stats.maxInFlight, this.stats.inFlight);
    res.once('close', () => this.stats.inFlight--);
    res.on('error', () => {}); // a client that hung up: nothing to tell it
    const auth = req.headers.authorization ?? '';
    if (/^Bearer \S/.test(auth)) this.stats.withBearer++;

    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('error', () => res.destroy());
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) return this.error(res, 413, 'request body over 1 MiB');
      this.respond(n, req, auth, Buffer.concat(chunks).toString('utf8'), res);
    });
  }

  private respond(n: number, req: IncomingMessage, auth: string, text: string, res: ServerResponse): void {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path.endsWith('/models')) {
      return this.json(res, 200, {
        object: 'list',
        data: [{ id: SIMULATED_MODEL, object: 'model', owned_by: 'gemstone (simulated)' }],
      });
    }
    if (req.method !== 'POST' || !path.endsWith('/chat/completions'))
      return this.error(res, 404, `no route ${req.method} ${path}`);
    if (n >= (this.options.maxRequests ?? 1000))
      return this.error(res, 400, `the simulated judge answers at most ${this.options.maxRequests ?? 1000} requests`);
    if (this.options.apiKey !== undefined && auth !== `Bearer ${this.options.apiKey}`)
      return this.error(res, 401, 'invalid or missing API key');

    const fault = this.options.faults?.[n] ?? this.options.fault?.(n) ?? null;
    if (fault) {
      this.stats.faults++;
      switch (fault.kind) {
        case 'status': {
          const headers: Record<string, string> = {};
          if (fault.retryAfterMs !== undefined) {
            headers['retry-after-ms'] = String(fault.retryAfterMs);
            headers['retry-after'] = String(Math.ceil(fault.retryAfterMs / 1000));
          }
          const message = fault.echoAuthorization
            ? `rejected credentials: ${auth}`
            : (fault.body ?? `simulated HTTP ${fault.status}`);
          return this.error(res, fault.status, message, headers);
        }
        case 'drop':
          req.socket.destroy();
          return;
        case 'malformed-body':
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end('{"id": "chatcmpl-simulated", "choices": [{"message": {"content": "{\\"steps\\": [');
          return;
        case 'delay':
          return this.later(fault.ms, () => this.answer(res, text, null));
        default:
          return this.answer(res, text, fault.kind);
      }
    }
    const latency = this.options.latencyMs ?? 0;
    if (latency > 0) this.later(latency, () => this.answer(res, text, null));
    else this.answer(res, text, null);
  }

  private answer(
    res: ServerResponse,
    text: string,
    twist: 'malformed-content' | 'refusal' | 'wrong-count' | 'missing-fields' | null,
  ): void {
    if (res.destroyed || res.writableEnded) return; // the client gave up (timeout) or the server closed
    let request: { model?: unknown; messages?: { role?: unknown; content?: unknown }[]; response_format?: unknown };
    try {
      request = JSON.parse(text);
    } catch {
      return this.error(res, 400, 'the request body is not JSON');
    }
    if (this.options.acceptResponseFormat === false && request.response_format !== undefined) {
      return this.error(res, 400, 'response_format is not supported by this server');
    }
    const messages = Array.isArray(request.messages) ? request.messages : [];
    const user = [...messages].reverse().find((m) => m?.role === 'user' && typeof m.content === 'string');
    let steps: SimulatedStep[] | null;
    try {
      steps = user
        ? simulatedVerdicts(
            user.content as string,
            this.options.labeller,
            this.options.noise ?? 0,
            this.options.seed ?? 0,
          )
        : null;
    } catch (error) {
      return this.error(res, 500, `the simulated judge's labeller failed: ${(error as Error).message}`);
    }
    if (!steps)
      return this.error(
        res,
        400,
        "the simulated judge reads only gemstone's LLM-judge prompt (no steps found in the user message)",
      );
    if (twist === 'wrong-count') steps = steps.slice(0, Math.max(0, steps.length - 1));
    if (twist === 'missing-fields' && steps.length > 0) delete steps[0].score;
    let content = JSON.stringify({ simulated: true, steps });
    let refusal: string | null = null;
    if (twist === 'malformed-content')
      content = `Sure! Here are the labels: ${content.slice(0, Math.floor(content.length / 2))}`;
    if (twist === 'refusal') {
      refusal = "I'm sorry, but I can't help with grading this.";
      content = refusal;
    }
    this.stats.answered += twist === null ? 1 : 0;
    this.json(res, 200, {
      id: `chatcmpl-simulated-${this.stats.requests}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: SIMULATED_MODEL,
      gemstone_simulated: true,
      choices: [{ index: 0, message: { role: 'assistant', content, refusal }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
    });
  }

  private json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    if (res.destroyed || res.writableEnded) return;
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  }

  private error(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
    this.json(res, status, { error: { message, type: 'simulated_error', code: status } }, headers);
  }
}
