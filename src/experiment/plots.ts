// The figures next to the report, as SVG: Vega specs rendered headless
// (renderer 'none' needs no canvas or DOM). Two shapes serve every figure:
// bars with error bars over named levels (methods, label sources) and a line
// with error bars over a numeric axis (β, iteration). Each shows the mean over
// seeds, ± one standard deviation, and every seed's own value as a dot, since
// with three seeds the dots say more than the bar. Values are percentages.
import * as vega from 'vega';

export interface PlotRow {
  /** The level's name (bars) or its position (lines, as a string of a number). */
  label: string;
  mean: number;
  /** Sample std over seeds; null with one seed (no error bar). */
  std: number | null;
  /** Each seed's value. */
  points: number[];
}

export interface PlotOptions {
  title: string;
  xTitle: string;
  yTitle: string;
  /** A dashed horizontal line, e.g. the start model π_ref. */
  reference?: { label: string; value: number };
}

const WIDTH = 420;
const HEIGHT = 240;

function yDomain(rows: PlotRow[], reference?: { value: number }): [number, number] {
  const tops = rows.flatMap((r) => [r.mean + (r.std ?? 0), ...r.points]);
  if (reference) tops.push(reference.value);
  // Headroom of at least 4 points above the tallest mark, for the legend line.
  const top = Math.max(1, ...tops.map((v) => 100 * v)) + 4;
  return [0, Math.min(100, Math.ceil(top / 10) * 10)];
}

function data(rows: PlotRow[]) {
  return [
    {
      name: 'rows',
      values: rows.map((r) => ({
        label: r.label,
        x: Number(r.label),
        mean: 100 * r.mean,
        lo: 100 * (r.mean - (r.std ?? 0)),
        hi: 100 * (r.mean + (r.std ?? 0)),
        spread: r.std !== null,
      })),
    },
    {
      name: 'points',
      values: rows.flatMap((r) =>
        r.points.map((p, i) => ({ label: r.label, x: Number(r.label), value: 100 * p, seed: i + 1 })),
      ),
    },
  ];
}

function referenceMarks(options: PlotOptions): unknown[] {
  if (!options.reference) return [];
  const y = { scale: 'y', value: 100 * options.reference.value };
  return [
    {
      type: 'rule',
      encode: {
        enter: {
          x: { value: 0 },
          x2: { signal: 'width' },
          y,
          stroke: { value: '#888' },
          strokeDash: { value: [4, 3] },
        },
      },
    },
    // The legend of the dashed line sits in the top corner, clear of the bars (the y domain leaves room there).
    {
      type: 'text',
      encode: {
        enter: {
          x: { signal: 'width' },
          y: { value: 2 },
          baseline: { value: 'top' },
          text: { value: `dashed: ${options.reference.label} ${(100 * options.reference.value).toFixed(1)}%` },
          align: { value: 'right' },
          fill: { value: '#555' },
          fontSize: { value: 10 },
        },
      },
    },
  ];
}

/** What every figure shares: the schema, its size, a white background and its title. */
function frame(options: PlotOptions) {
  return {
    $schema: 'https://vega.github.io/schema/vega/v6.json',
    width: WIDTH,
    height: HEIGHT,
    padding: 8,
    background: 'white',
    title: { text: options.title, fontSize: 13 },
  };
}

function common(options: PlotOptions, rows: PlotRow[]) {
  return {
    ...frame(options),
    data: data(rows),
    y: {
      name: 'y',
      type: 'linear',
      domain: yDomain(rows, options.reference),
      range: 'height',
      nice: false,
      zero: true,
    },
  };
}

const errorBar = (x: Record<string, unknown>) => ({
  type: 'rule',
  from: { data: 'rows' },
  encode: {
    enter: {
      x,
      y: { scale: 'y', field: 'lo' },
      y2: { scale: 'y', field: 'hi' },
      stroke: { value: '#222' },
      strokeWidth: { value: 1.5 },
      opacity: { signal: 'datum.spread ? 1 : 0' },
    },
  },
});
const dots = (x: Record<string, unknown>) => ({
  type: 'symbol',
  from: { data: 'points' },
  encode: {
    enter: {
      x,
      y: { scale: 'y', field: 'value' },
      size: { value: 22 },
      fill: { value: '#d62728' },
      fillOpacity: { value: 0.75 },
      tooltip: { signal: "'seed ' + datum.seed + ': ' + format(datum.value, '.1f') + '%'" },
    },
  },
});

/** Bars of the mean with ±std error bars and per-seed dots over named levels. */
export function barSpec(rows: PlotRow[], options: PlotOptions): vega.Spec {
  const c = common(options, rows);
  const center = { scale: 'x', field: 'label', band: 0.5 };
  return {
    ...c,
    scales: [{ name: 'x', type: 'band', domain: rows.map((r) => r.label), range: 'width', padding: 0.25 }, c.y],
    axes: [
      { orient: 'bottom', scale: 'x', title: options.xTitle },
      { orient: 'left', scale: 'y', title: options.yTitle, grid: true, gridOpacity: 0.3 },
    ],
    marks: [
      {
        type: 'rect',
        from: { data: 'rows' },
        encode: {
          enter: {
            x: { scale: 'x', field: 'label' },
            width: { scale: 'x', band: 1 },
            y: { scale: 'y', field: 'mean' },
            y2: { scale: 'y', value: 0 },
            fill: { value: '#4c78a8' },
          },
        },
      },
      errorBar(center),
      dots(center),
      ...referenceMarks(options),
    ],
  } as unknown as vega.Spec;
}

