// Rollouts: G responses per prompt sampled from π_ref on the GPU, rewarded by
// the task's verifier, with log π_ref of every response token.
import type { Rollout } from '../data/rollouts.ts';
import type { CharTokenizer } from '../data/tokenizer.ts';
import { defaultGenerationRows, generate } from '../model/generate.ts';
import type { Gpt2 } from '../model/gpt2.ts';
import type { Problem, Task } from '../tasks/task.ts';

export interface RolloutOptions {
  group: number;
  temperature: number;
  topK: number;
  seed: number;
  /** Sequences generated together on the GPU (default: defaultGenerationRows, sized by the adapter). */
  batchRows?: number;
}

/** Samples options.group responses for every problem; calls onBatch after each GPU batch. */
export async function sampleRollouts(
  model: Gpt2,
  tokenizer: CharTokenizer,
  task: Task,
  problems: Problem[],
  options: RolloutOptions,
  onBatch?: (done: number, total: number) => void,
): Promise<Rollout[]> {
  const rows: { problem: Problem; index: number; prompt: number[] }[] = [];
  for (const problem of problems) {
    const prompt = tokenizer.encode(problem.prompt);
    if (prompt.length >= model.config.contextLength)
      throw new Error(
        `${problem.id}: the prompt has ${prompt.length} tokens, ` +
          `no room in the context of ${model.config.contextLength}.`,
      );
    for (let index = 0; index < options.group; index++) rows.push({ problem, index, prompt });
  }
  const rollouts: Rollout[] = [];
  const batchRows = options.batchRows ?? defaultGenerationRows(model);
  for (let start = 0, batch = 0; start < rows.length; start += batchRows, batch++) {
    const chunk = rows.slice(start, start + batchRows);
    const longest = Math.max(...chunk.map((r) => r.prompt.length));
    const out = await generate(model, {
      prompts: chunk.map((r) => r.prompt),
      maxNewTokens: model.config.contextLength - longest,
      temperature: options.temperature,
      topK: options.topK,
      seed: (options.seed + batch * 0x9e3779b1) >>> 0,
      eos: tokenizer.eos,
    });
    chunk.forEach((row, i) => {
      // A row with a shorter prompt may run past the context in lockstep: keep what fits.
      const room = model.config.contextLength - row.prompt.length;
      const tokens = out.tokens[i].slice(0, room);
      const response = tokenizer.decode(tokens);
      const answer = task.extractAnswer(response);
      rollouts.push({
        prompt_id: row.problem.id,
        prompt: row.problem.prompt,
        reference_answer: row.problem.answer,
        index: row.index,
        response,
        prompt_tokens: row.prompt,
        response_tokens: tokens,
        logprobs_ref: out.modelLogprobs[i].slice(0, room),
        logprobs_sample: out.logprobs[i].slice(0, room),
        reward: task.verify(row.problem, response) ? 1 : 0,
        answer,
      });
    });
    onBatch?.(Math.min(start + batchRows, rows.length), rows.length);
  }
  return rollouts;
}

/** How much a dataset's negatives hold that BCPG-NSA can mine, by the task's oracle over its natural steps. */
export interface MineableStats {
  negatives: number;
  /** Negatives with at least one oracle-correct step that is not the first step. */
  negativesWithCorrectLaterStep: number;
  /** Characters of negatives in oracle-correct steps vs in incorrect ones. */
  correctChars: number;
  incorrectChars: number;
}

export function mineableStats(task: Task, problems: Map<string, Problem>, rollouts: Rollout[]): MineableStats {
  const stats: MineableStats = { negatives: 0, negativesWithCorrectLaterStep: 0, correctChars: 0, incorrectChars: 0 };
  for (const r of rollouts) {
    if (r.reward === 1) continue;
    const problem = problems.get(r.prompt_id);
    if (problem === undefined) throw new Error(`mineableStats: no problem for ${r.prompt_id}.`);
    stats.negatives += 1;
    if (r.response.length === 0) continue;
    const steps = task.naturalSteps(r.response);
    const labels = task.oracle(problem, r.response, steps);
    if (labels.some((label, k) => k > 0 && label.score === 1)) stats.negativesWithCorrectLaterStep += 1;
    labels.forEach((label, k) => {
      const chars = steps[k].end - steps[k].start;
      if (label.score === 1) stats.correctChars += chars;
      else stats.incorrectChars += chars;
    });
  }
  return stats;
}
