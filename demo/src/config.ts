// The demo's configuration: every choice a person makes lives in the URL query,
// so a view can be shared by its address. An LLM endpoint and its API key are
// deliberately NOT part of it: they are typed into the page, kept in memory,
// and never written to the URL or to storage.
import { CONSENSUS_MODES, type ConsensusMode } from '../../src/judge/consensus.ts';
import { isObjectiveName, OBJECTIVE_NAMES, type ObjectiveName } from '../../src/objectives/index.ts';
import { getTask, TASK_NAMES } from '../../src/tasks/index.ts';
import {
  formatSolverSpec,
  parseSolverSpec,
  describeRegime,
  type SolverSettings,
  SolverSpecError,
  type TraceRegime,
} from '../../src/tasks/solver-spec.ts';

export const DEMO_JUDGES = ['oracle', 'rule', 'llm', 'prm'] as const;
export type DemoJudge = (typeof DEMO_JUDGES)[number];
export const DEMO_PRESETS = ['tiny', 'small'] as const;
export type DemoPreset = (typeof DEMO_PRESETS)[number];

/** The page runs the built-in tasks (a task module needs Node or Deno to load). */
export const DEMO_TASKS: readonly string[] = TASK_NAMES;

/**
 * The regime the page starts in: the difficulty of π_ref's problems and the noisy solver's knobs, as
 * `--solver` takes them ('' for the solver's defaults). The experiment's mined-share sweep (docs/results)
 * decides it: the regime where BCPG-NSA's difference from BCPG is clearest. Changing it means running
 * `npm run demo:example` too, which trains the bundled tiny π_ref and the example run in this regime.
 */
export const DEMO_REGIME = { difficulty: 0, solver: '' } as const;

export interface DemoConfig {
  /** The built-in task (the bundled tiny π_ref learned arithmetic; another task trains π_ref from scratch). */
  task: string;
  /** The task's difficulty (arithmetic: chain length 2 + d; sorting: 3 + d numbers). */
  difficulty: number;
  /** The noisy solver's knobs for π_ref's traces, as `--solver` takes them ('' for the solver's defaults). */
  solver: string;
  preset: DemoPreset;
  /**
   * π_ref: trained from scratch in the page, or continued from the bundled tiny π_ref (made by
   * demo/scripts/make-example.ts).
   */
  ref: 'scratch' | 'bundled';
  /** Noisy-solver traces for π_ref's SFT. */
  records: number;
  sftSteps: number;
  sftBatch: number;
  sftLr: number;
  prompts: number;
  /** G: responses per prompt. */
  group: number;
  temperature: number;
  /** Keep all-right and all-wrong groups (they carry no advantage; for weak π_ref). */
  keepAll: boolean;
  judges: DemoJudge[];
  consensus: ConsensusMode;
  /** Label noise of the SIMULATED LLM judge. */
  llmNoise: number;
  prmSteps: number;
  /** Responses the PRM learns from (Monte-Carlo labels cost completions × steps generations each). */
  prmResponses: number;
  /** Monte-Carlo completions per step prefix for the PRM's labels. */
  completions: number;
  objective: ObjectiveName;
  beta: number;
  tau: number;
  lr: number;
  epochs: number;
  groupsPerBatch: number;
  iterations: number;
  evalPrompts: number;
  /** Samples per held-out prompt: accuracy is pass@1 from them at the evaluation temperature (0: greedy). */
  evalSamples: number;
  /** Read losses back from the GPU every N steps (never per dispatch). */
  readEvery: number;
  /**
   * A second objective trained on the same offline data at the end ('' for none); by default BCPG-NSA's
   * partner in the per-step plot (defaultCompare).
   */
  compare: ObjectiveName | '';
  seed: number;
  /** Start the pipeline as soon as the page loads. */
  run: boolean;
}

