// How long a run will take, from its sizes — printed before the seeds start so
// a person can size --seeds, --prompts and --eval-prompts × --eval-samples
// before committing hours. Before anything is trained the only rate measured
// on this machine is generation (π_ref's evaluation), so the first estimate
// counts the sequences the run will generate; after each seed the runner
// prints one from that seed's measured seconds.

export interface RunSizes {
  seeds: number;
  iterations: number;
  /** Methods with an iteration chain (their own data from iteration 2). */
  chains: number;
  /** Training units of iteration 1 on each seed (methods, sweep points, chain starts). */
  firstUnits: number;
  /** Offline rollout prompts per dataset and responses per prompt. */
  prompts: number;
  group: number;
  evalPrompts: number;
  evalSamples: number;
}

export interface Work {
  datasets: number;
  units: number;
  /** Responses sampled for the datasets. */
  rolloutSequences: number;
  /** Sequences of the units' held-out evaluations: per prompt one greedy and evalSamples sampled. */
  evaluationSequences: number;
}

export function countWork(s: RunSizes): Work {
  const later = Math.max(0, s.iterations - 1) * s.chains;
  const datasets = s.seeds * (1 + later);
  const units = s.seeds * (s.firstUnits + later);
  return {
    datasets,
    units,
    rolloutSequences: datasets * s.prompts * s.group,
    evaluationSequences: units * s.evalPrompts * (s.evalSamples + 1),
  };
}

/** Seconds per generated sequence, from one evaluation of `prompts` × (samples + 1) sequences. */
export function generationRate(seconds: number, prompts: number, samples: number): number {
  return seconds / Math.max(1, prompts * (samples + 1));
}

/** Seconds to generate every rollout and evaluation sequence at `rate` (a lower bound: no training). */
export function generationSeconds(work: Work, rate: number): number {
  return (work.rolloutSequences + work.evaluationSequences) * rate;
}
