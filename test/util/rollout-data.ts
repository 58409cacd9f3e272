// Rollout files that pass every reader check: arithmetic problems, each with a
// right (clean trace) and a wrong (last answer changed) response, tokens made
// by the header's tokenizer.
import { ROLLOUT_FORMAT, ROLLOUT_VERSION, type Rollout, type RolloutHeader } from '../../src/data/rollouts.ts';
import { CharTokenizer } from '../../src/data/tokenizer.ts';
import { arithmetic } from '../../src/tasks/arithmetic.ts';
import { cleanTrace } from '../../src/tasks/noisy-solver.ts';

const ALPHABET = [...'0123456789+-*/%=: \nSACEFGHIKLNOPRTWabcdefghiklmnoprstuvwxy,.'];

export function validRollouts(prompts = 2, group = 2): { header: RolloutHeader; rollouts: Rollout[] } {
  const tokenizer = new CharTokenizer(ALPHABET);
  const rollouts: Rollout[] = [];
  for (let p = 0; p < prompts; p++) {
    const problem = arithmetic.generate(10 + p, 1);
    const right = cleanTrace(problem);
    const wrong = right.replace(/Answer: (-?\d+)$/, (_, n: string) => `Answer: ${Number(n) + 1}`);
    for (let index = 0; index < group; index++) {
      const response = index % 2 === 0 ? right : wrong;
      const response_tokens = [...tokenizer.encode(response), tokenizer.eos];
      rollouts.push({
        prompt_id: problem.id,
        prompt: problem.prompt,
        reference_answer: problem.answer,
        index,
        response,
        prompt_tokens: tokenizer.encode(problem.prompt),
        response_tokens,
        logprobs_ref: response_tokens.map((_, j) => -0.1 - j / 100),
        logprobs_sample: response_tokens.map((_, j) => -0.05 - j / 200),
        reward: arithmetic.verify(problem, response) ? 1 : 0,
        answer: arithmetic.extractAnswer(response),
      });
    }
  }
  const header: RolloutHeader = {
    format: ROLLOUT_FORMAT,
    version: ROLLOUT_VERSION,
    task: 'arithmetic',
    tokenizer: tokenizer.toJSON(),
    vocab_size: tokenizer.size,
    context_length: 512,
    sampling: { temperature: 1, top_k: 0, seed: 1, group_size: group },
    policy: { checkpoint: 'test', step: 0 },
  };
  return { header, rollouts };
}

/** The file's text: header line, then one line a record. */
export function rolloutText(header: unknown, records: unknown[]): string {
  return [header, ...records].map((r) => `${JSON.stringify(r)}\n`).join('');
}
