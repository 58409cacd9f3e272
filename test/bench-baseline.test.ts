// bench/baseline-generation.ts: the old generation path, rebuilt from git history, runs and is timed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BASELINE_COMMIT, benchBaselineGenerate } from '../bench/baseline-generation.ts';

const config = { vocabSize: 39, contextLength: 16, width: 16, layers: 1, heads: 2 };
const shallow =
  spawnSync('git', ['rev-parse', '--is-shallow-repository'], { encoding: 'utf8' }).stdout.trim() === 'true';

afterEach(() => {
  delete process.env.GEMSTONE_BASELINE_SRC;
});

describe('the generation baseline of the bench', () => {
  it(`runs generate() as of ${BASELINE_COMMIT.slice(0, 7)} and times it, or says the history is missing`, async () => {
    const result = await benchBaselineGenerate({ config, B: 2, promptTokens: 2, newTokens: 4, runs: 1, seed: 1 });
    if (shallow) expect(result).toEqual({ refused: expect.stringMatching(/not in this clone's history/) });
    else {
      expect(result).not.toHaveProperty('refused');
      expect((result as { seconds: number }).seconds).toBeGreaterThan(0);
    }
  }, 120_000);

  it('runs from a tar of the old src/ where the history is missing (GEMSTONE_BASELINE_SRC)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gemstone-baseline-test-'));
    try {
      process.env.GEMSTONE_BASELINE_SRC = join(dir, 'missing.tar');
      const missing = await benchBaselineGenerate({ config, B: 2, promptTokens: 2, newTokens: 4, runs: 1, seed: 1 });
      expect(missing).toEqual({ refused: expect.stringMatching(/^tar: .*missing\.tar/) });
      if (shallow) return; // no history to make the tar from; the refusal above is still checked
      const tar = spawnSync('git', ['archive', '--format=tar', BASELINE_COMMIT, 'src']);
      writeFileSync(join(dir, 'src.tar'), tar.stdout);
      process.env.GEMSTONE_BASELINE_SRC = join(dir, 'src.tar');
      const result = await benchBaselineGenerate({ config, B: 2, promptTokens: 2, newTokens: 4, runs: 1, seed: 1 });
      expect((result as { seconds: number }).seconds).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