export const DEFAULT_CONFIG: DemoConfig = {
  task: 'arithmetic',
  difficulty: DEMO_REGIME.difficulty,
  solver: DEMO_REGIME.solver,
  preset: 'tiny',
  ref: 'bundled',
  records: 4000,
  sftSteps: 200,
  sftBatch: 16,
  sftLr: 3e-3,
  prompts: 24,
  group: 4,
  temperature: 1,
  keepAll: false,
  judges: ['llm', 'rule'],
  consensus: 'and',
  llmNoise: 0.1,
  prmSteps: 100,
  prmResponses: 64,
  completions: 2,
  objective: 'bcpg-nsa',
  beta: 0.5,
  tau: 0.05,
  lr: 1e-4,
  epochs: 2,
  groupsPerBatch: 4,
  iterations: 1,
  evalPrompts: 64,
  evalSamples: 4,
  readEvery: 5,
  compare: 'bcpg',
  seed: 1,
  run: false,
};

/** The comparison the per-step plot needs: BCPG beside BCPG-NSA (or any other objective), BCPG-NSA beside BCPG. */
export function defaultCompare(objective: ObjectiveName): ObjectiveName {
  return objective === 'bcpg' ? 'bcpg-nsa' : 'bcpg';
}

type Kind = 'int' | 'num' | 'bool' | 'str';
const KINDS: Record<keyof DemoConfig, Kind> = {
  task: 'str',
  difficulty: 'int',
  solver: 'str',
  preset: 'str',
  ref: 'str',
  records: 'int',
  sftSteps: 'int',
  sftBatch: 'int',
  sftLr: 'num',
  prompts: 'int',
  group: 'int',
  temperature: 'num',
  keepAll: 'bool',
  judges: 'str',
  consensus: 'str',
  llmNoise: 'num',
  prmSteps: 'int',
  prmResponses: 'int',
  completions: 'int',
  objective: 'str',
  beta: 'num',
  tau: 'num',
  lr: 'num',
  epochs: 'int',
  groupsPerBatch: 'int',
  iterations: 'int',
  evalPrompts: 'int',
  evalSamples: 'int',
  readEvery: 'int',
  compare: 'str',
  seed: 'int',
  run: 'bool',
};

/** Bounds that keep a shared link from asking for something the page cannot do. */
const RANGES: Partial<Record<keyof DemoConfig, [number, number]>> = {
  difficulty: [0, 4],
  records: [16, 100_000],
  sftSteps: [0, 100_000],
  sftBatch: [1, 64],
  sftLr: [1e-6, 0.1],
  prompts: [1, 1024],
  group: [2, 32],
  temperature: [0.05, 2],
  llmNoise: [0, 1],
  prmSteps: [1, 10_000],
  prmResponses: [1, 4096],
  completions: [1, 64],
  beta: [-1, 1],
  tau: [0, 10],
  lr: [1e-7, 0.1],
  epochs: [1, 50],
  groupsPerBatch: [1, 64],
  iterations: [1, 10],
  evalPrompts: [1, 2000],
  evalSamples: [0, 64],
  readEvery: [1, 1000],
  seed: [0, 2 ** 31 - 1],
};

export interface ParsedConfig {
  config: DemoConfig;
  /** One line per query value that was ignored, and why. */
  warnings: string[];
}

/** The config a query string asks for: defaults for what it leaves out, a warning for what it gets wrong. */
export function parseConfig(search: string): ParsedConfig {
  const query = new URLSearchParams(search);
  const config: DemoConfig = { ...DEFAULT_CONFIG, judges: [...DEFAULT_CONFIG.judges] };
  const warnings: string[] = [];
  const target = config as unknown as Record<string, unknown>;
  for (const [key, raw] of query) {
    if (!(key in KINDS)) continue; // other parameters (e.g. an analytics tag) are not ours
    const name = key as keyof DemoConfig;
    const kind = KINDS[name];
    let value: unknown;
    if (kind === 'bool') value = raw === '1' || raw === 'true';
    else if (kind === 'int' || kind === 'num') {
      const n = Number(raw);
      const range = RANGES[name];
      if (
        !Number.isFinite(n) ||
        (kind === 'int' && !Number.isInteger(n)) ||
        (range && (n < range[0] || n > range[1]))
      ) {
        warnings.push(
          `${key}=${raw} ignored: expected ` +
            `${kind === 'int' ? 'an integer' : 'a number'}${range ? ` in [${range[0]}, ${range[1]}]` : ''}.`,
        );
        continue;
      }
      value = n;
    } else value = raw;
    const problem = checkString(name, value);
    if (problem !== null) {
      warnings.push(`${key}=${raw} ignored: ${problem}`);
      continue;
    }
    target[name] = name === 'judges' ? String(value).split(',').filter(Boolean) : value;
  }
  if (config.judges.length === 0) config.judges = [...DEFAULT_CONFIG.judges];
  // The knobs are checked against the task, which the query may give after them.
  const solverRefused = solverProblem(config.solver, config.task);
  if (solverRefused !== null) warnings.push(`solver=${config.solver} ignored: ${solverRefused}`);
  config.solver = solverRefused === null ? normalSolver(config.solver, config.task) : DEFAULT_CONFIG.solver;
  if (!query.has('compare')) config.compare = defaultCompare(config.objective);
  return { config, warnings };
}

