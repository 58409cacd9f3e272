// The mechanism plot: for a chosen wrong response that holds oracle-correct
// steps, each step's log-probability (x: the step, y: the sum or mean of its
// tokens' log π) under π_ref and after every epoch of the main objective and
// of the comparison. Correct steps (✓) of a wrong answer sink under BCPG and
// keep their probability under BCPG-NSA. Drawn with uPlot, like the charts.
import uPlot from 'uplot';
import {
  type MechanismLine,
  type MechanismRecord,
  mechanismLines,
  mechanismNeeds,
  relativeToReference,
  type StepAggregate,
} from '../pipeline/mechanism.ts';
import type { RunRecord } from '../pipeline/run-record.ts';
import { clear, h } from './dom.ts';

/** One hue per objective; earlier epochs lighter. */
const HUES: Record<string, string> = { 'bcpg-nsa': '#2166ac', bcpg: '#b2182b' };
const OTHER_HUES = ['#1b7837', '#762a83', '#e08214'];
const REF_COLOR = '#4d4d4d';

export class MechanismView {
  readonly element: HTMLElement;
  private run: RunRecord | null = null;
  private response = 0;
  private aggregate: StepAggregate = 'sum';
  /** Plot the change from π_ref instead of the log-probability itself. */
  private relative = false;
  private plot: uPlot | null = null;
  private plotKey = '';
  private readonly controls = h('div', { class: 'credit-controls' });
  private readonly note = h('p', { class: 'muted', id: 'mechanism-note' });
  private readonly box = h('figure', { class: 'chart mechanism-chart', id: 'chart-mechanism' });
  private readonly table = h('div', { class: 'mechanism-table' });

  constructor() {
    this.element = h(
      'section',
      { class: 'mechanism', id: 'mechanism' },
      h('h2', {}, 'The mechanism: correct steps of a wrong answer, epoch by epoch'),
      h(
        'p',
        { class: 'muted' },
        'Each line is one policy’s log-probability of each step of the chosen wrong response. Both objectives ' +
          'train from π_ref on the same data. BCPG pushes every token of a wrong answer down, its correct ' +
          'steps (✓) too; BCPG-NSA pushes the steps the judges mined only β as hard (β < 0: up).',
      ),
      this.controls,
      this.note,
      this.box,
      this.table,
    );
    this.render();
  }

  setRun(run: RunRecord | null): void {
    const before = this.run?.mechanism?.responses.length ?? 0;
    this.run = run;
    if ((run?.mechanism?.responses.length ?? 0) !== before) this.response = 0;
    this.render();
  }

  /** The mechanism record shown, if any. */
  private get mechanism(): MechanismRecord | null {
    return this.run?.mechanism ?? null;
  }

  private render(): void {
    clear(this.controls);
    const mechanism = this.mechanism;
    const needs = this.run === null ? null : mechanismNeeds(this.run.config);
    const notes: string[] = [];
    if (needs !== null) notes.push(needs);
    if (mechanism === null)
      notes.push(
        this.run !== null && this.run.iterations.length > 0
          ? 'This run was recorded without the per-step log-probs.'
          : 'The plot fills in once the first rollouts are judged, and grows after every epoch.',
      );
    else if (mechanism.responses.length === 0)
      notes.push(
        'No wrong response in this data holds an oracle-correct step; more prompts or a higher difficulty give some.',
      );
    this.note.textContent = notes.join(' ');
    if (mechanism === null || mechanism.responses.length === 0) {
      this.clearPlot();
      return;
    }
    this.response = Math.min(this.response, mechanism.responses.length - 1);
    const responseSelect = h(
      'select',
      {
        id: 'mechanism-response',
        onchange: (e: Event) => {
          this.response = Number((e.target as HTMLSelectElement).value);
          this.render();
        },
      },
      ...mechanism.responses.map((r, k) =>
        h(
          'option',
          { value: String(k), selected: k === this.response },
          `${r.prompt} · #${r.index} · ${r.correctTokens} tokens in correct steps`,
        ),
      ),
    );
    const aggregateSelect = h(
      'select',
      {
        id: 'mechanism-aggregate',
        onchange: (e: Event) => {
          this.aggregate = (e.target as HTMLSelectElement).value as StepAggregate;
          this.render();
        },
      },
      h('option', { value: 'sum', selected: this.aggregate === 'sum' }, 'sum over the step’s tokens'),
      h('option', { value: 'mean', selected: this.aggregate === 'mean' }, 'mean per token'),
    );
    const scaleSelect = h(
      'select',
      {
        id: 'mechanism-scale',
        onchange: (e: Event) => {
          this.relative = (e.target as HTMLSelectElement).value === 'relative';
          this.render();
        },
      },
      h('option', { value: 'absolute', selected: !this.relative }, 'log π'),
      h('option', { value: 'relative', selected: this.relative }, 'change from π_ref'),
    );
    this.controls.append(
      h('label', {}, 'wrong response ', responseSelect),
      h('label', {}, 'step log-probability ', aggregateSelect),
      h('label', {}, 'plot ', scaleSelect),
    );
    const lines = mechanismLines(mechanism, this.response, this.aggregate);
    this.draw(mechanism, this.relative ? relativeToReference(lines) : lines);
    this.drawTable(mechanism, lines);
  }

  private clearPlot(): void {
    this.plot?.destroy();
    this.plot = null;
    this.plotKey = '';
    clear(this.box);
    clear(this.table);
    this.box.append(h('figcaption', {}, 'per-step log-probability'), h('div', { class: 'chart-empty' }, 'no data yet'));
    Object.assign(this.box.dataset, { series: '0', points: '0', response: '', labels: '[]', values: '[]' });
  }

