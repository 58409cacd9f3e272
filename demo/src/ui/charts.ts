// The charts, drawn with uPlot from the run record while it grows: π_ref's
// SFT loss, the RL objective's terms, held-out accuracy per epoch and
// iteration (the main objective and the comparison together), and each
// judge's precision and recall against the oracle.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { RunRecord } from '../pipeline/run-record.ts';
import { h } from './dom.ts';

const COLORS = ['#2166ac', '#b2182b', '#1b7837', '#762a83', '#e08214', '#4d4d4d'];

interface Chart {
  box: HTMLElement;
  plot: uPlot | null;
  key: string;
}

export class Charts {
  readonly element: HTMLElement;
  private readonly charts = new Map<string, Chart>();

  constructor() {
    this.element = h('div', { class: 'charts' });
    for (const [id, title] of [
      ['sft', 'π_ref SFT loss'],
      ['rl', 'offline RL: objective terms'],
      ['accuracy', 'held-out accuracy (pass@1)'],
      ['agreement', 'judges vs oracle (iteration 1)'],
    ] as const) {
      const box = h(
        'figure',
        { class: 'chart', id: `chart-${id}` },
        h('figcaption', {}, title),
        h('div', { class: 'chart-empty' }, 'no data yet'),
      );
      this.element.append(box);
      this.charts.set(id, { box, plot: null, key: '' });
    }
  }

  /** Redraws every chart from the run. */
  update(run: RunRecord): void {
    this.draw('sft', [{ label: 'loss', points: run.sft.map((p) => [p.step, p.loss] as [number, number]) }], 'step');
    const main = run.rl.filter((p) => p.run === 'main');
    const term = (name: string) => main.map((p, i) => [i + 1, p.terms[name] ?? NaN] as [number, number]);
    this.draw(
      'rl',
      [
        { label: 'J', points: term('objective') },
        { label: 'policy gradient', points: term('policyGradient') },
        { label: 'constraint', points: term('constraint') },
        { label: 'mean |D|', points: term('meanAbsD'), scale: 'D' },
      ],
      'read-back',
    );
    const reference = run.accuracy.filter((p) => p.iteration === 0);
    const series = new Map<string, [number, number][]>();
    for (const p of run.accuracy) {
      if (p.iteration === 0) continue;
      const label = p.run === 'main' ? p.objective : `${p.objective} (comparison)`;
      if (!series.has(label))
        series.set(
          label,
          reference.map((r) => [r.x, 100 * r.accuracy]),
        );
      series.get(label)!.push([p.x, 100 * p.accuracy]);
    }
    if (series.size === 0 && reference.length > 0)
      series.set(
        'π_ref',
        reference.map((r) => [r.x, 100 * r.accuracy]),
      );
    this.draw(
      'accuracy',
      [...series].map(([label, points]) => ({ label, points })),
      'epochs (iterations follow each other)',
      true,
    );
    const agreement = run.iterations[0]?.agreement?.judges ?? [];
    this.drawBars(
      'agreement',
      agreement.map((j) => j.name),
      [
        { label: 'precision %', values: agreement.map((j) => 100 * j.precision) },
        { label: 'recall %', values: agreement.map((j) => 100 * j.recall) },
      ],
    );
  }

  private draw(
    id: string,
    lines: { label: string; points: [number, number][]; scale?: string }[],
    xLabel: string,
    points = false,
  ): void {
    const chart = this.charts.get(id)!;
    const used = lines.filter((l) => l.points.length > 0);
    const box = chart.box;
    box.dataset.points = String(used.reduce((s, l) => s + l.points.length, 0));
    box.dataset.series = String(used.length);
    if (used.length === 0) return;
    const xs = [...new Set(used.flatMap((l) => l.points.map((p) => p[0])))].sort((a, b) => a - b);
    const data: uPlot.AlignedData = [
      xs,
      ...used.map((l) => {
        const at = new Map(l.points);
        return xs.map((x) => (at.has(x) ? at.get(x)! : null));
      }),
    ];
    const key = used.map((l) => `${l.label}/${l.scale ?? ''}`).join('|');
    if (chart.plot !== null && chart.key === key) {
      chart.plot.setData(data);
      return;
    }
    chart.plot?.destroy();
    box.querySelector('.chart-empty')?.remove();
    chart.key = key;
    chart.plot = new uPlot(
      {
        width: 420,
        height: 200,
        scales: { x: { time: false } },
        axes: [
          { label: xLabel },
          {},
          ...(used.some((l) => l.scale) ? [{ scale: 'D', side: 1 as const, grid: { show: false } }] : []),
        ],
        series: [
          { label: 'x' },
          ...used.map((l, i) => ({
            label: l.label,
            stroke: COLORS[i % COLORS.length],
            width: 2,
            scale: l.scale ?? 'y',
            spanGaps: true,
            points: { show: points || l.points.length < 3 },
          })),
        ],
      },
      data,
      box,
    );
  }

  private drawBars(id: string, names: string[], groups: { label: string; values: number[] }[]): void {
    const chart = this.charts.get(id)!;
    chart.box.dataset.points = String(names.length);
    chart.box.dataset.series = String(groups.length);
    if (names.length === 0) return;
    chart.plot?.destroy();
    chart.box.querySelector('.chart-empty')?.remove();
    // Each judge gets a slot on the x axis; its bars sit side by side inside it (x = slot ± a shift).
    const shift = (g: number) => (g - (groups.length - 1) / 2) * 0.3;
    const xs = names.flatMap((_, i) => groups.map((_, g) => i + shift(g)));
    const data: uPlot.AlignedData = [
      xs,
      ...groups.map((group, g) =>
        xs.map((_x, k) => (k % groups.length === g ? group.values[Math.floor(k / groups.length)] : null)),
      ),
    ];
    const bars = uPlot.paths.bars!({ size: [0.28, 60] });
    chart.plot = new uPlot(
      {
        width: 420,
        height: 200,
        scales: { x: { time: false, range: [-0.6, names.length - 0.4] }, y: { range: [0, 100] } },
        axes: [
          { splits: () => names.map((_, i) => i), values: (_u, ticks) => ticks.map((t) => names[Math.round(t)] ?? '') },
          { label: '%' },
        ],
        series: [
          { label: 'judge', value: (_u, v) => (v === null ? '–' : (names[Math.round(v)] ?? '')) },
          ...groups.map((g, i) => ({
            label: g.label,
            fill: COLORS[i],
            stroke: COLORS[i],
            paths: bars,
            points: { show: false },
          })),
        ],
      },
      data,
      chart.box,
    );
  }
}
