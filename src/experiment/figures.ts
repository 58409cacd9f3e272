// Which figures a run gets, from its results: one per comparison it ran.
import { methodName } from './names.ts';
import { barSpec, lineSpec, renderSvg, type PlotRow } from './plots.ts';
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
  return figures;
}
