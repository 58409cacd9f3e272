// Which figures a run gets, from its results: one per comparison it ran.
import { methodName } from './names.ts';
import { barSpec, differenceSpec, lineSpec, renderSvg, type PlotRow } from './plots.ts';
import { regimeRows } from './regimes.ts';
import { familyRows, families, type ExperimentResults, type Row } from './results.ts';

export interface Figure {
  /** File name next to the report. */
  file: string;
  title: string;
  family: string;
  svg: string;
}

const FILES: Record<string, { file: string; title: string; xTitle: string; line: boolean }> = {
  method: {
    file: 'accuracy-by-method.svg',
    title: 'Held-out accuracy (pass@1) per method',
    xTitle: 'objective',
    line: false,
  },
  beta: {
    file: 'accuracy-by-beta.svg',
    title: 'BCPG-NSA: held-out accuracy against β',
    xTitle: 'β (1 = BCPG)',
    line: true,
  },
  labels: {
    file: 'accuracy-by-labels.svg',
    title: 'BCPG-NSA: held-out accuracy per label source',
    xTitle: 'labels that make the β mask',
    line: false,
  },
};

/** A chain's figure: "accuracy-by-iteration-bcpg.svg". */
function iterationFigure(method: string): { file: string; title: string; xTitle: string; line: boolean } {
  return {
    file: `accuracy-by-iteration-${method}.svg`,
    title: `${methodName(method)}: held-out accuracy per iteration (each sampling from its own last policy)`,
    xTitle: 'iteration (0 = π_ref)',
    line: true,
  };
}

function plotRows(rows: Row[], results: ExperimentResults, family: string): PlotRow[] {
  return rows.map((r) => ({
    label: family === 'method' ? methodName(r.level) : r.level,
    mean: r.accuracy.mean ?? 0,
    std: r.accuracy.std,
    points: results.seeds.map(
      (s) => results.units.find((u) => u.seed === s && u.roles.includes(r.role))!.eval.accuracy,
    ),
  }));
}

export async function buildFigures(results: ExperimentResults): Promise<Figure[]> {
  const figures: Figure[] = [];
  const start = results.reference.eval.accuracy;
  for (const { family, levels } of families(results)) {
    const chain = family.startsWith('iteration:') ? family.slice('iteration:'.length) : null;
    const meta = chain === null ? FILES[family] : iterationFigure(chain);
    let rows = plotRows(familyRows(results, family, levels, null), results, family);
    if (family === 'beta') rows = rows.sort((a, b) => Number(a.label) - Number(b.label));
    // The iteration curve starts at π_ref (iteration 0), the same value on every seed.
    if (chain !== null) rows = [{ label: '0', mean: start, std: 0, points: results.seeds.map(() => start) }, ...rows];
    const options = {
      title: meta.title,
      xTitle: meta.xTitle,
      yTitle: 'accuracy (%)',
      reference: chain !== null ? undefined : { label: 'π_ref', value: start },
    };
    const spec = meta.line ? lineSpec(rows, options) : barSpec(rows, options);
    figures.push({ file: meta.file, title: meta.title, family, svg: await renderSvg(spec) });
  }
  if ((results.regimes ?? []).length > 0) figures.push(await regimeFigure(results));
  return figures;
}

/** The mined-share sweep: BCPG-NSA − BCPG, with the run's labels and with the oracle's, against the mined share. */
async function regimeFigure(results: ExperimentResults): Promise<Figure> {
  const rows = regimeRows(results).sort((a, b) => a.minedShare - b.minedShare);
  const series = (name: string, pick: (r: (typeof rows)[number]) => { a: number[]; ci: [number, number] | null }) => ({
    name,
    points: rows.map((r) => {
      const { a, ci } = pick(r);
      return { x: r.minedShare, mean: a.reduce((s, v) => s + v, 0) / a.length, ci, seeds: a };
    }),
  });
  const perSeed = (x: number[], y: number[]) => x.map((v, i) => v - y[i]);
  const title = "BCPG-NSA − BCPG against the mined share of π_ref's traces";
  const spec = differenceSpec(
    [
      series('BCPG-NSA (consensus labels) − BCPG', (r) => ({
        a: perSeed(r.accuracy['bcpg-nsa'], r.accuracy.bcpg),
        ci: r.nsaMinusBcpg.ci,
      })),
      series('BCPG-NSA (oracle labels) − BCPG', (r) => ({
        a: perSeed(r.accuracy['bcpg-nsa-oracle'], r.accuracy.bcpg),
        ci: r.oracleMinusBcpg.ci,
      })),
    ],
    {
      title,
      xTitle: "mined share: negatives' tokens in oracle-correct steps (%)",
      yTitle: 'Δ accuracy (pp), 95% interval',
    },
  );
  return { file: REGIME_FIGURE, title, family: 'regimes', svg: await renderSvg(spec) };
}

export const REGIME_FIGURE = 'gain-by-mined-share.svg';
