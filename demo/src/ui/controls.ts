// The control panel: one input per config field (the config lives in the URL),
// the judges and consensus, the optional LLM endpoint (kept in memory only —
// its key field is a password input that the page never writes anywhere),
// and play / pause / step / reset with a live progress line.
import { EVALUATION } from '../../../src/pipeline/defaults.ts';
import { CONSENSUS_MODES } from '../../../src/judge/consensus.ts';
import { OBJECTIVE_NAMES } from '../../../src/objectives/index.ts';
import { findTask } from '../../../src/tasks/index.ts';
import { SOLVER_KEYS } from '../../../src/tasks/solver-spec.ts';
import {
  DEMO_JUDGES,
  DEMO_PRESETS,
  DEMO_TASKS,
  type DemoConfig,
  defaultCompare,
  normalSolver,
  solverProblem,
} from '../config.ts';
import type { LlmEndpoint } from '../pipeline/driver.ts';
import { h } from './dom.ts';

type Field =
  | { key: keyof DemoConfig; label: string; kind: 'number'; step?: string; min?: number; max?: number; help?: string }
  | { key: keyof DemoConfig; label: string; kind: 'select'; options: [string, string][]; help?: string }
  | { key: keyof DemoConfig; label: string; kind: 'check'; help?: string }
  | { key: 'solver'; label: string; kind: 'knobs'; help?: string };

/** The knobs every solver takes, and each built-in task's own (Task.solverKnobs). */
const KNOBS_HELP =
  `the noisy solver of π_ref's traces, key=value,... of ${SOLVER_KEYS.join(', ')} and the task's own (` +
  DEMO_TASKS.map((t) => `${t}: ${Object.keys(findTask(t)?.solverKnobs ?? {}).join(', ') || 'none'}`).join('; ') +
  "); empty: the solver's defaults";

const GROUPS: { title: string; fields: Field[] }[] = [
  {
    title: 'task and π_ref',
    fields: [
      {
        key: 'task',
        label: 'task',
        kind: 'select',
        options: DEMO_TASKS.map((t) => [t, `${t}: ${findTask(t)?.description ?? ''}`]),
        help: 'the bundled π_ref learned arithmetic: another task trains π_ref from scratch',
      },
      {
        key: 'difficulty',
        label: 'difficulty',
        kind: 'number',
        min: 0,
        max: 4,
        help: 'arithmetic: 2 + d operations; sorting: 3 + d numbers',
      },
      {
        key: 'solver',
        label: 'solver knobs',
        kind: 'knobs',
        help: KNOBS_HELP,
      },
      {
        key: 'preset',
        label: 'model',
        kind: 'select',
        options: DEMO_PRESETS.map((p) => [p, p === 'tiny' ? 'tiny (≈ 30k parameters)' : 'small (≈ 1M parameters)']),
      },
      {
        key: 'ref',
        label: 'π_ref',
        kind: 'select',
        options: [
          ['bundled', 'continue the bundled tiny π_ref'],
          ['scratch', 'train from scratch'],
        ],
      },
      { key: 'sftSteps', label: 'SFT steps', kind: 'number', min: 0 },
      { key: 'sftBatch', label: 'SFT batch', kind: 'number', min: 1 },
      { key: 'records', label: 'traces', kind: 'number', min: 16 },
    ],
  },
  {
    title: 'rollouts',
    fields: [
      { key: 'prompts', label: 'prompts', kind: 'number', min: 1 },
      { key: 'group', label: 'G (per prompt)', kind: 'number', min: 2 },
      { key: 'temperature', label: 'temperature', kind: 'number', step: '0.05' },
      { key: 'keepAll', label: 'keep all-right / all-wrong groups', kind: 'check' },
    ],
  },
  {
    title: 'judges',
    fields: [
      {
        key: 'consensus',
        label: 'consensus',
        kind: 'select',
        options: CONSENSUS_MODES.map((m) => [m, m === 'and' ? 'and (the paper)' : m]),
      },
      { key: 'llmNoise', label: 'simulated LLM noise', kind: 'number', step: '0.05', min: 0, max: 1 },
      { key: 'prmSteps', label: 'PRM steps', kind: 'number', min: 1 },
      { key: 'prmResponses', label: 'PRM responses', kind: 'number', min: 1 },
      { key: 'completions', label: 'MC completions', kind: 'number', min: 1, help: 'per step prefix' },
    ],
  },
  {
    title: 'objective',
    fields: [
      { key: 'objective', label: 'objective', kind: 'select', options: OBJECTIVE_NAMES.map((o) => [o, o]) },
      {
        key: 'beta',
        label: 'β',
        kind: 'number',
        step: '0.05',
        min: -1,
        max: 1,
        help: 'weight on mined tokens of negatives (Eq. 7)',
      },
      { key: 'tau', label: 'τ', kind: 'number', step: '0.01', min: 0 },
      { key: 'lr', label: 'learning rate', kind: 'number', step: 'any' },
      { key: 'epochs', label: 'epochs', kind: 'number', min: 1 },
      { key: 'groupsPerBatch', label: 'groups per step', kind: 'number', min: 1 },
      { key: 'iterations', label: 'iterations', kind: 'number', min: 1 },
      {
        key: 'compare',
        label: 'compare with',
        kind: 'select',
        options: [['', '(none)'], ...OBJECTIVE_NAMES.map((o) => [o, o] as [string, string])],
      },
      { key: 'evalPrompts', label: 'held-out prompts', kind: 'number', min: 1 },
      {
        key: 'evalSamples',
        label: 'samples per prompt',
        kind: 'number',
        min: 0,
        help: `accuracy = pass@1 at temperature ${EVALUATION.temperature} (0: greedy)`,
      },
      { key: 'readEvery', label: 'GPU read-back every', kind: 'number', min: 1, help: 'steps' },
      { key: 'seed', label: 'seed', kind: 'number', min: 0 },
    ],
  },
];

