// Where gemstone keeps what outlives a run folder: the user's cache folder
// ($XDG_CACHE_HOME, else ~/.cache), as the XDG base-directory convention says.
import { homedir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';

export function userCacheDir(env: Record<string, string | undefined> = process.env): string {
  const base = env.XDG_CACHE_HOME && env.XDG_CACHE_HOME !== '' ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'gemstone');
}

/** The LLM judge's replies, shared by every run (keyed by endpoint, model, prompt and protocol version). */
export function defaultLlmCachePath(env?: Record<string, string | undefined>): string {
  return join(userCacheDir(env), 'llm-judge-cache.jsonl');
}
