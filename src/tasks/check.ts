// The task contract: checkTask runs a task on a sample of seeds and refuses
// it, before any training, with an error that names the first rule it breaks.
// The rules, in the order they are checked:
//
// - shape: the members of Task exist with their types; the name is lower-case
//   letters, digits and '-'; step markers compile and start with a capital
//   A–Z (the segmenter looks for markers only there).
// - deterministic-generator: the same (seed, difficulty) gives the same
//   problem, and different seeds do not all give the same prompt.
// - problem-id: a problem's id is `${name}-d${difficulty}-${seed}` (runs
//   regenerate problems from it).
// - problem-json: a problem is {id, prompt, answer, data} with strings for the
//   first three, and survives a JSON round trip unchanged (rollout files
//   carry problems as JSON).
// - held-out-split: training seeds never give a held-out prompt
//   (isHeldOutPrompt) and held-out seeds only give held-out prompts.
// - alphabet: every character of every reference answer is in the alphabet,
//   so a model can always write the answer.
// - deterministic-solver: the same solver seed gives the same trace.
// - solver-knobs: the solver takes the rates it is given, slipWhere when its
//   options hold one, and every value of its own knobs (solverKnobs); its step
//   lines slip at its slip rate when traces are not redrawn to fit (within
//   SLIP_RATE_TOLERANCE and 4 binomial standard deviations; where its trace
//   lines say which slipped).
// - natural-steps: naturalSteps covers each trace exactly once, in order.
// - oracle-count: the oracle gives one label (score 0 or 1, a known reason)
//   per step, for the natural steps, for one step holding everything, and for
//   the default segmentation.
// - clean-traces: a solver that never slips (and never checks) writes traces
//   the verifier accepts, whose extracted answer is the reference, and whose
//   every natural step the oracle labels 1.
// - verifier-rate: on the solver's traces at its own knobs, the fraction the
//   verifier rejects is the fraction the solver says end wrong (within
//   VERIFIER_RATE_TOLERANCE); with a slip rate above 0 some traces end wrong
//   and some end right (π_ref needs both).
// - oracle-truth: where a trace has one natural step per written line, the
//   oracle agrees with the solver's ground truth on at least 99% of lines, and
//   every trace the verifier rejects has a step the oracle labels 0.
// - rule-judge (only with ruleFindings): its findings lie inside the
//   response, and on clean traces none of them is 0.
import { defaultSegmenter } from '../segment/index.ts';
import {
  HELD_OUT_SEED_BASE,
  isHeldOutPrompt,
  isHeldOutSeed,
  type Problem,
  problemId,
  type StepLabel,
  type StepSpan,
  type Task,
  type Trace,
} from './task.ts';

export const CONTRACT_RULES = [
  'shape',
  'deterministic-generator',
  'problem-id',
  'problem-json',
  'held-out-split',
  'alphabet',
  'deterministic-solver',
  'solver-knobs',
  'natural-steps',
  'oracle-count',
  'clean-traces',
  'verifier-rate',
  'oracle-truth',
  'rule-judge',
] as const;
export type ContractRule = (typeof CONTRACT_RULES)[number];

/** How far the verifier's rejection rate may be from the rate the solver states. */
export const VERIFIER_RATE_TOLERANCE = 0.05;
/** How far the share of slipped step lines may be from the slip rate, beyond 4 binomial standard deviations. */
export const SLIP_RATE_TOLERANCE = 0.05;
/** The least share of trace lines on which the oracle must agree with the solver's ground truth. */
export const ORACLE_AGREEMENT = 0.99;

export class TaskContractError extends Error {
  constructor(
    readonly task: string,
    readonly rule: ContractRule,
    detail: string,
  ) {
    super(`Task "${task}" breaks the task contract, rule ${rule}: ${detail}`);
    this.name = 'TaskContractError';
  }
}

export interface CheckOptions {
  /** Training seeds 0 … seeds − 1 are checked (default 64). */
  seeds?: number;
  /** Default: the task's defaultDifficulty. */
  difficulty?: number;
}

export interface CheckReport {
  task: string;
  rules: ContractRule[];
  seeds: number;
  difficulty: number;
  /** The fraction of the solver's traces the verifier rejects, and the fraction the solver says end wrong. */
  rejected: number;
  statedWrong: number;
}

