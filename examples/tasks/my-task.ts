// An example task, `reverse`: write a word backwards, one letter a line.
// A complete task module (docs/tasks.md walks through it): load it with
// `loadTask('./examples/tasks/my-task.ts')`; checkTask holds it to the contract.
//
//   Reverse stone          <- prompt, ends in "\n"
//   Take e: e              <- a step: the next letter from the end, the word so far
//   Take n: en
//   Take o: enp            <- a slip: the wrong letter written
//   Check: eno, not enp    <- a correction (Error Termination)
//   Take t: enot
//   Check: enot ok         <- a check of a step
//   Take s: enots
//   Answer: enots          <- the final answer
import {
  checkCoverage,
  hashString,
  isHeldOutPrompt,
  isHeldOutSeed,
  lineSteps,
  mixSeed,
  type NoisyTraceSolver,
  type Problem,
  problemId,
  Random,
  type RuleFinding,
  type SolverOptions,
  type StepLabel,
  type StepSpan,
  splitLines,
  solverOptions,
  solveWithin,
  stepLabelsFromLines,
  stepSlipRate,
  type Task,
  type Trace,
  type TraceLine,
} from '../../src/tasks/kit.ts';

interface ReverseData {
  word: string;
  /** truths[k]: the last k letters, reversed (the true word after k steps). */
  truths: string[];
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

// ---- the format: one place writes it, one place reads it ----

const take = (c: string, s: string) => `Take ${c}: ${s}`;
const check = (s: string) => `Check: ${s} ok`;
const correction = (right: string, wrong: string) => `Check: ${right}, not ${wrong}`;
const answer = (s: string) => `Answer: ${s}`;

type Line =
  | { kind: 'take'; c: string; s: string }
  | { kind: 'check'; s: string; replaces: string | null }
  | { kind: 'answer'; s: string }
  | { kind: 'blank' }
  | { kind: 'unparseable' };

function parseLine(line: string): Line {
  const text = line.trim();
  let m: RegExpExecArray | null;
  if (text === '') return { kind: 'blank' };
  if ((m = /^Take ([a-z]): ([a-z]+)$/.exec(text))) return { kind: 'take', c: m[1], s: m[2] };
  if ((m = /^Check: ([a-z]+) ok$/.exec(text))) return { kind: 'check', s: m[1], replaces: null };
  if ((m = /^Check: ([a-z]+), not ([a-z]+)$/.exec(text))) return { kind: 'check', s: m[1], replaces: m[2] };
  if ((m = /^Answer: ([a-z]+)$/.exec(text))) return { kind: 'answer', s: m[1] };
  return { kind: 'unparseable' };
}

// ---- the oracle: the Error Propagation / Error Termination rules, line by line ----

/**
 * `Take c: S` (the k-th): own-error when c is not the k-th letter from the end
 * or S is neither the running word + c nor the true word + c; else
 * propagation when S is not the true word; else termination when the running
 * word was wrong (it silently goes on from the true word); else correct.
 * A check's claim t is about the last step: t = its starting word + c, or the
 * true word. `Check: t ok`: own-error when false or t is not the running
 * word, else propagation when the running word is wrong, else check.
 * `Check: t, not w` (the running word becomes t): own-error when false;
 * termination when it fixes a wrong word; check when nothing needed fixing;
 * own-error when it breaks a right word; else propagation.
 */
function labelLines(data: ReverseData, response: string) {
  const { word, truths } = data;
  let cur = '';
  let done = 0;
  let last: { base: string; c: string } | null = null;
  const label = (score: 0 | 1, reason: StepLabel['reason']): StepLabel => ({ score, reason });
  return splitLines(response).map((line) => {
    const parsed = parseLine(response.slice(line.start, line.end));
    const truth = truths[done] ?? null;
    let result: StepLabel | null = null;
    if (parsed.kind === 'unparseable') result = label(0, 'own-error');
    else if (parsed.kind === 'answer')
      result = parsed.s === truths[word.length] ? label(1, 'final-correct') : label(0, 'final-wrong');
    else if (parsed.kind === 'take') {
      const k = done + 1;
      const misread = k > word.length || parsed.c !== word[word.length - k];
      const slip = parsed.s !== cur + parsed.c && (truth === null || parsed.s !== truth + parsed.c);
      if (misread || slip) result = label(0, 'own-error');
      else if (parsed.s !== truths[k]) result = label(0, 'propagation');
      else if (cur !== truth) result = label(1, 'termination');
      else result = label(1, 'correct');
      last = { base: cur, c: parsed.c };
      done = k;
      cur = parsed.s;
    } else if (parsed.kind === 'check') {
      const claim = last !== null && (parsed.s === last.base + last.c || parsed.s === truth);
      const wasRight = cur === truth;
      const nowRight = parsed.s === truth;
      if (parsed.replaces === null) {
        if (!claim || parsed.s !== cur) result = label(0, 'own-error');
        else result = wasRight ? label(1, 'check') : label(0, 'propagation');
      } else {
        if (!claim) result = label(0, 'own-error');
        else if (nowRight) result = wasRight ? label(1, 'check') : label(1, 'termination');
        else result = wasRight ? label(0, 'own-error') : label(0, 'propagation');
        cur = parsed.s;
      }
    }
    return { line, label: result };
  });
}

// ---- the solver: slips, checks, corrections ----

const DEFAULTS: SolverOptions = {
  slipRate: 0.2,
  checkRate: 0.4,
  catchRate: 0.6,
  falseConfirmRate: 0.2,
  maxChars: 128,
  seed: 0,
};

class ReverseSolver implements NoisyTraceSolver {
  readonly options: SolverOptions;
  constructor(options: Partial<SolverOptions> = {}) {
    this.options = solverOptions('reverse solver', DEFAULTS, options);
  }

