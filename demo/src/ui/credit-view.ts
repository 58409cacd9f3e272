// The credit view: one response of the offline data, its steps with every
// judge's vote, the consensus and the oracle's truth, and each token coloured
// by its credit c_ij — side by side under BCPG (β = 1) and BCPG-NSA (β from
// the slider). Colours are recomputed on the CPU from the stored log-probs
// (pipeline/credit.ts) whenever β or τ moves, so the slider answers at once.
import type { AnnotatedRecord } from '../../../src/data/annotated.ts';
import { CharTokenizer } from '../../../src/data/tokenizer.ts';
import { creditScale, groupCredit, type CreditResponse } from '../pipeline/credit.ts';
import type { IterationRecord, RunRecord } from '../pipeline/run-record.ts';
import { creditColor, legendGradient, textColor } from './colors.ts';
import { clear, h } from './dom.ts';

export type CreditFilter = 'mined' | 'negatives' | 'positives' | 'all';

const FILTERS: [CreditFilter, string][] = [
  ['mined', 'negatives with mined steps'],
  ['negatives', 'negatives'],
  ['positives', 'positives'],
  ['all', 'all responses'],
];

export class CreditView {
  readonly element: HTMLElement;
  private run: RunRecord | null = null;
  private iteration = -1;
  private filter: CreditFilter = 'mined';
  private index = 0;
  private beta = 0.5;
  private tau = 0.05;
  private readonly controls: HTMLElement;
  private readonly body: HTMLElement;

  constructor() {
    this.controls = h('div', { class: 'credit-controls' });
    this.body = h(
      'div',
      { class: 'credit-body' },
      h('p', { class: 'muted' }, 'The credit view fills in once the first rollouts are judged.'),
    );
    this.element = h(
      'section',
      { class: 'credit', id: 'credit' },
      h('h2', {}, 'Where the credit goes'),
      this.controls,
      this.body,
    );
  }

  setRun(run: RunRecord | null): void {
    this.run = run;
    const iterations = run?.iterations ?? [];
    if (!iterations.some((it) => it.iteration === this.iteration)) this.iteration = iterations.at(-1)?.iteration ?? -1;
    this.render();
  }

  setHyper(beta: number, tau: number): void {
    this.beta = beta;
    this.tau = tau;
    this.renderBody();
  }

  /** Redraws (new data arrived for the same run). */
  refresh(): void {
    this.setRun(this.run);
  }

  private data(): IterationRecord | undefined {
    return this.run?.iterations.find((it) => it.iteration === this.iteration);
  }

  private chosen(data: IterationRecord): number[] {
    const keep = (r: AnnotatedRecord) => {
      switch (this.filter) {
        case 'mined':
          return r.reward === 0 && r.beta_mask.includes(1);
        case 'negatives':
          return r.reward === 0;
        case 'positives':
          return r.reward === 1;
        default:
          return true;
      }
    };
    return data.records.flatMap((r, i) => (keep(r) ? [i] : []));
  }

  private render(): void {
    clear(this.controls);
    const data = this.data();
    if (this.run === null || data === undefined) {
      clear(this.body);
      this.body.append(h('p', { class: 'muted' }, 'The credit view fills in once the first rollouts are judged.'));
      return;
    }
    // Start where the lesson is: a negative whose correct steps the judges mined, if there is one.
    if (this.filter === 'mined' && this.chosen(data).length === 0) this.filter = 'negatives';
    const iterationSelect = h(
      'select',
      {
        id: 'credit-iteration',
        onchange: (e: Event) => {
          this.iteration = Number((e.target as HTMLSelectElement).value);
          this.index = 0;
          this.render();
        },
      },
      ...this.run.iterations.map((it) =>
        h(
          'option',
          { value: String(it.iteration), selected: it.iteration === this.iteration },
          it.iteration === 0 ? 'imported data' : `iteration ${it.iteration}`,
        ),
      ),
    );
    const filterSelect = h(
      'select',
      {
        id: 'credit-filter',
        onchange: (e: Event) => {
          this.filter = (e.target as HTMLSelectElement).value as CreditFilter;
          this.index = 0;
          this.render();
        },
      },
      ...FILTERS.map(([value, label]) =>
        h('option', { value, selected: value === this.filter }, `${label} (${this.countFor(data, value)})`),
      ),
    );
    const chosen = this.chosen(data);
    this.index = Math.min(this.index, Math.max(0, chosen.length - 1));
    const responseSelect = h(
      'select',
      {
        id: 'credit-response',
        onchange: (e: Event) => {
          this.index = Number((e.target as HTMLSelectElement).value);
          this.render();
        },
      },
      ...chosen.map((i, k) => {
        const r = data.records[i];
        return h(
          'option',
          { value: String(k), selected: k === this.index },
          `${r.prompt.trim()} · #${r.index} · ${r.reward === 1 ? 'right' : 'wrong'}`,
        );
      }),
    );
    const step = (d: number) => () => {
      if (chosen.length === 0) return;
      this.index = (this.index + d + chosen.length) % chosen.length;
      this.render();
    };
    this.controls.append(
      h('label', {}, 'data ', iterationSelect),
      h('label', {}, 'show ', filterSelect),
      h('label', {}, 'response ', responseSelect),
      h('button', { type: 'button', onclick: step(-1), title: 'previous response' }, '◀'),
      h('button', { type: 'button', onclick: step(1), title: 'next response' }, '▶'),
    );
    this.renderBody();
  }

  private countFor(data: IterationRecord, filter: CreditFilter): number {
    const saved = this.filter;
    this.filter = filter;
    const n = this.chosen(data).length;
    this.filter = saved;
    return n;
  }