function checkString(name: keyof DemoConfig, value: unknown): string | null {
  switch (name) {
    case 'task':
      return DEMO_TASKS.includes(value as string) ? null : `tasks: ${DEMO_TASKS.join(', ')}.`;
    case 'preset':
      return (DEMO_PRESETS as readonly unknown[]).includes(value) ? null : `presets: ${DEMO_PRESETS.join(', ')}.`;
    case 'ref':
      return value === 'scratch' || value === 'bundled' ? null : 'ref is scratch or bundled.';
    case 'consensus':
      return (CONSENSUS_MODES as readonly unknown[]).includes(value)
        ? null
        : `consensus modes: ${CONSENSUS_MODES.join(', ')}.`;
    case 'objective':
      return isObjectiveName(String(value)) ? null : `objectives: ${OBJECTIVE_NAMES.join(', ')}.`;
    case 'compare':
      return value === '' || isObjectiveName(String(value))
        ? null
        : `compare with one of: ${OBJECTIVE_NAMES.join(', ')} (or nothing).`;
    case 'judges': {
      const bad = String(value)
        .split(',')
        .filter((j) => j !== '' && !(DEMO_JUDGES as readonly string[]).includes(j));
      return bad.length === 0 ? null : `unknown judge ${bad.join(', ')} (judges: ${DEMO_JUDGES.join(', ')}).`;
    }
    default:
      return null;
  }
}

/** The query string for a config: only values that differ from the defaults, so links stay short. */
export function configQuery(config: DemoConfig): string {
  const query = new URLSearchParams();
  for (const key of Object.keys(KINDS) as (keyof DemoConfig)[]) {
    const value = config[key];
    const fallback = key === 'compare' ? defaultCompare(config.objective) : DEFAULT_CONFIG[key];
    const text = Array.isArray(value)
      ? value.join(',')
      : typeof value === 'boolean'
        ? value
          ? '1'
          : '0'
        : String(value);
    const defaultText = Array.isArray(fallback)
      ? fallback.join(',')
      : typeof fallback === 'boolean'
        ? fallback
          ? '1'
          : '0'
        : String(fallback);
    if (text !== defaultText) query.set(key, text);
  }
  return query.toString();
}

/** The knobs as text in a fixed order ('' for the defaults); throws SolverSpecError naming a key the task refuses. */
export function normalSolver(text: string, task: string): string {
  return formatSolverSpec(solverSettings(text, task));
}

/** Why the task's solver refuses these knobs (the parser's message), or null when it takes them. */
export function solverProblem(text: string, task: string): string | null {
  try {
    solverSettings(text, task);
    return null;
  } catch (error) {
    if (error instanceof SolverSpecError) return error.message;
    throw error;
  }
}

/** The knobs of a config's solver text for its task ({} for ''). */
export function solverSettings(text: string, task: string): SolverSettings {
  return text.trim() === '' ? {} : parseSolverSpec(text, getTask(task));
}

/** The regime a config asks for: π_ref's traces at its difficulty with its knobs. */
export function configRegime(config: Pick<DemoConfig, 'difficulty' | 'solver' | 'task'>): TraceRegime {
  return { difficulty: config.difficulty, solver: solverSettings(config.solver, config.task) };
}

/** The regime in words for the page ("difficulty 0, the solver's defaults"); knobs the task refuses, as given. */
export function describeConfigRegime(config: Pick<DemoConfig, 'difficulty' | 'solver' | 'task'>): string {
  const problem = solverProblem(config.solver, config.task);
  return problem === null
    ? describeRegime(configRegime(config))
    : `difficulty ${config.difficulty}, ${config.solver} (${problem})`;
}
