// Checks across the records of a rollout (or annotated) file, made while it is
// read and before anything is written: each response once, whole groups of the
// header's G, prompts the task regenerates, text that matches its tokens, and
// rewards that agree with the task's verifier.
import { checkSameTask, getTask } from '../tasks/index.ts';
import { problemFromId } from '../tasks/problem-id.ts';
import type { Problem, Task } from '../tasks/task.ts';
import { DataError, type RecordSetCheck } from './jsonl.ts';
import type { Rollout, RolloutHeader } from './rollouts.ts';
import { CharTokenizer } from './tokenizer.ts';

export interface RolloutReadOptions {
  /** The rewards are the user's own: do not compare them with the task's verifier. */
  trustRewards?: boolean;
  /** The run's task (a task from a module cannot be found by name); a file made with another is refused. */
  task?: Task;
}

const clip = (text: string) => JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);

export class RolloutSetCheck implements RecordSetCheck<Rollout> {
  private readonly task: Task;
  private readonly tokenizer: CharTokenizer;
  private readonly groupSize: number;
  /** Where each (prompt_id, index) was seen. */
  private readonly seen = new Map<string, number>();
  private readonly groups = new Map<string, { firstLine: number; count: number; problem: Problem }>();

  constructor(
    header: Pick<RolloutHeader, 'task' | 'tokenizer' | 'vocab_size' | 'sampling'>,
    private readonly source: string,
    headerLine: number,
    private readonly options: RolloutReadOptions = {},
  ) {
    try {
      if (options.task !== undefined) checkSameTask(source, header.task, options.task);
      this.task = options.task ?? getTask(header.task);
    } catch (error) {
      throw new DataError(source, headerLine, 'task', (error as Error).message);
    }
    try {
      this.tokenizer = CharTokenizer.fromJSON(header.tokenizer);
    } catch (error) {
      throw new DataError(source, headerLine, 'tokenizer', (error as Error).message);
    }
    if (this.tokenizer.size > header.vocab_size)
      throw new DataError(
        source,
        headerLine,
        'vocab_size',
        `${header.vocab_size} is smaller than the tokenizer's ${this.tokenizer.size} tokens`,
      );
    this.groupSize = header.sampling.group_size;
  }

  record(r: Rollout, line: number): void {
    const fail = (field: string, detail: string) => new DataError(this.source, line, field, detail);
    if (r.index >= this.groupSize)
      throw fail('index', `${r.index} is outside a group of ${this.groupSize} (the header's sampling.group_size)`);
    const key = JSON.stringify([r.prompt_id, r.index]);
    const earlier = this.seen.get(key);
    if (earlier !== undefined)
      throw fail(
        'index',
        `response ${r.index} of prompt "${r.prompt_id}" appears twice, on line ${earlier} and on line ${line}`,
      );
    this.seen.set(key, line);

    let group = this.groups.get(r.prompt_id);
    if (group === undefined) {
      let problem: Problem;
      try {
        problem = problemFromId(this.task, r.prompt_id, r.prompt);
      } catch (error) {
        throw fail('prompt_id', (error as Error).message);
      }
      group = { firstLine: line, count: 0, problem };
      this.groups.set(r.prompt_id, group);
    } else if (r.prompt !== group.problem.prompt) {
      throw fail('prompt', `differs from the prompt of "${r.prompt_id}" on line ${group.firstLine}`);
    }
    group.count += 1;
    if (r.reference_answer !== group.problem.answer)
      throw fail(
        'reference_answer',
        `is ${clip(r.reference_answer)}; the task's answer is ${clip(group.problem.answer)}`,
      );

    const promptIds = this.tokenizer.encode(r.prompt);
    if (promptIds.length !== r.prompt_tokens.length || promptIds.some((id, i) => id !== r.prompt_tokens[i]))
      throw fail('prompt_tokens', "do not encode the prompt with the header's tokenizer");
    const decoded = this.tokenizer.decode(r.response_tokens);
    if (decoded !== r.response)
      throw fail(
        'response',
        `does not match its tokens: response_tokens decode to ${clip(decoded)} with the header's tokenizer`,
      );

    if (!this.options.trustRewards) {
      const verified = this.task.verify(group.problem, r.response) ? 1 : 0;
      if (verified !== r.reward)
        throw fail(
          'reward',
          `is ${r.reward}, but the task's verifier gives ${verified} (answer ${clip(r.answer ?? 'none')}, ` +
            `reference ${clip(group.problem.answer)}); pass --trust-rewards if the rewards are your own`,
        );
    }
  }

  finish(lastLine: number): void {
    if (this.groups.size === 0)
      throw new DataError(this.source, lastLine, null, 'no records: the file has a header line and no responses');
    for (const [id, group] of this.groups)
      if (group.count !== this.groupSize)
        throw new DataError(
          this.source,
          group.firstLine,
          'prompt_id',
          `prompt "${id}" has ${group.count} responses; the header's sampling.group_size is ${this.groupSize}`,
        );
  }
}
