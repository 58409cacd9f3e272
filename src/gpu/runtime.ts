// Which JavaScript runtime we are in. Only src/gpu/ asks this question.

export type RuntimeName = 'node' | 'deno' | 'browser';

export function detectRuntime(): RuntimeName {
  const g = globalThis as { Deno?: unknown; process?: { versions?: { node?: string } } };
  if (g.Deno !== undefined) return 'deno';
  if (g.process?.versions?.node !== undefined && typeof (globalThis as { window?: unknown }).window === 'undefined') {
    return 'node';
  }
  return 'browser';
}

/** Reads an environment variable in Node or Deno; undefined in the browser. */
export function readEnv(name: string): string | undefined {
  const g = globalThis as {
    Deno?: { env: { get(name: string): string | undefined } };
    process?: { env?: Record<string, string | undefined> };
  };
  try {
    if (g.Deno !== undefined) return g.Deno.env.get(name);
    return g.process?.env?.[name];
  } catch {
    return undefined; // Deno without --allow-env
  }
}
