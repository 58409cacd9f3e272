// Learning rate: linear warmup, then cosine decay to a floor.
export interface ScheduleOptions {
  maxLr: number;
  minLr: number;
  warmupSteps: number;
  totalSteps: number;
}

/**
 * lr(step) for a 1-based step: step/warmup · maxLr during warmup,
 * then minLr + ½(maxLr − minLr)(1 + cos π·progress).
 */
export function learningRate(step: number, { maxLr, minLr, warmupSteps, totalSteps }: ScheduleOptions): number {
  if (warmupSteps > 0 && step <= warmupSteps) return (maxLr * step) / warmupSteps;
  const span = Math.max(1, totalSteps - warmupSteps);
  const progress = Math.min(1, Math.max(0, (step - warmupSteps) / span));
  return minLr + 0.5 * (maxLr - minLr) * (1 + Math.cos(Math.PI * progress));
}