const REASONS = new Set([
  'correct',
  'own-error',
  'propagation',
  'termination',
  'check',
  'final-correct',
  'final-wrong',
]);
const METHODS = ['generate', 'verify', 'extractAnswer', 'oracle', 'naturalSteps', 'solver'] as const;

/** Throws a TaskContractError naming the rule when `ok` is false. */
function rule(task: string, name: ContractRule, ok: boolean, detail: () => string): void {
  if (!ok) throw new TaskContractError(task, name, detail());
}

/** Runs `fn`; an exception it throws breaks `name`, with its message. */
function running<T>(task: string, name: ContractRule, what: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof TaskContractError) throw error;
    throw new TaskContractError(task, name, `${what} threw: ${(error as Error).message}`);
  }
}

/** The shape rule alone: whether a value has every member of Task (used by loadTask on module exports). */
export function checkShape(value: unknown, label = 'the task'): asserts value is Task {
  const t = value as Record<string, unknown> | null;
  const name = typeof t?.name === 'string' ? t.name : label;
  const problems: string[] = [];
  if (t === null || typeof t !== 'object') throw new TaskContractError(label, 'shape', 'it is not an object.');
  if (typeof t.name !== 'string' || !/^[a-z][a-z0-9-]*$/.test(t.name))
    problems.push(`name must be lower-case letters, digits and '-' (got ${JSON.stringify(t.name)})`);
  if (typeof t.description !== 'string') problems.push('description must be a string');
  if (!Number.isInteger(t.defaultDifficulty)) problems.push('defaultDifficulty must be an integer');
  if (typeof t.alphabet !== 'string') problems.push('alphabet must be a string');
  if (t.stepMarkers !== undefined) {
    if (!Array.isArray(t.stepMarkers) || !t.stepMarkers.every((m) => typeof m === 'string'))
      problems.push('stepMarkers must be an array of regular-expression sources');
    else for (const m of t.stepMarkers) problems.push(...markerProblems(m));
  }
  for (const m of METHODS) if (typeof t[m] !== 'function') problems.push(`${m} must be a method`);
  if (t.ruleFindings !== undefined && typeof t.ruleFindings !== 'function')
    problems.push('ruleFindings must be a method when present');
  const knobs = t.solverKnobs as Record<string, unknown> | undefined;
  if (
    knobs !== undefined &&
    (knobs === null ||
      typeof knobs !== 'object' ||
      !Object.values(knobs).every((v) => Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string')))
  )
    problems.push("solverKnobs must map each knob's name to the values it takes (strings, the default first)");
  if (problems.length > 0) throw new TaskContractError(name, 'shape', `${problems.join('; ')}.`);
}

/** What is wrong with a segmenter marker: it must compile and start with a capital A–Z (where markers are sought). */
function markerProblems(marker: string): string[] {
  try {
    new RegExp(marker);
  } catch (error) {
    return [`stepMarkers entry ${JSON.stringify(marker)} is not a regular expression (${(error as Error).message})`];
  }
  return /^[A-Z]/.test(marker)
    ? []
    : [`stepMarkers entry ${JSON.stringify(marker)} must start with a capital letter A–Z (markers are sought there)`];
}

function coversOnce(response: string, steps: readonly StepSpan[]): string | null {
  let at = 0;
  for (const [i, s] of steps.entries()) {
    if (s.start !== at || !(s.end > s.start))
      return `step ${i} is [${s.start}, ${s.end}), expected it to start at ${at}`;
    at = s.end;
  }
  return at === response.length ? null : `the steps end at ${at}, the response at ${response.length}`;
}

const validLabel = (l: StepLabel | undefined) =>
  l !== undefined && (l.score === 0 || l.score === 1) && REASONS.has(l.reason);

/** Checks every rule of the contract on seeds 0 … seeds − 1; throws a TaskContractError on the first one broken. */
export function checkTask(task: Task, options: CheckOptions = {}): CheckReport {
  checkShape(task);
  const name = task.name;
  const n = options.seeds ?? 64;
  const difficulty = options.difficulty ?? task.defaultDifficulty;
  const seeds = Array.from({ length: n }, (_, i) => i);
  const heldOutSeeds = seeds.slice(0, Math.max(4, Math.ceil(n / 8))).map((s) => HELD_OUT_SEED_BASE + s);

  // ---- problems ----
  const generate = (seed: number): Problem => {
    const p = running(name, 'deterministic-generator', `generate(${seed})`, () => task.generate(seed, difficulty));
    const ok =
      p !== null && typeof p === 'object' && ['id', 'prompt', 'answer'].every((k) => typeof p[k as 'id'] === 'string');
    rule(
      name,
      'problem-json',
      ok,
      () => `generate(${seed}) gave ${JSON.stringify(p)}, not a problem {id, prompt, answer, data}.`,
    );
    return p;
  };
  const problems = seeds.map(generate);
  for (const [i, p] of problems.entries()) {
    const again = generate(seeds[i]);
    rule(
      name,
      'deterministic-generator',
      JSON.stringify(again) === JSON.stringify(p),
      () =>
        `generate(${seeds[i]}, ${difficulty}) gave two different problems (prompts ${JSON.stringify(p.prompt)} and ` +
        `${JSON.stringify(again.prompt)}).`,
    );
  }
  rule(
    name,
    'deterministic-generator',
    n < 2 || new Set(problems.map((p) => p.prompt)).size > 1,
    () => `every seed gave the same prompt ${JSON.stringify(problems[0].prompt)}.`,
  );
  for (const [i, p] of problems.entries()) {
    const want = problemId(name, difficulty, seeds[i]);
    rule(
      name,
      'problem-id',
      p.id === want,
      () => `seed ${seeds[i]} gave the id ${JSON.stringify(p.id)}, not "${want}".`,
    );
  }
  for (const p of problems) {
    const text = JSON.stringify(p);
    const back = running(name, 'problem-json', `JSON.parse(JSON.stringify(${p.id}))`, () => JSON.parse(text));
    rule(
      name,
      'problem-json',
      JSON.stringify(back) === text && isDeepJson(p, back),
      () =>
        `problem ${p.id} changes in a JSON round trip (its data must be plain JSON: no Map, Set, bigint, ` +
        'class instance, undefined or function).',
    );
  }
  for (const seed of [...seeds, ...heldOutSeeds]) {
    const p = seed < HELD_OUT_SEED_BASE ? problems[seed] : generate(seed);
    rule(
      name,
      'held-out-split',
      isHeldOutPrompt(p.prompt) === isHeldOutSeed(seed),
      () =>
        `seed ${seed} is a ${isHeldOutSeed(seed) ? 'held-out' : 'training'} seed but its prompt ` +
        `${JSON.stringify(p.prompt)} is ${isHeldOutPrompt(p.prompt) ? '' : 'not '}a held-out prompt ` +
        '(redraw until isHeldOutPrompt(prompt) === isHeldOutSeed(seed)).',
    );
  }
  const alphabet = new Set(task.alphabet);
  for (const p of problems) {
    const missing = [...new Set(p.answer)].filter((c) => !alphabet.has(c));
    rule(
      name,
      'alphabet',
      missing.length === 0,
      () =>
        `problem ${p.id}'s answer ${JSON.stringify(p.answer)} holds ${JSON.stringify(missing.join(''))}, ` +
        'which the alphabet lacks.',
    );
  }

  // ---- the solver ----
  const solve = (options: Parameters<Task['solver']>[0], p: Problem, ruleName: ContractRule): Trace =>
    running(name, ruleName, `the solver on ${p.id}`, () => task.solver(options).solve(p));
  const traces = problems.map((p) => solve({ seed: 1 }, p, 'deterministic-solver'));
  for (const [i, p] of problems.entries()) {
    const again = solve({ seed: 1 }, p, 'deterministic-solver');
    rule(
      name,
      'deterministic-solver',
      again.text === traces[i].text,
      () => `two solvers with seed 1 wrote different traces for ${p.id}.`,
    );
  }
  const knobs = { slipRate: 0.123, checkRate: 0.234, catchRate: 0.345, falseConfirmRate: 0.456 };
  const given = running(name, 'solver-knobs', 'solver(knobs)', () => task.solver(knobs).options);
  for (const [key, value] of Object.entries(knobs)) {
    rule(
      name,
      'solver-knobs',
      given?.[key as keyof typeof knobs] === value,
      () => `solver({ ${key}: ${value} }).options.${key} is ${given?.[key as keyof typeof knobs]}.`,
    );
  }
  const where = running(
    name,
    'solver-knobs',
    'solver({ slipWhere })',
    () => task.solver({ slipWhere: 'late' }).options,
  );
  rule(
    name,
    'solver-knobs',
    where?.slipWhere === undefined || where.slipWhere === 'late',
    () => `solver({ slipWhere: 'late' }).options.slipWhere is ${JSON.stringify(where?.slipWhere)}.`,
  );
  for (const [knob, values] of Object.entries(task.solverKnobs ?? {}))
    for (const value of values) {
      const own = running(name, 'solver-knobs', `solver({ ${knob}: '${value}' })`, () => {
        const solver = task.solver({ [knob]: value, seed: 1 });
        solver.solve(problems[0]);
        return solver.options as unknown as Record<string, unknown>;
      });
      rule(
        name,
        'solver-knobs',
        own?.[knob] === value,
        () => `solver({ ${knob}: '${value}' }).options.${knob} is ${JSON.stringify(own?.[knob])}.`,
      );
    }
  const solverOptions = running(name, 'solver-knobs', 'solver()', () => task.solver({ seed: 1 }).options);
  // Without a length limit, so no redraw favours short traces.
  const unlimited = problems.map((p) => solve({ seed: 1, maxChars: Infinity }, p, 'solver-knobs'));
  const stepLines = unlimited.flatMap((t) => (t.lines ?? []).filter((l) => l.kind === 'step'));
  if (stepLines.length >= 30 && stepLines.every((l) => typeof l.slipped === 'boolean')) {
    const slipped = stepLines.filter((l) => l.slipped).length / stepLines.length;
    const p = solverOptions.slipRate;
    rule(
      name,
      'solver-knobs',
      Math.abs(slipped - p) <= SLIP_RATE_TOLERANCE + 4 * Math.sqrt((p * (1 - p)) / stepLines.length),
      () => `the solver's step lines slip at ${pct(slipped)} (${stepLines.length} lines), its slip rate is ${pct(p)}.`,
    );
  }

  // ---- steps and the oracle ----
  const segmenter = defaultSegmenter(task);
  const oracle = (p: Problem, text: string, steps: StepSpan[], what: string) => {
    const labels = running(name, 'oracle-count', `the oracle on ${p.id} (${what})`, () => task.oracle(p, text, steps));
    rule(
      name,
      'oracle-count',
      Array.isArray(labels) && labels.length === steps.length,
      () =>
        `on ${p.id} (${what}) the oracle gave ${Array.isArray(labels) ? labels.length : 'no'} labels for ` +
        `${steps.length} steps.`,
    );
    const bad = labels.findIndex((l) => !validLabel(l));
    rule(
      name,
      'oracle-count',
      bad === -1,
      () => `on ${p.id} (${what}) label ${bad} is ${JSON.stringify(labels[bad])}: a score 0 or 1 and a known reason.`,
    );
    return labels;
  };
  const naturalOf = traces.map((t, i) => {
    const steps = running(name, 'natural-steps', `naturalSteps on ${problems[i].id}`, () => task.naturalSteps(t.text));
    const wrong = coversOnce(t.text, steps);
    rule(name, 'natural-steps', wrong === null, () => `on the trace of ${problems[i].id}, ${wrong}.`);
    return steps;
  });
  for (const [i, p] of problems.entries()) {
    const text = traces[i].text;
    oracle(p, text, naturalOf[i], 'natural steps');
    if (text.length > 0) oracle(p, text, [{ start: 0, end: text.length }], 'one step');
    oracle(p, text, segmenter.segment(text), 'default segmentation');
  }

  // ---- clean traces, the verifier and the oracle's truth ----
  for (const p of problems) {
    const clean = solve({ seed: 1, slipRate: 0, checkRate: 0, maxChars: Infinity }, p, 'clean-traces');
    rule(
      name,
      'clean-traces',
      task.verify(p, clean.text),
      () => `the verifier rejects the slip-free trace of ${p.id}: ${JSON.stringify(clean.text)}.`,
    );
    const answer = task.extractAnswer(clean.text);
    rule(
      name,
      'clean-traces',
      answer === p.answer,
      () =>
        `extractAnswer reads ${JSON.stringify(answer)} from the slip-free trace of ${p.id}, the answer is ` +
        `${JSON.stringify(p.answer)}.`,
    );
    const labels = oracle(p, clean.text, task.naturalSteps(clean.text), 'slip-free trace');
    const zero = labels.findIndex((l) => l.score === 0);
    rule(
      name,
      'clean-traces',
      zero === -1,
      () => `the oracle labels step ${zero} of the slip-free trace of ${p.id} 0 (${labels[zero].reason}).`,
    );
  }
  const rejected = traces.filter((t, i) => !task.verify(problems[i], t.text)).length / n;
  const statedWrong = traces.filter((t) => !t.correct).length / n;
  rule(
    name,
    'verifier-rate',
    Math.abs(rejected - statedWrong) <= VERIFIER_RATE_TOLERANCE,
    () =>
      `the verifier rejects ${pct(rejected)} of the solver's traces, the solver says ${pct(statedWrong)} end wrong ` +
      `(slip rate ${solverOptions.slipRate}).`,
  );
  if (solverOptions.slipRate > 0 && n >= 16) {
    rule(
      name,
      'verifier-rate',
      rejected > 0 && rejected < 1,
      () =>
        `at slip rate ${solverOptions.slipRate} the verifier rejects ${pct(rejected)} of ${n} traces; π_ref needs ` +
        'traces that end right and traces that end wrong.',
    );
  }
  let lines = 0;
  let agree = 0;
  for (const [i, p] of problems.entries()) {
    const trace = traces[i];
    const labels = oracle(p, trace.text, naturalOf[i], 'natural steps');
    if (!task.verify(p, trace.text))
      rule(
        name,
        'oracle-truth',
        labels.some((l) => l.score === 0),
        () => `the verifier rejects the trace of ${p.id} but the oracle labels every step of it 1.`,
      );
    if (!Array.isArray(trace.lines) || trace.lines.length !== labels.length) continue;
    lines += labels.length;
    agree += labels.filter((l, k) => l.score === trace.lines[k].label?.score).length;
  }
  rule(
    name,
    'oracle-truth',
    lines === 0 || agree / lines >= ORACLE_AGREEMENT,
    () =>
      `the oracle agrees with the solver's ground truth on ${pct(agree / lines)} of ${lines} lines ` +
      `(at least ${pct(ORACLE_AGREEMENT)} needed).`,
  );

  // ---- the rule judge ----
  if (task.ruleFindings !== undefined) {
    for (const p of problems) {
      const clean = task.solver({ seed: 1, slipRate: 0, checkRate: 0, maxChars: Infinity }).solve(p).text;
      for (const text of [clean, traces[problems.indexOf(p)].text]) {
        const findings = running(name, 'rule-judge', `ruleFindings on ${p.id}`, () => task.ruleFindings!(text, p));
        const outside = findings.find((f) => !(f.start >= 0 && f.end <= text.length && f.start <= f.end));
        rule(
          name,
          'rule-judge',
          outside === undefined,
          () => `a finding on ${p.id} is [${outside?.start}, ${outside?.end}), outside the response.`,
        );
        const wrong = text === clean ? findings.find((f) => f.score === 0) : undefined;
        rule(
          name,
          'rule-judge',
          wrong === undefined,
          () => `on the slip-free trace of ${p.id} the rule judge finds ${JSON.stringify(wrong?.detail)} wrong.`,
        );
      }
    }
  }
  const rules = CONTRACT_RULES.filter((r) => r !== 'rule-judge' || task.ruleFindings !== undefined);
  return { task: name, rules, seeds: n, difficulty, rejected, statedWrong };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** Whether b equals a as plain JSON data (catches undefined members and non-plain objects JSON drops). */
function isDeepJson(a: unknown, b: unknown): boolean {
  if (a === null || typeof a !== 'object') return Object.is(a, b) || (typeof a === 'number' && a === b);
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((v, i) => isDeepJson(v, b[i]));
  const proto = Object.getPrototypeOf(a);
  if (proto !== Object.prototype && proto !== null) return false;
  if (b === null || typeof b !== 'object' || Array.isArray(b)) return false;
  const keys = Object.keys(a);
  return (
    keys.length === Object.keys(b).length &&
    keys.every((k) => isDeepJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
  );
}