  solve(problem: Problem): Trace {
    const data = problem.data as ReverseData;
    const rng = new Random(mixSeed(this.options.seed, hashString(problem.id)));
    const cleanLength = () =>
      [...data.truths.slice(1).map((t) => take(t.at(-1)!, t)), answer(data.word)].join('\n').length;
    return solveWithin(problem, this.options.maxChars, (draws) => this.draw(data, rng, draws), cleanLength);
  }

  private draw({ word, truths }: ReverseData, rng: Random, draws: number): Trace {
    const { slipRate, slipWhere, checkRate, catchRate, falseConfirmRate } = this.options;
    const lines: TraceLine[] = [];
    const ok = (reason: StepLabel['reason']): StepLabel => ({ score: 1, reason });
    const bad = (reason: StepLabel['reason']): StepLabel => ({ score: 0, reason });
    let cur = '';
    for (let k = 1; k <= word.length; k++) {
      const c = word[word.length - k];
      const right = cur + c;
      // slipWhere (--solver slipWhere=late) moves slips along the word, as many per trace.
      const slipped = rng.next() < stepSlipRate(slipRate, slipWhere, k - 1, word.length);
      // A slip writes the next letter of the alphabet instead.
      const written = slipped ? cur + LETTERS[(LETTERS.indexOf(c) + 1) % 26] : right;
      const stepLabel = slipped
        ? bad('own-error')
        : written === truths[k]
          ? cur === truths[k - 1]
            ? ok('correct')
            : ok('termination')
          : bad('propagation');
      lines.push({ text: take(c, written), kind: 'step', label: stepLabel, slipped });
      const wasRight = written === truths[k];
      cur = written;
      if (rng.next() >= checkRate) continue;
      if (!slipped)
        lines.push({ text: check(written), kind: 'check', label: wasRight ? ok('check') : bad('propagation') });
      else if (rng.next() < catchRate) {
        const nowRight = right === truths[k];
        const label = nowRight ? ok(wasRight ? 'check' : 'termination') : bad(wasRight ? 'own-error' : 'propagation');
        lines.push({ text: correction(right, written), kind: 'correction', label });
        cur = right;
      } else if (rng.next() < falseConfirmRate) {
        lines.push({ text: check(written), kind: 'false-confirm', label: bad('own-error') });
      }
    }
    const correct = cur === truths[word.length];
    lines.push({ text: answer(cur), kind: 'answer', label: correct ? ok('final-correct') : bad('final-wrong') });
    return { text: lines.map((l) => l.text).join('\n'), lines, answer: cur, correct, draws };
  }
}

// ---- the task ----

export const task: Task = {
  name: 'reverse',
  description: 'write a word backwards, one letter a line',
  defaultDifficulty: 1,
  alphabet: `${LETTERS}: \n`,
  stepMarkers: [String.raw`Take\b`],

  /** Difficulty d: a word of 3 + d random letters. */
  generate(seed: number, difficulty: number): Problem {
    if (!Number.isInteger(difficulty) || difficulty < 0 || difficulty > 20)
      throw new Error(`reverse: difficulty must be an integer from 0 to 20, got ${difficulty}.`);
    const rng = new Random(mixSeed(seed, difficulty));
    for (;;) {
      const word = Array.from({ length: 3 + difficulty }, () => LETTERS[Math.floor(rng.next() * 26)]).join('');
      const prompt = `Reverse ${word}\n`;
      // Training and held-out seeds never share a prompt: redraw until the prompt is on the seed's side.
      if (isHeldOutPrompt(prompt) !== isHeldOutSeed(seed)) continue;
      const truths = Array.from({ length: word.length + 1 }, (_, k) =>
        [...word.slice(word.length - k)].reverse().join(''),
      );
      const data: ReverseData = { word, truths };
      return { id: problemId('reverse', difficulty, seed), prompt, answer: truths[word.length], data };
    }
  },

  verify(problem: Problem, response: string): boolean {
    return this.extractAnswer(response) === problem.answer;
  },

  extractAnswer(response: string): string | null {
    const answers = splitLines(response)
      .map((l) => parseLine(response.slice(l.start, l.end)))
      .filter((p) => p.kind === 'answer');
    return answers.length > 0 ? answers[answers.length - 1].s : null;
  },

  oracle(problem: Problem, response: string, steps: StepSpan[]): StepLabel[] {
    checkCoverage('reverse', response, steps);
    return stepLabelsFromLines(labelLines(problem.data as ReverseData, response), steps);
  },

  naturalSteps: lineSteps,

  solver: (options) => new ReverseSolver(options),

  /**
   * The rule judge: what can be checked from the text alone, without reading
   * the prompt. A `Take c: S` line is right when S is the running word + c
   * (a misread letter passes); after a wrong line, lines that build on it are
   * propagation until a correction fixes it.
   */
  ruleFindings(response: string): RuleFinding[] {
    const findings: RuleFinding[] = [];
    let cur = '';
    let wrong = false;
    let last: { base: string; c: string; wrongBefore: boolean } | null = null;
    for (const line of splitLines(response)) {
      const parsed = parseLine(response.slice(line.start, line.end));
      const at = { start: line.contentStart, end: line.contentEnd };
      const find = (score: 0 | 1, reason: RuleFinding['reason'], detail: string) =>
        findings.push({ ...at, score, reason, detail });
      if (parsed.kind === 'take') {
        last = { base: cur, c: parsed.c, wrongBefore: wrong };
        if (parsed.s !== cur + parsed.c) {
          find(0, 'own-error', `${parsed.s} is not ${cur || '(nothing)'} + ${parsed.c}`);
          wrong = true;
        } else if (wrong) find(0, 'propagation', `${parsed.s} builds on a wrong word`);
        else find(1, 'correct', `${parsed.s} = ${cur || '(nothing)'} + ${parsed.c}`);
        cur = parsed.s;
      } else if (parsed.kind === 'check') {
        const right = last !== null && parsed.s === last.base + last.c;
        if (parsed.replaces === null) {
          if (!right || parsed.s !== cur) find(0, 'own-error', `${parsed.s} is not what the last step should give`);
          else if (wrong) find(0, 'propagation', `confirms ${parsed.s}, built on a wrong word`);
          else find(1, 'check', `confirms ${parsed.s}`);
        } else if (!right) {
          find(0, 'own-error', `corrects to ${parsed.s}, which the last step should not give`);
          wrong = true;
          cur = parsed.s;
        } else {
          if (last!.wrongBefore) find(0, 'propagation', `${parsed.s} still builds on a wrong word`);
          else find(1, wrong ? 'termination' : 'check', `${parsed.s} replaces ${parsed.replaces}`);
          wrong = last!.wrongBefore;
          cur = parsed.s;
        }
      } else if (parsed.kind === 'unparseable') find(0, 'own-error', 'an unreadable line');
    }
    return findings;
  },
};

export default task;