  private draw(mechanism: MechanismRecord, lines: MechanismLine[]): void {
    const r = mechanism.responses[this.response];
    const xs = r.steps.map((_, k) => k + 1);
    const shown = lines.map((l) => l.values.map((v) => (Number.isFinite(v) ? v : null)));
    Object.assign(this.box.dataset, {
      series: String(lines.length),
      points: String(shown.reduce((n, v) => n + v.filter((x) => x !== null).length, 0)),
      response: `${r.promptId}#${r.index}`,
      labels: JSON.stringify(lines.map((l) => l.label)),
      values: JSON.stringify(shown),
      emptySteps: JSON.stringify(r.steps.flatMap((s, k) => (s.tokenEnd > s.tokenStart ? [] : [k]))),
    });
    const data: uPlot.AlignedData = [xs, ...shown];
    const key = `${r.promptId}#${r.index}|${this.aggregate}|${this.relative}|${lines.map((l) => l.label).join('|')}`;
    if (this.plot !== null && this.plotKey === key) {
      this.plot.setData(data);
      return;
    }
    this.plot?.destroy();
    clear(this.box);
    const what = `log-probability of each step (${this.aggregate === 'sum' ? 'sum' : 'mean'} over its tokens)`;
    this.box.append(h('figcaption', {}, this.relative ? `change from π_ref of the ${what}` : what));
    this.plotKey = key;
    const epochs = Math.max(1, ...lines.map((l) => l.epoch));
    const others = [...new Set(lines.map((l) => l.objective).filter((o) => o !== 'π_ref' && !(o in HUES)))];
    const hue = (o: string) => HUES[o] ?? OTHER_HUES[others.indexOf(o) % OTHER_HUES.length];
    const mark = (o: 0 | 1 | null) => (o === 1 ? '✓' : o === 0 ? '✗' : '?');
    this.plot = new uPlot(
      {
        width: 860,
        height: 280,
        scales: { x: { time: false, range: [0.5, xs.length + 0.5] } },
        axes: [
          {
            label: 'step of the response (oracle: ✓ correct, ✗ wrong)',
            splits: () => xs,
            values: (_u, ticks) =>
              ticks.map((t) => {
                const s = r.steps[Math.round(t) - 1];
                return s === undefined ? '' : `${Math.round(t)} ${mark(s.oracle)} ${short(s.text)}`;
              }),
          },
          { label: this.relative ? 'log π − log π_ref' : 'log π' },
        ],
        series: [
          { label: 'step', value: (_u, v) => (v === null ? '–' : `${v} ${mark(r.steps[v - 1]?.oracle ?? null)}`) },
          ...lines.map((l) => ({
            label: l.label,
            stroke: l.kind === 'ref' ? REF_COLOR : shade(hue(l.objective), l.epoch / epochs),
            width: l.kind === 'ref' ? 2.5 : 1.5 + l.epoch / epochs,
            dash: l.kind === 'ref' ? [6, 4] : l.kind === 'compare' ? [2, 2] : undefined,
            spanGaps: true,
            points: { show: true, size: 5 },
          })),
        ],
      },
      data,
      this.box,
    );
  }

  /** The steps in words: text, labels, and each run's last epoch against π_ref. */
  private drawTable(mechanism: MechanismRecord, lines: MechanismLine[]): void {
    clear(this.table);
    const r = mechanism.responses[this.response];
    const ref = lines[0];
    const last = (kind: 'main' | 'compare') => lines.filter((l) => l.kind === kind).at(-1);
    const finals = [last('main'), last('compare')].filter((l): l is MechanismLine => l !== undefined);
    const fmt = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(2));
    const delta = (v: number, base: number) =>
      Number.isFinite(v) && Number.isFinite(base)
        ? `${v - base >= 0 ? '+' : '−'}${Math.abs(v - base).toFixed(2)}`
        : '–';
    this.table.append(
      h(
        'table',
        { class: 'steps', id: 'mechanism-steps' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', {}, '#'),
            h('th', {}, 'step'),
            h('th', {}, 'oracle'),
            h('th', {}, 'mined'),
            h('th', {}, 'π_ref'),
            ...finals.map((l) => h('th', {}, `${l.label} (Δ)`)),
          ),
        ),
        h(
          'tbody',
          {},
          ...r.steps.map((s, k) =>
            h(
              'tr',
              {},
              h('td', {}, String(k + 1)),
              h('td', { class: 'step-text' }, h('code', {}, s.text)),
              h(
                'td',
                { class: s.oracle === 1 ? 'yes' : s.oracle === 0 ? 'no' : 'abstain' },
                s.oracle === 1 ? '✓' : s.oracle === 0 ? '✗' : '–',
              ),
              h('td', {}, s.mined === 1 ? 'β' : ''),
              h('td', {}, fmt(ref.values[k])),
              ...finals.map((l) => h('td', {}, `${fmt(l.values[k])} (${delta(l.values[k], ref.values[k])})`)),
            ),
          ),
        ),
      ),
    );
  }
}

function short(text: string): string {
  const one = text.replace(/\s+/g, ' ');
  return one.length > 14 ? `${one.slice(0, 13)}…` : one;
}

/** The hue at a strength in (0, 1]: earlier epochs blend towards white. */
function shade(hex: string, strength: number): string {
  const t = 0.35 + 0.65 * Math.min(1, Math.max(0, strength));
  const [r, g, b] = [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16));
  const mix = (c: number) => Math.round(255 - (255 - c) * t);
  return `rgb(${mix(r)}, ${mix(g)}, ${mix(b)})`;
}
