// Hand-built results.json of a mined-share sweep (gemstone experiment --regimes): two regimes on three
// seeds, every accuracy and label count given, so a reader's figures can be checked against their definition.
import { REGIME_UNITS, regimeRole } from '../../src/experiment/plan.ts';
import { regimeFolder } from '../../src/experiment/regimes.ts';
import {
  type ExperimentResults,
  type LabelResult,
  RESULTS_FORMAT,
  RESULTS_VERSION,
  type RegimeResult,
  type UnitResult,
} from '../../src/experiment/results.ts';

/** A regime's results with the given per-seed accuracies of its three units and label counts. */
function regime(
  name: string,
  mined: number,
  accuracy: Record<(typeof REGIME_UNITS)[number], number[]>,
  tokens: { consensus: [number, number]; oracle: [number, number] },
): RegimeResult {
  const units: UnitResult[] = REGIME_UNITS.flatMap((u) =>
    accuracy[u].map((a, i) => ({
      seed: i + 1,
      iteration: 1,
      key: u,
      variant: { objective: u === 'bcpg' ? 'bcpg' : 'bcpg-nsa', beta: 0.5, labels: 'consensus' },
      roles: [regimeRole(name, u)],
      eval: { accuracy: a, passAtK: { 1: a }, prompts: 100, samples: 1 },
      steps: 4,
      seconds: 2,
    })),
  ) as UnitResult[];
  const labels: LabelResult[] = (['consensus', 'oracle'] as const).flatMap((source) =>
    accuracy.bcpg.map((_, i) => ({
      seed: i + 1,
      iteration: 1,
      source,
      voters: [source],
      mode: 'and',
      // Seed 1 holds the counts, the others one token each way: the share is of the sum over seeds.
      negativeTokensCorrect: i === 0 ? tokens[source][0] : 1,
      negativeTokensIncorrect: i === 0 ? tokens[source][1] : 1,
      precision: 1,
      recall: 1,
    })),
  );
  return {
    name,
    isDefault: name === 'default',
    solver: name === 'default' ? {} : { slipWhere: 'late' },
    difficulty: 1,
    folder: name === 'default' ? null : regimeFolder(name),
    mined: { share: mined, minedTokens: 10, negativeTokens: 10 / mined, traces: 2000, seed: 1 },
    reference: { path: 'r', trained: true, eval: { accuracy: 0.3, passAtK: {}, prompts: 100, samples: 1 }, seconds: 9 },
    datasets: [],
    labels,
    units,
  };
}

export function sweepResults(): ExperimentResults {
  return {
    format: RESULTS_FORMAT,
    version: RESULTS_VERSION,
    command: "npx gemstone experiment --methods none --regimes 'default;slipWhere=late'",
    adapter: 'test adapter',
    profile: 'software',
    seconds: 100,
    config: { preset: 'small', judges: ['llm', 'prm'], consensus: 'and' },
    seeds: [1, 2, 3],
    iterations: 1,
    iterate: [],
    targetHalfwidth: 0.015,
    methods: [],
    sweeps: {},
    beta: 0.5,
    passK: 1,
    reference: {
      path: 'reference',
      trained: true,
      eval: { accuracy: 0.4, passAtK: {}, prompts: 100, samples: 1 },
      seconds: 5,
    },
    datasets: [],
    labels: [],
    units: [],
    regimes: [
      // Given with the larger share first: the report and figure order them by share.
      regime(
        'slipWhere=late',
        0.25,
        { 'bcpg-nsa': [0.5, 0.52, 0.55], 'bcpg-nsa-oracle': [0.56, 0.6, 0.58], bcpg: [0.45, 0.46, 0.5] },
        { consensus: [18, 80], oracle: [23, 75] },
      ),
      regime(
        'default',
        0.09,
        { 'bcpg-nsa': [0.41, 0.4, 0.44], 'bcpg-nsa-oracle': [0.42, 0.43, 0.44], bcpg: [0.4, 0.41, 0.42] },
        { consensus: [6, 92], oracle: [8, 90] },
      ),
    ],
  };
}
