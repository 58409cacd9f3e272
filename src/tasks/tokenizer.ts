// A task's tokenizer: one token per character of its traces and its alphabet
// (Task.alphabet), so a rollout can write any answer the task asks for.
import { CharTokenizer } from '../data/tokenizer.ts';
import type { Task } from './task.ts';

/** The character tokenizer of the given texts (prompts, traces) and the task's alphabet. */
export function taskTokenizer(task: Pick<Task, 'alphabet'>, texts: Iterable<string>): CharTokenizer {
  return CharTokenizer.fromTexts([...texts, task.alphabet]);
}
