// Hand-written arithmetic problems for the task and judge tests.
import { applyOpNumber, type ArithmeticData, type Operation } from '../../src/tasks/arithmetic.ts';
import type { Problem } from '../../src/tasks/task.ts';

/** A problem written by hand: Start 7: +5 *3 -4 %6 → 12, 36, 32, 2. */
export function handProblem(
  start = 7,
  ops: Operation[] = [
    { op: '+', operand: 5 },
    { op: '*', operand: 3 },
    { op: '-', operand: 4 },
    { op: '%', operand: 6 },
  ],
): Problem {
  const values = [start];
  for (const o of ops) values.push(applyOpNumber(values[values.length - 1], o.op, o.operand));
  const data: ArithmeticData = { difficulty: 2, start, ops, values };
  return {
    id: 'hand',
    prompt: `Start ${start}: ${ops.map((o) => o.op + o.operand).join(' ')}\n`,
    answer: String(values[values.length - 1]),
    data,
  };
}

/** Lines joined into one response. */
export const lines = (...ls: string[]) => ls.join('\n');
