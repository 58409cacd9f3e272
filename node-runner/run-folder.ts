// The run folder: everything one run writes, and what --resume reads back.
//
//   config.json    the resolved options (defaults, config file and flags; no secrets)
//   state.json     which stages are complete, with their results (the resume markers)
//   summary.json   the run's result, written last
//   <stage>/…      each stage's outputs: checkpoints, metrics.jsonl, rollouts, annotations
//
// Every file is written beside its name and renamed over it (writeFileAtomic),
// so a run killed at any moment (even SIGKILL) leaves whole files: a stage is
// complete only once its marker is in state.json, and a stage that is not
// resumes from its own last checkpoint or chunk.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../src/checkpoint/files.ts';
import { ConfigError } from './config.ts';

export const CONFIG_FILE = 'config.json';
export const STATE_FILE = 'state.json';
export const SUMMARY_FILE = 'summary.json';

export interface SavedConfig {
  command: string;
  gemstone: string;
  profile: string;
  profile_reason: string;
  /** The options, as `--config` reads them back. */
  options: Record<string, unknown>;
}

interface StageRecord {
  result: unknown;
  seconds: number;
  finished: string;
}

interface State {
  stages: Record<string, StageRecord>;
}

export async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`));
}

export async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, 'utf8')) as T;
}

/** The saved config of a run folder, for --resume. */
export function readSavedConfig(dir: string, command: string): SavedConfig {
  const path = join(dir, CONFIG_FILE);
  if (!existsSync(dir)) throw new ConfigError(`--resume: no such folder: ${dir}`);
  if (!existsSync(path)) throw new ConfigError(`--resume ${dir}: not a run folder (no ${CONFIG_FILE}).`);
  let saved: SavedConfig;
  try {
    saved = JSON.parse(readFileSync(path, 'utf8')) as SavedConfig;
  } catch (error) {
    throw new ConfigError(`${path}: not valid JSON (${(error as Error).message}).`);
  }
  if (saved.command !== command)
    throw new ConfigError(
      `--resume ${dir}: that run is "gemstone ${saved.command}"; resume it with gemstone ${saved.command} --resume ` +
        `${dir}.`,
    );
  return saved;
}

export class RunFolder {
  private state: State = { stages: {} };
  private readonly stageStarted = new Map<string, number>();

  private constructor(readonly dir: string) {}

  static async open(dir: string): Promise<RunFolder> {
    await mkdir(dir, { recursive: true });
    const folder = new RunFolder(dir);
    const statePath = join(dir, STATE_FILE);
    if (existsSync(statePath)) folder.state = await readJson<State>(statePath);
    return folder;
  }

  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  /** A sub-folder, created. */
  async folder(...parts: string[]): Promise<string> {
    const path = join(this.dir, ...parts);
    await mkdir(path, { recursive: true });
    return path;
  }

  done(stage: string): boolean {
    return this.state.stages[stage] !== undefined;
  }

  result<T>(stage: string): T | undefined {
    return this.state.stages[stage]?.result as T | undefined;
  }

  /** Total seconds the completed stages took, over every leg of the run. */
  get seconds(): number {
    return Object.values(this.state.stages).reduce((s, r) => s + r.seconds, 0);
  }

  /**
   * Runs a stage once: a complete stage returns its saved result; otherwise `work`
   * runs (resuming from whatever it saved itself) and its result is marked done.
   */
  async stage<T>(stage: string, work: () => Promise<T>, onSkip?: (result: T) => void): Promise<T> {
    const record = this.state.stages[stage];
    if (record !== undefined) {
      onSkip?.(record.result as T);
      return record.result as T;
    }
    const started = performance.now();
    this.stageStarted.set(stage, started);
    const result = await work();
    this.state.stages[stage] = {
      result,
      seconds: (performance.now() - started) / 1000,
      finished: new Date().toISOString(),
    };
    await writeJson(join(this.dir, STATE_FILE), this.state);
    return result;
  }

  async writeConfig(config: SavedConfig): Promise<void> {
    await writeJson(join(this.dir, CONFIG_FILE), config);
  }

  async writeSummary(summary: unknown): Promise<string> {
    const path = join(this.dir, SUMMARY_FILE);
    await writeJson(path, summary);
    return path;
  }

  /** Removes a stage's scratch files (chunks, resume checkpoints) once its outputs are whole. */
  async clean(...parts: string[]): Promise<void> {
    await rm(join(this.dir, ...parts), { recursive: true, force: true });
  }
}