/** A numeric x axis spanning the values exactly (no rounding out, no zero), padded off the frame. */
function linearX(xs: number[]) {
  return {
    name: 'x',
    type: 'linear',
    domain: [Math.min(...xs), Math.max(...xs)],
    range: 'width',
    nice: false,
    zero: false,
    padding: 16,
  };
}

/** A line through the means with ±std error bars and per-seed dots over a numeric axis. */
export function lineSpec(rows: PlotRow[], options: PlotOptions): vega.Spec {
  const c = common(options, rows);
  const xs = rows.map((r) => Number(r.label));
  const at = { scale: 'x', field: 'x' };
  return {
    ...c,
    scales: [linearX(xs), c.y],
    axes: [
      { orient: 'bottom', scale: 'x', title: options.xTitle, values: xs },
      { orient: 'left', scale: 'y', title: options.yTitle, grid: true, gridOpacity: 0.3 },
    ],
    marks: [
      {
        type: 'line',
        from: { data: 'rows' },
        encode: {
          enter: { x: at, y: { scale: 'y', field: 'mean' }, stroke: { value: '#4c78a8' }, strokeWidth: { value: 2 } },
        },
      },
      errorBar(at),
      {
        type: 'symbol',
        from: { data: 'rows' },
        encode: { enter: { x: at, y: { scale: 'y', field: 'mean' }, size: { value: 40 }, fill: { value: '#4c78a8' } } },
      },
      dots(at),
      ...referenceMarks(options),
    ],
  } as unknown as vega.Spec;
}

/** The SVG text of a spec. */
export async function renderSvg(spec: vega.Spec): Promise<string> {
  const view = new vega.View(vega.parse(spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** One series of a difference figure: per x, the mean difference, its 95% interval and each seed's value. */
export interface DifferenceSeries {
  name: string;
  points: { x: number; mean: number; ci: [number, number] | null; seeds: number[] }[];
}

const SERIES_COLORS = ['#4c78a8', '#f58518', '#54a24b', '#b279a2'];

/**
 * Paired differences (fractions, drawn in points) against a numeric axis (a share, drawn in %): a line
 * per series through the means, its 95% intervals as bars, each seed's value as a dot, and the zero line.
 */
export function differenceSpec(
  series: DifferenceSeries[],
  options: { title: string; xTitle: string; yTitle: string },
): vega.Spec {
  const xs = series.flatMap((s) => s.points.map((p) => 100 * p.x));
  const ys = series.flatMap((s) => s.points.flatMap((p) => [p.mean, ...(p.ci ?? []), ...p.seeds])).map((v) => 100 * v);
  const low = Math.floor(Math.min(0, ...ys) - 1);
  const high = Math.ceil(Math.max(0, ...ys) + 1);
  const data = series.flatMap((s, i) => [
    {
      name: `rows${i}`,
      values: s.points.map((p) => ({
        x: 100 * p.x,
        mean: 100 * p.mean,
        lo: 100 * (p.ci?.[0] ?? p.mean),
        hi: 100 * (p.ci?.[1] ?? p.mean),
      })),
    },
    {
      name: `seeds${i}`,
      values: s.points.flatMap((p) => p.seeds.map((v, k) => ({ x: 100 * p.x, value: 100 * v, seed: k + 1 }))),
    },
  ]);
  // Each series sits a few pixels beside the other, so intervals at the same share stay apart.
  const at = (i: number) => ({ scale: 'x', field: 'x', offset: 5 * i - 2.5 * (series.length - 1) });
  const marks = series.flatMap((s, i) => {
    const color = { value: SERIES_COLORS[i % SERIES_COLORS.length] };
    return [
      {
        type: 'line',
        from: { data: `rows${i}` },
        encode: { enter: { x: at(i), y: { scale: 'y', field: 'mean' }, stroke: color, strokeWidth: { value: 2 } } },
      },
      {
        type: 'rule',
        from: { data: `rows${i}` },
        encode: {
          enter: { x: at(i), y: { scale: 'y', field: 'lo' }, y2: { scale: 'y', field: 'hi' }, stroke: color },
        },
      },
      {
        type: 'symbol',
        from: { data: `rows${i}` },
        encode: { enter: { x: at(i), y: { scale: 'y', field: 'mean' }, size: { value: 40 }, fill: color } },
      },
      {
        type: 'symbol',
        from: { data: `seeds${i}` },
        encode: {
          enter: {
            x: at(i),
            y: { scale: 'y', field: 'value' },
            size: { value: 18 },
            fill: color,
            fillOpacity: { value: 0.45 },
            tooltip: { signal: `'${s.name}, seed ' + datum.seed + ': ' + format(datum.value, '.1f') + ' pp'` },
          },
        },
      },
    ];
  });
  return {
    ...frame(options),
    data,
    scales: [
      linearX(xs),
      { name: 'y', type: 'linear', domain: [low, high], range: 'height', nice: true, zero: true },
      {
        name: 'color',
        type: 'ordinal',
        domain: series.map((s) => s.name),
        range: series.map((_, i) => SERIES_COLORS[i % SERIES_COLORS.length]),
      },
    ],
    axes: [
      { orient: 'bottom', scale: 'x', title: options.xTitle, values: [...new Set(xs)] },
      { orient: 'left', scale: 'y', title: options.yTitle, grid: true, gridOpacity: 0.3 },
    ],
    legends: [{ fill: 'color', orient: 'top-left', symbolType: 'circle', labelLimit: 320 }],
    marks: [
      {
        type: 'rule',
        encode: {
          enter: {
            x: { value: 0 },
            x2: { signal: 'width' },
            y: { scale: 'y', value: 0 },
            stroke: { value: '#888' },
            strokeDash: { value: [4, 3] },
          },
        },
      },
      ...marks,
    ],
  } as unknown as vega.Spec;
}