export interface ControlEvents {
  change(config: DemoConfig, key: keyof DemoConfig): void;
  play(): void;
  pause(): void;
  step(): void;
  reset(): void;
}

export class Controls {
  readonly element: HTMLElement;
  readonly progress: HTMLElement;
  readonly stage: HTMLElement;
  private readonly inputs = new Map<keyof DemoConfig, HTMLInputElement | HTMLSelectElement>();
  private readonly judgeBoxes = new Map<string, HTMLInputElement>();
  private readonly betaSlider: HTMLInputElement;
  private readonly llmMode: HTMLSelectElement;
  private readonly llmUrl: HTMLInputElement;
  private readonly llmModel: HTMLInputElement;
  private readonly llmKey: HTMLInputElement;
  readonly buttons: {
    play: HTMLButtonElement;
    pause: HTMLButtonElement;
    step: HTMLButtonElement;
    reset: HTMLButtonElement;
  };

  constructor(
    private config: DemoConfig,
    events: ControlEvents,
  ) {
    const emit = (key: keyof DemoConfig) => events.change(this.config, key);
    this.betaSlider = h('input', {
      type: 'range',
      id: 'beta',
      min: '-1',
      max: '1',
      step: '0.05',
      value: String(config.beta),
    });
    this.betaSlider.addEventListener('input', () => {
      this.config = { ...this.config, beta: Number(this.betaSlider.value) };
      (this.inputs.get('beta') as HTMLInputElement).value = this.betaSlider.value;
      emit('beta');
    });
    const groups = GROUPS.map((group) =>
      h(
        'fieldset',
        {},
        h('legend', {}, group.title),
        ...group.fields.map((f) => this.field(f, emit)),
        group.title === 'judges' ? this.judgeChecks(emit) : null,
        group.title === 'objective' ? h('label', { class: 'beta-slider' }, 'β slider ', this.betaSlider) : null,
      ),
    );
    this.llmMode = h(
      'select',
      { id: 'llm-mode' },
      h('option', { value: 'simulated' }, 'simulated judge (local, labelled "simulated")'),
      h('option', { value: 'endpoint' }, 'an OpenAI-compatible endpoint'),
    );
    this.llmUrl = h('input', {
      id: 'llm-url',
      type: 'url',
      placeholder: 'https://api.openai.com/v1',
      autocomplete: 'off',
    });
    this.llmModel = h('input', { id: 'llm-model', value: 'gpt-4o-mini', autocomplete: 'off' });
    this.llmKey = h('input', {
      id: 'llm-key',
      type: 'password',
      autocomplete: 'off',
      placeholder: 'API key (kept in this page only)',
    });
    const endpointFields = h(
      'div',
      { class: 'llm-endpoint', hidden: true },
      h('label', {}, 'base URL ', this.llmUrl),
      h('label', {}, 'model ', this.llmModel),
      h('label', {}, 'key ', this.llmKey),
      h(
        'p',
        { class: 'muted' },
        'Sent only to that endpoint (it must allow this page by CORS). Never put in the address, never stored; a ' +
          'failing endpoint makes the judge abstain and training goes on.',
      ),
    );
    this.llmMode.addEventListener('change', () => {
      endpointFields.hidden = this.llmMode.value !== 'endpoint';
    });
    groups[2].append(h('label', {}, 'LLM judge ', this.llmMode), endpointFields);

    this.buttons = {
      play: h('button', { type: 'button', id: 'play', onclick: () => events.play() }, '▶ play'),
      pause: h('button', { type: 'button', id: 'pause', onclick: () => events.pause() }, 'pause'),
      step: h('button', { type: 'button', id: 'step', onclick: () => events.step() }, 'step'),
      reset: h('button', { type: 'button', id: 'reset', onclick: () => events.reset() }, 'reset'),
    };
    this.stage = h('div', { class: 'stage', id: 'stage' }, 'idle');
    this.progress = h(
      'div',
      { class: 'progress', id: 'progress', role: 'status' },
      'Press play to train π_ref, sample, judge and train with the chosen objective.',
    );
    this.element = h(
      'aside',
      { class: 'controls' },
      h('div', { class: 'buttons' }, this.buttons.play, this.buttons.pause, this.buttons.step, this.buttons.reset),
      this.stage,
      this.progress,
      ...groups,
    );
  }

