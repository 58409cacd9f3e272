// Types of scripts/wgsl-pack.mjs, for the tests that import it.
export function expandIncludes(root: string, file: string): { text: string; origins: [string, number][] };
export function lineRuns(file: string, origins: [string, number][]): [number, string, number][] | undefined;
export function packShaders(root: string): { count: number; text: string };
