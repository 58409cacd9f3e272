// The SIMULATED LLM judge for the page: a `fetch` that answers the LLM judge's
// chat-completions request the way src/judge/simulated-llm-server.ts does
// (the rule judge's labels, each flipped with probability `noise`, seeded by
// the request's text, every reply marked simulated) — without a server, which
// a browser cannot start. The real LlmJudge client runs unchanged on top of
// it, so the demo exercises the same prompt, parsing and abstention code as
// a real endpoint, and its labels are always shown as "simulated".
import { parseUserMessage, SIMULATED_MODEL } from '../../../src/judge/llm-judge.ts';
import { ruleStepLabeller } from '../../../src/judge/rule-judge.ts';
import { Random } from '../../../src/util/random.ts';

/** The base URL the LLM judge is given with this fetch; nothing is ever sent to it. */
export const SIMULATED_BASE_URL = 'http://simulated-judge.invalid/v1';

/** FNV-1a and an avalanche, as simulated-llm-server.ts's hashText: the same request gets the same flips. */
function hashText(text: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export function simulatedJudgeFetch(options: { noise: number; seed: number }): typeof fetch {
  const labeller = ruleStepLabeller();
  return async (_input: RequestInfo | URL, init?: RequestInit) => {
    const request = JSON.parse(String(init?.body ?? '{}')) as { messages?: { role?: string; content?: unknown }[] };
    const user = [...(request.messages ?? [])]
      .reverse()
      .find((m) => m.role === 'user' && typeof m.content === 'string');
    const parsed = user ? parseUserMessage(user.content as string) : null;
    if (parsed === null)
      return json(400, { error: { message: "the simulated judge reads only gemstone's LLM-judge prompt" } });
    const rng = new Random(hashText(user!.content as string, options.seed));
    const steps = labeller(parsed.problem, parsed.steps, { answer: parsed.answer }).map((l, i) =>
      rng.next() < options.noise
        ? { step: i + 1, score: (1 - l.score) as 0 | 1, reason: `${l.reason} (label flipped by simulated noise)` }
        : { step: i + 1, score: l.score, reason: l.reason },
    );
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

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}