  private field(f: Field, emit: (key: keyof DemoConfig) => void): HTMLElement {
    const value = this.config[f.key];
    let input: HTMLInputElement | HTMLSelectElement;
    if (f.kind === 'select') {
      input = h(
        'select',
        { id: `cfg-${f.key}` },
        ...f.options.map(([v, label]) => h('option', { value: v, selected: String(value) === v }, label)),
      );
    } else if (f.kind === 'knobs') {
      input = h('input', { id: `cfg-${f.key}`, type: 'text', value: String(value), placeholder: "solver's defaults" });
    } else if (f.kind === 'check') {
      input = h('input', { id: `cfg-${f.key}`, type: 'checkbox', checked: value === true });
    } else {
      input = h('input', {
        id: `cfg-${f.key}`,
        type: 'number',
        value: String(value),
        step: f.step ?? '1',
        min: f.min !== undefined ? String(f.min) : undefined,
        max: f.max !== undefined ? String(f.max) : undefined,
      });
    }
    input.addEventListener('change', () => {
      const raw = input instanceof HTMLInputElement && input.type === 'checkbox' ? input.checked : input.value;
      let next = f.kind === 'number' ? Number(raw) : raw;
      if (f.kind === 'number' && !Number.isFinite(next)) return;
      if (f.kind === 'knobs') {
        // Knobs the task's solver refuses are not taken: the field says why until it is fixed.
        if (this.markKnobs(String(raw)) !== null) return;
        next = normalSolver(String(raw), this.config.task);
        input.value = next;
      }
      const before = this.config;
      this.config = { ...this.config, [f.key]: next };
      if (f.key === 'beta') this.betaSlider.value = String(next);
      emit(f.key);
      // Knobs another task's solver does not have are marked (a run would stop at them) until changed.
      if (f.key === 'task') this.markKnobs(this.config.solver);
      // The comparison follows the objective while it is the default one (the per-step plot's pair).
      if (f.key === 'objective' && before.compare === defaultCompare(before.objective)) {
        this.config = { ...this.config, compare: defaultCompare(this.config.objective) };
        (this.inputs.get('compare') as HTMLSelectElement).value = this.config.compare;
        emit('compare');
      }
    });
    this.inputs.set(f.key, input);
    return h('label', { title: f.help ?? '' }, `${f.label} `, input);
  }

  /** Marks the knobs field when the task's solver refuses `text`, with the parser's message; returns it (or null). */
  private markKnobs(text: string): string | null {
    const input = this.inputs.get('solver') as HTMLInputElement;
    const problem = solverProblem(text, this.config.task);
    input.setCustomValidity(problem ?? '');
    input.title = problem ?? KNOBS_HELP;
    if (problem !== null) input.reportValidity();
    return problem;
  }

  private judgeChecks(emit: (key: keyof DemoConfig) => void): HTMLElement {
    const boxes = DEMO_JUDGES.map((name) => {
      const box = h('input', { type: 'checkbox', id: `judge-${name}`, checked: this.config.judges.includes(name) });
      box.addEventListener('change', () => {
        const judges = DEMO_JUDGES.filter((j) => this.judgeBoxes.get(j)!.checked);
        if (judges.length === 0) {
          box.checked = true; // at least one judge must vote
          return;
        }
        this.config = { ...this.config, judges };
        emit('judges');
      });
      this.judgeBoxes.set(name, box);
      return h(
        'label',
        { class: 'inline' },
        box,
        ` ${name}` +
          (name === 'llm'
            ? ' (simulated unless an endpoint is set)'
            : name === 'prm'
              ? ' (trained in the page; slow)'
              : ''),
      );
    });
    return h('div', { class: 'judges' }, 'judges: ', ...boxes);
  }

  /** The endpoint typed in, or null for the simulated judge. Read when a run starts; never stored. */
  llmEndpoint(): LlmEndpoint | null {
    if (this.llmMode.value !== 'endpoint') return null;
    const baseUrl = this.llmUrl.value.trim();
    if (!/^https?:\/\//.test(baseUrl))
      throw new Error('The LLM endpoint needs a base URL starting with http:// or https://.');
    return { baseUrl, model: this.llmModel.value.trim() || 'gpt-4o-mini', apiKey: this.llmKey.value };
  }

  /** Config inputs are locked while a run uses them (β stays free: it recolours the credit view). */
  setRunning(running: boolean): void {
    for (const [key, input] of this.inputs) if (key !== 'beta' && key !== 'tau') input.disabled = running;
    for (const box of this.judgeBoxes.values()) box.disabled = running;
    for (const input of [this.llmMode, this.llmUrl, this.llmModel, this.llmKey]) input.disabled = running;
  }

  /** Read-only view of a recorded run: nothing can start. */
  setReadOnly(): void {
    this.setRunning(true);
    this.betaSlider.disabled = false;
    for (const b of [this.buttons.play, this.buttons.pause, this.buttons.step, this.buttons.reset]) b.disabled = true;
  }
}
