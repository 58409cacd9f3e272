// "What the experiment found", beside the live run: the headline comparisons
// of docs/results with their intervals (imported at build time, never typed),
// and what one small in-page run can and cannot show, from its own sizes.
import resultsJson from '../../../docs/results/results.json';
import { methodName } from '../../../src/experiment/names.ts';
import { type DemoConfig, describeConfigRegime } from '../config.ts';
import { type ComparisonFinding, type Findings, pagePrecision, readFindings } from '../findings.ts';
import { clear, h } from './dom.ts';

// The report's names of the objectives; π_ref is the start model's row.
const name = (m: string) => (m === 'reference' ? 'π_ref' : methodName(m));
/** Percentage points with a sign: +0.3, −4.4. */
export const points = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(100 * x).toFixed(1)}`;
const percent = (x: number) => `${(100 * x).toFixed(1)}%`;

export class FindingsView {
  readonly element: HTMLElement;
  readonly findings: Findings = readFindings(resultsJson as unknown);
  private readonly page = h('div', { class: 'findings-page', id: 'findings-page' });

  constructor(config: DemoConfig) {
    const f = this.findings;
    this.element = h(
      'section',
      { class: 'findings', id: 'findings' },
      h('h2', {}, 'What the experiment found'),
      h(
        'p',
        { class: 'muted' },
        `docs/results: ${f.preset ?? '?'} preset, ${f.seeds} seed${f.seeds === 1 ? '' : 's'}, ` +
          `${f.evalPrompts ?? '?'} held-out prompts × ${f.evalSamples ?? '?'} samples; accuracy = pass@1; ` +
          'differences are paired over seeds, with 95% t-intervals.',
      ),
      f.reference === null
        ? null
        : h(
            'p',
            { id: 'findings-ref', dataset: { value: String(f.reference) } },
            'π_ref: ',
            h('b', {}, percent(f.reference)),
            f.methods.length > 0
              ? ` · after one round: ${f.methods.map((m) => `${name(m.method)} ${percent(m.mean)}`).join(', ')}`
              : '',
          ),
      this.comparisons(f),
      f.minedShare === null
        ? null
        : h(
            'p',
            { id: 'findings-mined', dataset: { value: String(f.minedShare) } },
            `The consensus labelled ${percent(f.minedShare)} of the negatives’ tokens correct (the paper: 22%): ` +
              'BCPG-NSA differs from BCPG only on those tokens.',
          ),
      this.regimes(f),
      this.iterations(f),
      this.power(f),
      this.page,
      f.problems.length === 0
        ? null
        : h('p', { class: 'muted' }, `Not in this results.json: ${f.problems.join('; ')}.`),
    );
    this.setPage(config, null);
  }

  private comparisons(f: Findings): HTMLElement | null {
    if (f.comparisons.length === 0) return null;
    // BCPG first: the comparison the mechanism plot is about.
    const order = (c: ComparisonFinding) => (c.against === 'bcpg' ? 0 : c.against === 'reference' ? 2 : 1);
    const sorted = [...f.comparisons].sort((a, b) => order(a) - order(b));
    return h(
      'ul',
      { class: 'findings-comparisons', id: 'findings-comparisons' },
      ...sorted.map((c) =>
        h(
          'li',
          {
            dataset: {
              against: c.against,
              mean: String(c.mean),
              low: String(c.ci?.[0] ?? ''),
              high: String(c.ci?.[1] ?? ''),
            },
          },
          `BCPG-NSA − ${name(c.against)}: `,
          ...difference(c),
        ),
      ),
    );
  }

  /** The mined-share sweep: each regime's mined share and its BCPG-NSA − BCPG (nothing when the file has none). */
  private regimes(f: Findings): HTMLElement | null {
    if (f.regimes.length === 0) return null;
    return h(
      'div',
      { id: 'findings-regimes' },
      h(
        'p',
        {},
        'The mined-share sweep: in each regime of the noisy solver, the share of the negatives’ tokens in correct ' +
          'steps of its traces, and BCPG-NSA − BCPG there:',
      ),
      h(
        'ul',
        { class: 'findings-regimes' },
        ...f.regimes.map((r) =>
          h(
            'li',
            {
              dataset: {
                regime: r.name,
                share: String(r.minedShare),
                mean: String(r.nsaMinusBcpg.mean),
                low: String(r.nsaMinusBcpg.ci?.[0] ?? ''),
                high: String(r.nsaMinusBcpg.ci?.[1] ?? ''),
              },
            },
            `${r.regime}: mined share ${percent(r.minedShare)}; BCPG-NSA − BCPG `,
            ...difference(r.nsaMinusBcpg),
          ),
        ),
      ),
    );
  }

  private iterations(f: Findings): HTMLElement | null {
    if (f.iterations.length === 0) return null;
    const objectives = [...new Set(f.iterations.map((i) => i.objective))];
    const last = Math.max(...f.iterations.map((i) => i.iteration));
    const at = (o: string, k: number) => f.iterations.find((i) => i.objective === o && i.iteration === k);
    return h(
      'table',
      { class: 'steps', id: 'findings-iterations' },
      h('thead', {}, h('tr', {}, h('th', {}, 'iteration'), ...objectives.map((o) => h('th', {}, name(o))))),
      h(
        'tbody',
        {},
        ...Array.from({ length: last }, (_, i) =>
          h(
            'tr',
            {},
            h('td', {}, String(i + 1)),
            ...objectives.map((o) => {
              const cell = at(o, i + 1);
              return h('td', {}, cell === undefined ? '–' : percent(cell.mean));
            }),
          ),
        ),
      ),
    );
  }

  private power(f: Findings): HTMLElement | null {
    if (f.power.length === 0) return null;
    const target = f.targetHalfwidth === null ? '' : ` (the target: ±${(100 * f.targetHalfwidth).toFixed(1)} pp)`;
    return h(
      'div',
      { id: 'findings-power' },
      h('p', {}, `Power of the comparisons${target}:`),
      h(
        'ul',
        { class: 'findings-power' },
        ...f.power.map((p) =>
          h(
            'li',
            {},
            `${p.label}: `,
            p.values
              .map((v) => `${v.name} ${v.text ?? (Number.isInteger(v.value) ? v.value : v.value.toPrecision(3))}`)
              .join(', '),
          ),
        ),
      ),
    );
  }

  /** What one run of this page can show, from its sizes (and π_ref's accuracy here once measured). */
  setPage(config: DemoConfig, referenceAccuracy: number | null): void {
    clear(this.page);
    const p = referenceAccuracy ?? 0.5;
    const precision = pagePrecision(config.evalPrompts, config.evalSamples, p);
    const headline = this.findings.comparisons.find((c) => c.against === 'bcpg');
    const samples = config.evalSamples === 0 ? 'greedy' : `${config.evalSamples} samples`;
    this.page.dataset.one = String(precision.one);
    this.page.dataset.difference = String(precision.difference);
    this.page.append(
      h(
        'p',
        { id: 'findings-regime' },
        h('b', {}, 'This page’s regime: '),
        `π_ref's traces at ${describeConfigRegime(config)}.`,
      ),
      h(
        'p',
        {},
        h('b', {}, 'This page’s run: '),
        `${config.prompts} prompts × ${config.group} responses to train on, ${config.evalPrompts} held-out prompts × ` +
          `${samples}, one seed. One accuracy measured here is ±${(100 * precision.one).toFixed(1)} pp at 95%, ` +
          `a difference of two policies ±${(100 * precision.difference).toFixed(1)} pp (binomial approximation at ` +
          `p = ${percent(p)}${referenceAccuracy === null ? ', the widest' : ', π_ref’s accuracy here'}, ` +
          `${precision.draws} draws taken as independent, so at best); the spread between seeds comes on top.`,
      ),
      h(
        'p',
        {},
        headline === undefined
          ? 'The experiment has no BCPG-NSA − BCPG figure to compare with. '
          : Math.abs(headline.mean) < precision.difference
            ? `The experiment’s BCPG-NSA − BCPG (${points(headline.mean)} pp) is far inside that: one page run ` +
              'cannot tell which objective scores higher, and its accuracy chart will differ from run to run. '
            : `The experiment’s BCPG-NSA − BCPG (${points(headline.mean)} pp) is larger than that, but this ` +
              'page’s model and data are smaller than the experiment’s. ',
        'What a page run can show needs no statistics: the mechanism. In the per-step plot the correct steps of ' +
          'a wrong answer lose more probability under BCPG than under BCPG-NSA; how far apart they move depends ' +
          'on the learning rate, the epochs and β.',
      ),
    );
  }
}

/** A paired difference in words: the mean in bold, then its interval and what it says. */
function difference(c: ComparisonFinding): (HTMLElement | string)[] {
  return [
    h('b', {}, `${points(c.mean)} pp`),
    c.ci === null
      ? ' (one seed: no interval)'
      : `, 95% CI [${points(c.ci[0])}, ${points(c.ci[1])}] over ${c.seeds} seeds — ${reading(c.ci)}`,
  ];
}

function reading(ci: [number, number]): string {
  if (ci[0] > 0) return 'BCPG-NSA is better here';
  if (ci[1] < 0) return 'the other way round here';
  return 'the interval contains 0: not resolved';
}
