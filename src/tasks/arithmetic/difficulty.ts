// The difficulty knob of the built-in task `arithmetic`.

/**
 * Difficulty d (an integer ≥ 0) → the chain and its numbers:
 * chain length 2 + d; the start value and every + / − operand in [1, 10·(d+1)];
 * multipliers in [2, min(9, 3 + d)]; divisors (for / and %) in [2, min(9, 5 + d)];
 * true running values kept in [0, 10^(2 + ⌊d/2⌋) − 1] (99 for d ≤ 1, 999 for d ≤ 3).
 */
export interface DifficultySpec {
  chainLength: number;
  maxOperand: number;
  maxMultiplier: number;
  maxDivisor: number;
  maxValue: number;
}

/** The default: 3 operations on numbers below 100, so a trace with a check and a correction fits 128 characters. */
export const DEFAULT_DIFFICULTY = 1;

export function difficultySpec(difficulty: number): DifficultySpec {
  if (!Number.isInteger(difficulty) || difficulty < 0 || difficulty > 20) {
    throw new Error(`arithmetic: difficulty must be an integer from 0 to 20, got ${difficulty}.`);
  }
  return {
    chainLength: 2 + difficulty,
    maxOperand: 10 * (difficulty + 1),
    maxMultiplier: Math.min(9, 3 + difficulty),
    maxDivisor: Math.min(9, 5 + difficulty),
    maxValue: 10 ** (2 + Math.floor(difficulty / 2)) - 1,
  };
}
