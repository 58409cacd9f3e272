// Problems of the built-in task `arithmetic`: a start value and a chain of
// operations whose true running values stay in [0, maxValue], so negative
// values appear only where a response goes astray.
import type { Random } from '../../util/random.ts';
import type { DifficultySpec } from './difficulty.ts';
import { applyOpNumber, type Op, type Operation } from './format.ts';

function intIn(rng: Random, low: number, high: number): number {
  return low + Math.floor(rng.next() * (high - low + 1));
}

export function drawChain(rng: Random, spec: DifficultySpec): { start: number; ops: Operation[]; values: number[] } {
  const start = intIn(rng, 1, spec.maxOperand);
  const ops: Operation[] = [];
  const values = [start];
  let v = start;
  for (let i = 0; i < spec.chainLength; i++) {
    // Each operation that keeps the value in [0, maxValue] and is not trivial.
    const choices: { op: Op; low: number; high: number }[] = [];
    if (v < spec.maxValue) choices.push({ op: '+', low: 1, high: Math.min(spec.maxOperand, spec.maxValue - v) });
    if (v >= 1) choices.push({ op: '-', low: 1, high: Math.min(spec.maxOperand, v) });
    if (v >= 1 && 2 * v <= spec.maxValue)
      choices.push({ op: '*', low: 2, high: Math.min(spec.maxMultiplier, Math.floor(spec.maxValue / v)) });
    if (v >= 2) choices.push({ op: '/', low: 2, high: Math.min(spec.maxDivisor, v) });
    if (v >= 3) choices.push({ op: '%', low: 2, high: Math.min(spec.maxDivisor, v - 1) });
    const choice = choices[Math.floor(rng.next() * choices.length)];
    const operand = intIn(rng, choice.low, choice.high);
    ops.push({ op: choice.op, operand });
    v = applyOpNumber(v, choice.op, operand);
    values.push(v);
  }
  return { start, ops, values };
}
