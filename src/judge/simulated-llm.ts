// The SIMULATED LLM judge's labelling, once for every face: the labeller's
// labels (the rule judge's, by default), each flipped with probability `noise`,
// seeded by the request's text — so the same request always gets the same
// labels whatever order requests arrive in. The local server
// (simulated-llm-server.ts, Node and Deno) answers with it over HTTP; the page
// and the pipeline use simulatedJudgeFetch, a `fetch` that answers in-process.
// The real LlmJudge client runs unchanged on top of either.
import { Random } from '../util/random.ts';
import { LlmJudge, parseUserMessage, SIMULATED_MODEL } from './llm-judge.ts';
import { ruleStepLabeller } from './rule-judge.ts';
import type { StepLabeller } from './step-labeller.ts';

export type { StepLabeller } from './step-labeller.ts';

export interface SimulatedStep {
  step: number;
  score?: 0 | 1;
  reason: string;
}

/** FNV-1a over UTF-16 code units, then an avalanche: a seed from a text. */
export function hashText(text: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * The simulated verdicts on the steps of gemstone's LLM-judge user message, or null when the
 * message is not one. The labeller's errors propagate.
 */
export function simulatedVerdicts(
  userMessage: string,
  labeller: StepLabeller,
  noise: number,
  seed: number,
): SimulatedStep[] | null {
  const parsed = parseUserMessage(userMessage);
  if (!parsed) return null;
  const labels = labeller(parsed.problem, parsed.steps, { answer: parsed.answer });
  const rng = new Random(hashText(userMessage, seed));
  return labels.map((l, i) =>
    rng.next() < noise
      ? { step: i + 1, score: (1 - l.score) as 0 | 1, reason: `${l.reason} (label flipped by simulated noise)` }
      : { step: i + 1, score: l.score, reason: l.reason },
  );
}

/** The base URL the LLM judge is given with simulatedJudgeFetch; nothing is ever sent to it. */
export const SIMULATED_BASE_URL = 'http://simulated-judge.invalid/v1';

/** A `fetch` that answers the LLM judge's chat-completions requests as the simulated judge, in-process. */
export function simulatedJudgeFetch(options: { noise: number; seed: number; labeller?: StepLabeller }): typeof fetch {
  const labeller = options.labeller ?? ruleStepLabeller();
  return async (_input: RequestInfo | URL, init?: RequestInit) => {
    const request = JSON.parse(String(init?.body ?? '{}')) as { messages?: { role?: string; content?: unknown }[] };
    const user = [...(request.messages ?? [])]
      .reverse()
      .find((m) => m.role === 'user' && typeof m.content === 'string');
    const steps = user ? simulatedVerdicts(user.content as string, labeller, options.noise, options.seed) : null;
    if (steps === null)
      return json(400, { error: { message: "the simulated judge reads only gemstone's LLM-judge prompt" } });
    return json(200, {
      id: 'chatcmpl-simulated',
      object: 'chat.completion',
      model: SIMULATED_MODEL,
      gemstone_simulated: true,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: JSON.stringify({ simulated: true, steps }), refusal: null },
          finish_reason: 'stop',
        },
      ],
    });
  };
}

/** The SIMULATED LLM judge (the rule judge with label noise), answered in-process: no server, no key. */
export function simulatedLlmJudge(options: { noise: number; seed: number }): LlmJudge {
  return new LlmJudge({
    baseUrl: SIMULATED_BASE_URL,
    model: SIMULATED_MODEL,
    // The key is redacted from every message, so it must not be a word that messages use.
    apiKey: 'gemstone-simulated-key',
    fetch: simulatedJudgeFetch(options),
    log: null,
    cache: null,
  });
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}
