// The LLM judge's reply cache outlives run folders: annotating the same file
// twice against a counting local server sends no request the second time, even
// into a new run folder; the cache sits in the user's cache folder by default
// and never holds the API key.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ruleStepLabeller } from '../src/judge/rule-judge.ts';
import { SimulatedLlmServer } from '../src/judge/simulated-llm-server.ts';
import { llvmpipeEnv, runGemstone } from './util/cli.ts';
import { rolloutText, validRollouts } from './util/rollout-data.ts';

const SECRET = 'sk-gemstone-cache-secret-5550123';

const gemstone = (env: Record<string, string>, ...args: string[]) =>
  runGemstone(args, { env: llvmpipeEnv({ GEMSTONE_LLM_API_KEY: SECRET, ...env }) });

const servers: SimulatedLlmServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
});

describe('the LLM judge cache across run folders', () => {
  it('annotating the same file again sends no request, even into a new run folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gemstone-llm-cache-'));
    const data = join(dir, 'rollouts.jsonl');
    const { header, rollouts } = validRollouts(3, 2);
    writeFileSync(data, rolloutText(header, rollouts));
    const server = await SimulatedLlmServer.start({ labeller: ruleStepLabeller(), apiKey: SECRET });
    servers.push(server);
    const env = { XDG_CACHE_HOME: join(dir, 'xdg-cache') };
    const annotate = (out: string, ...extra: string[]) =>
      gemstone(
        env,
        'annotate',
        '--data',
        data,
        '--judges',
        'llm,oracle',
        '--llm-url',
        server.baseUrl,
        '--profile',
        'software',
        '--workers',
        '1',
        '--out',
        join(dir, out),
        ...extra,
      );

    const first = await annotate('first');
    expect(first.code, first.stderr).toBe(0);
    const sent = server.stats.requests;
    expect(sent).toBe(rollouts.length);
    expect(first.stdout).toMatch(new RegExp(`llm judge: ${sent} requests sent, 0 replies from the cache`));
    const cache = join(dir, 'xdg-cache', 'gemstone', 'llm-judge-cache.jsonl');
    expect(existsSync(cache)).toBe(true);
    expect(readFileSync(cache, 'utf8').trim().split('\n')).toHaveLength(rollouts.length);
    expect(readFileSync(cache, 'utf8')).not.toContain(SECRET);

    const second = await annotate('second');
    expect(second.code, second.stderr).toBe(0);
    expect(server.stats.requests).toBe(sent); // nothing sent
    expect(second.stdout).toMatch(new RegExp(`llm judge: 0 requests sent, ${rollouts.length} replies from the cache`));
    const labels = (out: string) =>
      readFileSync(join(dir, out, 'annotated.jsonl'), 'utf8')
        .split('\n')
        .slice(1)
        .filter(Boolean)
        .map((l) => JSON.stringify(JSON.parse(l).judges));
    expect(labels('second')).toEqual(labels('first'));

    // Another cache file (--llm-cache) starts empty: the requests go out again.
    const elsewhere = await annotate('third', '--llm-cache', join(dir, 'other-cache.jsonl'));
    expect(elsewhere.code, elsewhere.stderr).toBe(0);
    expect(server.stats.requests).toBe(2 * sent);
    expect(existsSync(join(dir, 'other-cache.jsonl'))).toBe(true);
  });
});
