// Writes a trained π_ref as the bundled reference policy of the software
// profile (assets/pi-ref-small/): its parameters, config, tokenizer and task
// (no optimizer moments: RL starts a fresh AdamW) plus provenance.json, which
// says how it was trained and what it scores.
//   npx tsx scripts/bundle-reference.ts runs/ref/checkpoint.safetensors "<how it was trained>"
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeCheckpoint, encodeCheckpoint } from '../src/checkpoint/checkpoint.ts';
import { readFileBytes, writeFileAtomic } from '../src/checkpoint/files.ts';
import { BUNDLED_REFERENCE } from '../node-runner/bundled-reference.ts';

const [source, trainedBy] = process.argv.slice(2);
if (source === undefined || trainedBy === undefined)
  throw new Error('usage: bundle-reference.ts CHECKPOINT "<how it was trained>"');
const state = decodeCheckpoint(await readFileBytes(source), source);
const extra = (state.extra ?? {}) as Record<string, unknown>;
await mkdir(BUNDLED_REFERENCE.dir, { recursive: true });
await writeFileAtomic(
  join(BUNDLED_REFERENCE.dir, 'checkpoint.safetensors'),
  encodeCheckpoint({ ...state, optimizer: undefined }),
);
const provenance = {
  source,
  trained_by: trainedBy,
  step: state.step,
  config: state.config,
  task: extra.task ?? null,
  difficulty: extra.difficulty ?? null,
  bundled: new Date().toISOString().slice(0, 10),
};
await writeFileAtomic(
  join(BUNDLED_REFERENCE.dir, 'provenance.json'),
  new TextEncoder().encode(`${JSON.stringify(provenance, null, 2)}\n`),
);
console.log(`bundled π_ref (step ${state.step}) → ${BUNDLED_REFERENCE.dir}`);