  private renderBody(): void {
    const data = this.data();
    if (this.run === null || data === undefined) return;
    clear(this.body);
    const chosen = this.chosen(data);
    if (chosen.length === 0) {
      this.body.append(h('p', { class: 'muted' }, 'No response of this kind in this data.'));
      return;
    }
    const at = chosen[this.index];
    const record = data.records[at];
    const group = data.records.flatMap((r, i) => (r.prompt_id === record.prompt_id ? [i] : []));
    const inputs: CreditResponse[] = group.map((i) => ({
      reward: data.records[i].reward,
      betaMask: data.records[i].beta_mask,
      refLogprobs: data.records[i].logprobs_ref,
      logprobs: data.policyLogprobs[i] ?? null,
    }));
    const bcpg = groupCredit(inputs, 'bcpg', 1, this.tau);
    const nsa = groupCredit(inputs, 'bcpg-nsa', this.beta, this.tau);
    const scale = creditScale(bcpg, nsa);
    const k = group.indexOf(at);
    const tokenizer = CharTokenizer.fromJSON(this.run.tokenizer);
    const positives = inputs.filter((r) => r.reward === 1).length;

    this.body.append(
      h(
        'p',
        { class: 'prompt' },
        h('b', {}, 'prompt '),
        h('code', {}, record.prompt.trim()),
        ' · reference answer ',
        h('code', {}, record.reference_answer),
        ' · this response is ',
        h(
          'b',
          { class: record.reward === 1 ? 'right' : 'wrong' },
          record.reward === 1 ? 'right (r = 1)' : 'wrong (r = 0)',
        ),
        ` · its group: ${positives} of ${inputs.length} right, so A = r − r̄ = ` +
          `${(record.reward - positives / inputs.length).toFixed(2)}`,
      ),
      h(
        'p',
        { class: 'muted' },
        data.policyLabel === null
          ? 'ℓ = log π_ref (before training, D = 0): the credit is the policy-gradient term alone.'
          : `ℓ from the policy ${data.policyLabel}; τ = ${this.tau}.`,
      ),
      this.stepsTable(record),
      h(
        'div',
        { class: 'token-panels' },
        this.tokenPanel('BCPG (β = 1)', 'credit-bcpg', record, tokenizer, bcpg[k], scale),
        this.tokenPanel(`BCPG-NSA (β = ${this.beta.toFixed(2)})`, 'credit-nsa', record, tokenizer, nsa[k], scale),
      ),
      h(
        'div',
        { class: 'legend' },
        h('span', {}, `c = −${scale.toExponential(1)}`),
        h('span', { class: 'legend-bar', style: { background: legendGradient() } }),
        h('span', {}, `+${scale.toExponential(1)}`),
        h(
          'span',
          { class: 'muted' },
          ' red: pushed down · blue: pushed up · underlined: tokens of consensus-correct steps of a negative ' +
            '(weight β)',
        ),
      ),
    );
  }

  private stepsTable(record: AnnotatedRecord): HTMLElement {
    const oracle = record.judges.find((j) => j.name === 'oracle');
    const voters = record.judges.filter((j) => j !== oracle || record.judges.length === 1);
    const vote = (label: 0 | 1 | null | undefined, reason?: string) =>
      h(
        'td',
        { class: label === 1 ? 'yes' : label === 0 ? 'no' : 'abstain', title: reason ?? '' },
        label === 1 ? '✓' : label === 0 ? '✗' : 'abstained',
      );
    return h(
      'table',
      { class: 'steps', id: 'credit-steps' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', {}, '#'),
          h('th', {}, 'step'),
          ...voters.map((j) => h('th', {}, j.name, j.simulated ? h('span', { class: 'tag' }, 'simulated') : null)),
          h('th', {}, `consensus (${record.consensus.mode})`),
          h('th', {}, 'oracle (truth)'),
        ),
      ),
      h(
        'tbody',
        {},
        ...record.steps.map((s, k) =>
          h(
            'tr',
            {},
            h('td', {}, String(k + 1)),
            h('td', { class: 'step-text' }, h('code', {}, record.response.slice(s.start, s.end).trim())),
            ...voters.map((j) => vote(j.verdicts[k]?.label, j.verdicts[k]?.reason)),
            vote(
              record.consensus.labels[k],
              record.consensus.abstained[k] > 0 ? `${record.consensus.abstained[k]} judge(s) abstained` : undefined,
            ),
            oracle ? vote(oracle.verdicts[k]?.label, oracle.verdicts[k]?.reason) : h('td', {}, '–'),
          ),
        ),
      ),
    );
  }

  private tokenPanel(
    title: string,
    id: string,
    record: AnnotatedRecord,
    tokenizer: CharTokenizer,
    credit: Float64Array,
    scale: number,
  ): HTMLElement {
    const tokens = record.response_tokens.map((id, j) => {
      const text = id === tokenizer.eos ? '⟨eos⟩' : tokenizer.decode([id], { stopAtEos: false });
      const c = credit[j] ?? 0;
      const span = h(
        'span',
        {
          class: `tok${record.beta_mask[j] === 1 ? ' mined' : ''}`,
          title: `c = ${c.toExponential(3)}${record.beta_mask[j] === 1 ? ' (mined: weight β)' : ''}`,
          dataset: { c: String(c) },
          style: { background: creditColor(c, scale), color: textColor(c, scale) },
        },
        text === '\n' ? '↵' : text,
      );
      return text === '\n' ? [span, h('br')] : [span];
    });
    return h('div', { class: 'token-panel', id }, h('h3', {}, title), h('div', { class: 'tokens' }, ...tokens.flat()));
  }
}
