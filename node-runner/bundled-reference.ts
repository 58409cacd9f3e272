// The π_ref that ships with gemstone: the `small` preset trained on the
// arithmetic task (assets/pi-ref-small/provenance.json says how). The software
// profile's pipeline starts from it, because training it takes ~40 minutes on
// a few CPU cores; `--reference train` trains one instead, as the gpu profile does.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeCheckpoint } from '../src/checkpoint/checkpoint.ts';
import type { PolicyExtra } from '../src/pipeline/policy.ts';
import { checkSameTask, DEFAULT_TASK_NAME, getTask } from '../src/tasks/index.ts';
import type { Task } from '../src/tasks/task.ts';

export const BUNDLED_REFERENCE = {
  preset: 'small',
  task: 'arithmetic',
  dir: fileURLToPath(new URL('../assets/pi-ref-small', import.meta.url)),
} as const;

/** `--reference` values that are not folders. */
export const REFERENCE_MODES = ['bundled', 'train'] as const;

/**
 * What `--reference` means for a run of `preset`: a folder to start from, or
 * 'train'. 'bundled' is the shipped π_ref when the preset matches it; another
 * preset has none bundled, so its π_ref is trained.
 */
export function resolveReference(reference: string, preset: string, say: (line: string) => void): string {
  if (reference !== 'bundled') return reference;
  if (preset === BUNDLED_REFERENCE.preset) {
    say(`π_ref: the bundled ${preset} π_ref (${BUNDLED_REFERENCE.dir}); --reference train trains one here`);
    return BUNDLED_REFERENCE.dir;
  }
  say(`π_ref: none is bundled for the ${preset} preset (only ${BUNDLED_REFERENCE.preset}), so it is trained here`);
  return 'train';
}

/**
 * resolveReference for a run on `task`: the bundled π_ref learned arithmetic, so on another task
 * "bundled" trains π_ref here instead.
 */
export function referenceForTask(reference: string, preset: string, task: string, say: (line: string) => void): string {
  if (reference !== 'bundled' || task === BUNDLED_REFERENCE.task) return resolveReference(reference, preset, say);
  say(`π_ref: the bundled one learned ${BUNDLED_REFERENCE.task}, not ${task}, so it is trained here`);
  return 'train';
}

/** Refuses a --reference folder whose π_ref learned another task than the run's, before any run folder is made. */
export function checkReferenceTask(reference: string, task: Task | null): void {
  if ((REFERENCE_MODES as readonly string[]).includes(reference)) return;
  const path = join(reference, 'checkpoint.safetensors');
  const extra = (decodeCheckpoint(new Uint8Array(readFileSync(path)), path).extra ?? {}) as PolicyExtra;
  checkSameTask(path, extra.task, task ?? getTask(DEFAULT_TASK_NAME));
}

/** The error for a --reference that is neither a mode nor a folder with a checkpoint, or null. */
export function referenceProblem(reference: string, hasCheckpoint: (dir: string) => boolean): string | null {
  if ((REFERENCE_MODES as readonly string[]).includes(reference) || hasCheckpoint(reference)) return null;
  return (
    `--reference ${reference}: not "bundled" or "train", and no checkpoint.safetensors in it (train one with ` +
    'gemstone sft --task arithmetic --out DIR).'
  );
}
