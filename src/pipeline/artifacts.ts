// Reading the stage library's JSONL artifacts back (a resumed run, the next
// stage): the same checks as the CLI's file readers, from text in any store.
import {
  parseAnnotatedHeader,
  parseAnnotatedRecord,
  type AnnotatedHeader,
  type AnnotatedRecord,
} from '../data/annotated.ts';
import { DataError } from '../data/jsonl.ts';
import { parseRolloutLine, type Rollout, type RolloutHeader } from '../data/rollouts.ts';
import { readText, type ArtifactStore } from './store.ts';

function lines(text: string): [string, number][] {
  return text
    .split('\n')
    .map((l, i) => [l, i + 1] as [string, number])
    .filter(([l]) => l.trim() !== '');
}

async function artifactText(store: ArtifactStore, name: string): Promise<string> {
  const text = await readText(store, name);
  if (text === null) throw new Error(`${store.locate(name)}: missing (its stage did not write it).`);
  if (text.trim() === '') throw new DataError(store.locate(name), 1, null, 'empty file: expected a header line');
  return text;
}

export async function readRollouts(
  store: ArtifactStore,
  name = 'rollouts.jsonl',
): Promise<{ header: RolloutHeader; rollouts: Rollout[] }> {
  const source = store.locate(name);
  const [[first, n], ...rest] = lines(await artifactText(store, name));
  const header = parseRolloutLine(first, source, n, null) as RolloutHeader;
  return { header, rollouts: rest.map(([l, i]) => parseRolloutLine(l, source, i, header) as Rollout) };
}

export async function readAnnotated(
  store: ArtifactStore,
  name = 'annotated.jsonl',
): Promise<{ header: AnnotatedHeader; records: AnnotatedRecord[] }> {
  const source = store.locate(name);
  const [[first, n], ...rest] = lines(await artifactText(store, name));
  const header = parseAnnotatedHeader(first, source, n);
  return { header, records: rest.map(([l, i]) => parseAnnotatedRecord(l, source, i, header)) };
}
