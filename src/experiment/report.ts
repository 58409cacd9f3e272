// report.md from results.json: the Table-3-like comparison, the ablations,
// the datasets, the timings, and a verdict on each of the paper's claims —
// every figure and every verdict computed from the results, none typed.
import { describeDifference, judgeClaims, VERDICT_MEANING, type Claim, type Verdict } from './claims.ts';
import type { Figure } from './figures.ts';
import { methodName } from './names.ts';
import { iterationRole } from './plan.ts';
import { POWER, powerSection, powerSentence, type ComparisonPower } from './power.ts';
import { regimeRows } from './regimes.ts';
import { familyRows, iterationFamily, iterationLevels, labelTotals, type ExperimentResults } from './results.ts';
import { pairedDifference, spread, type PairedDifference, type Spread } from './stats.ts';
import { describeSolver } from '../tasks/solver-spec.ts';

const pct = (x: number | null | undefined) => (x === null || x === undefined ? '–' : (100 * x).toFixed(1));
const meanStd = (s: Spread | null) =>
  s === null || s.mean === null ? '–' : s.std === null ? pct(s.mean) : `${pct(s.mean)} ± ${pct(s.std)}`;
const delta = (d: PairedDifference | null | undefined) => (d ? describeDifference(d).replace(/, \d+ seeds?$/, '') : '');
const seconds = (s: number) =>
  s < 90 ? `${s.toFixed(0)} s` : s < 5400 ? `${(s / 60).toFixed(1)} min` : `${(s / 3600).toFixed(2)} h`;

function table(head: string[], rows: string[][]): string {
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

const consensusOf = (r: ExperimentResults) =>
  ((r.config.judges as string[] | undefined) ?? []).join(` ${String(r.config.consensus)} `);

export interface ReportOptions {
  figures: Figure[];
  /** A heading line above everything (the docs page says how it was generated). */
  preamble?: string;
}

export function buildReport(results: ExperimentResults, options: ReportOptions): string {
  const out: string[] = [];
  const k = results.passK;
  const passHead = k === null ? 'pass@k (%)' : `pass@${k} (%)`;
  const ref = results.reference.eval;
  const figure = (family: string) => {
    const f = options.figures.find((x) => x.family === family);
    return f ? [`![${f.title}](${f.file})`, ''] : [];
  };
  const claims = judgeClaims(results);
  const config = results.config as Record<string, unknown>;

  out.push(
    `# BCPG-NSA and its baselines at small scale (${String(config.preset)} preset, ` +
      `${results.seeds.length} seed${results.seeds.length === 1 ? '' : 's'})`,
    '',
  );
  if (options.preamble) out.push(options.preamble, '');
  out.push(
    `- command: \`${results.command}\``,
    ...(results.resumedWith ?? []).map((c) => `- then resumed with: \`${c}\``),
    `- adapter: ${results.adapter} (profile ${results.profile})`,
    `- time: ${seconds(results.seconds)} of work over every leg of the run`,
    `- seeds: ${results.seeds.join(', ')} — each seed samples its own rollouts (its own prompts) ` +
      "from the same π_ref; every method trains on that seed's data " +
      `and is evaluated on the same ${ref.prompts} held-out prompts`,
    `- evaluation: ${
      ref.samples > 0
        ? `accuracy = pass@1, the mean correctness of ${ref.samples} samples per prompt at temperature 0.7 ` +
          '(the paper samples; it does not decode greedily)'
        : 'greedy accuracy'
    }${k === null ? '' : `, and pass@${k} from the same samples`}; mean ± sample standard deviation over seeds, in %`,
    '- Δ: the paired difference BCPG-NSA − row (per seed, then mean), in percentage points, ' +
      'with a 95% t-interval over seeds',
    `- ${(results.power ?? powerSection(results)).pairing}`,
    '',
  );
  out.push(...powerLines(results));

  out.push("## The paper's claims, judged from this run", '');
  out.push(
    table(
      ['claim', 'paper', 'verdict here', 'evidence'],
      claims.map((c) => [c.statement, c.source, `**${c.verdict}**`, c.evidence]),
    ),
  );
  out.push(
    '',
    `Verdicts: ${(Object.keys(VERDICT_MEANING) as Verdict[])
      .filter((v) => claims.some((c) => c.verdict === v))
      .map((v) => `*${v}*: ${VERDICT_MEANING[v]}`)
      .join('; ')}.`,
    '',
  );
  out.push(...readingNotes(results, claims), '');

  if (results.methods.length > 0) {
    out.push('## Table 3 at small scale', '');
    const rows = familyRows(results, 'method', results.methods, 'bcpg-nsa');
    out.push(
      table(
        [
          'method',
          'accuracy (%)',
          passHead,
          'Δ accuracy vs BCPG-NSA (pp)',
          `Δ ${passHead.replace(' (%)', '')} vs BCPG-NSA (pp)`,
        ],
        [
          ['start model (π_ref)', pct(ref.accuracy), pct(k === null ? null : ref.passAtK[String(k)]), '', ''],
          ...rows.map((r) => [
            methodName(r.level),
            meanStd(r.accuracy),
            meanStd(r.passAtK),
            delta(r.vsReference?.accuracy),
            delta(r.vsReference?.passAtK),
          ]),
        ],
      ),
      '',
    );
    out.push(...figure('method'));
  }

  if (results.sweeps.beta) {
    const betas = [...results.sweeps.beta].sort((a, b) => b - a).map(String);
    const hasOne = betas.includes('1');
    out.push(
      '## β ablation (Figure 2)',
      '',
      `BCPG-NSA at each β with the consensus labels (${consensusOf(results)}); β = 1 is BCPG.` +
        `${hasOne ? ' Δ here: β − 1 (the row against β = 1).' : ''}`,
      '',
    );
    const rows = familyRows(results, 'beta', betas, hasOne ? '1' : null);
    out.push(
      table(
        ['β', 'accuracy (%)', passHead, ...(hasOne ? ['Δ accuracy vs β = 1 (pp)'] : [])],
        rows.map((r) => [
          r.level,
          meanStd(r.accuracy),
          meanStd(r.passAtK),
          ...(hasOne ? [delta(negate(r.vsReference?.accuracy))] : []),
        ]),
      ),
      '',
    );
    out.push(...figure('beta'));
  }

  if (results.sweeps.labels) {
    const sources = results.sweeps.labels;
    const hasConsensus = sources.includes('consensus');
    out.push(
      '## Annotation ablation (Tables 4–5)',
      '',
      `BCPG-NSA at β = ${results.beta}, its β mask made from each source's step labels ` +
        '(judged once; see labels below). ' +
        'Token counts: tokens of negative responses in steps labelled correct / incorrect, summed over seeds. ' +
        "Precision and recall: step labels against the task's oracle." +
        `${hasConsensus ? ' Δ: consensus − row.' : ''}`,
      '',
    );
    const rows = familyRows(results, 'labels', sources, hasConsensus ? 'consensus' : null);
    out.push(
      table(
        [
          'labels',
          'voters',
          'accuracy (%)',
          passHead,
          ...(hasConsensus ? ['Δ accuracy, consensus − row (pp)'] : []),
          'neg. tokens correct',
          'neg. tokens incorrect',
          'precision (%)',
          'recall (%)',
        ],
        rows.map((r) => {
          const source = r.level as (typeof sources)[number];
          const t = labelTotals(results, source);
          const voters =
            results.labels
              .find((l) => l.source === source)
              ?.voters.join(` ${results.labels.find((l) => l.source === source)?.mode} `) ?? '';
          return [
            source,
            voters,
            meanStd(r.accuracy),
            meanStd(r.passAtK),
            ...(hasConsensus ? [delta(r.vsReference?.accuracy)] : []),
            String(t.correct),
            String(t.incorrect),
            meanStd(t.precision),
            meanStd(t.recall),
          ];
        }),
      ),
      '',
    );
    out.push(...figure('labels'));
  }

  if (results.iterations > 1 && results.iterate.length > 0) out.push(...iterationLines(results, passHead, figure));
  if ((results.regimes ?? []).length > 0) out.push(...regimeLines(results, figure));

  out.push(
    '## Datasets',
    '',
    'Per seed and iteration, after dropping groups that are all right or all wrong ' +
      "(the paper's protocol) unless keepAll.",
    '',
  );
  out.push(
    table(
      [
        'seed',
        'iteration',
        'prompts',
        'responses',
        'negatives',
        'tokens',
        'tokens in negatives',
        'rollout accuracy (%)',
        'groups dropped',
      ],
      [
        ...results.datasets.map((d) => ({ d, of: d.chain === undefined ? '' : ` (${methodName(d.chain)}'s chain)` })),
        // The mined-share sweep's own regimes sample their own data (the default regime's is the rows above).
        ...(results.regimes ?? [])
          .filter((r) => !r.isDefault)
          .flatMap((r) => r.datasets.map((d) => ({ d, of: ` (regime ${r.name})` }))),
      ].map(({ d, of }) => [
        String(d.seed),
        `${d.iteration}${of}`,
        String(d.prompts),
        String(d.responses),
        String(d.negatives),
        String(d.tokens),
        String(d.negativeTokens),
        pct(d.sampledAccuracy),
        String(d.droppedGroups),
      ]),
    ),
    '',
  );

  out.push('## Time', '', timingTable(results), '');
  return `${out.join('\n').trimEnd()}\n`;
}

/** The Power section: a sentence per headline comparison, then the table of every paired comparison. */
function powerLines(results: ExperimentResults): string[] {
  const power = results.power ?? powerSection(results);
  if (power.comparisons.length === 0) return [];
  const target = power.targetHalfwidth;
  const headline = power.comparisons.filter((c) => c.headline);
  const num = (x: number | null) => (x === null ? '–' : pct(x));
  const seeds = (x: number | null) => (x === null ? '> 10000' : String(x));
  const verdict = (c: ComparisonPower) => (c.reached === null ? '–' : c.reached ? 'yes' : 'no');
  return [
    '## Power',
    '',
    `Target: a 95% interval of ±${pct(target)} points for a paired difference (--target-halfwidth). ` +
      `Half-width (Eq. S1) = t(${1 - power.alpha / 2}, n−1) · s_d/√n; the minimum detectable difference ` +
      `(Eq. S2; paired t, two-sided α = ${power.alpha}, power ${power.power}) = ` +
      `(t(${1 - power.alpha / 2}, n−1) + t(${power.power}, n−1)) · s_d/√n, where s_d is the spread of the ` +
      'per-seed differences. The evaluation share (Eq. S3) is the part of s_d² that the finite held-out prompts ' +
      'and samples contribute (the mean over seeds of var over prompts of the per-prompt difference, / prompts); ' +
      'more held-out prompts shrink only that part, more seeds shrink all of it. The intervals below stay the ' +
      'seed-level ones, which include the training noise (the equations: docs/algorithms.md, § 6.1).',
    '',
    ...headline.map((c) => `- ${powerSentence(c, target)}`),
    ...(headline.length > 0 ? [''] : []),
    reachedLine(power.comparisons, target),
    '',
    table(
      [
        'comparison',
        'Δ (pp)',
        's_d (pp)',
        'seeds',
        '95% half-width (pp)',
        `MDE at power ${POWER.power} (pp)`,
        `±${pct(target)} reached`,
        `seeds for ±${pct(target)}`,
        'evaluation share of s_d²',
        `seeds for ±${pct(target)}, ${power.morePrompts}× prompts`,
      ],
      power.comparisons.map((c) => [
        c.name,
        c.mean === null ? '–' : describeSigned(c.mean),
        num(c.std),
        String(c.n),
        num(c.halfWidth),
        num(c.minimumDetectable),
        verdict(c),
        c.std === null ? '–' : seeds(c.seedsForTarget),
        c.evaluationShare === null ? '–' : `${(100 * c.evaluationShare).toFixed(0)}%`,
        c.std === null || c.evaluationShare === null ? '–' : seeds(c.seedsWithMorePrompts),
      ]),
    ),
    '',
  ];
}

/** Whether the run reached its target, over every comparison with a spread. */
function reachedLine(comparisons: ComparisonPower[], target: number): string {
  const judged = comparisons.filter((c) => c.reached !== null);
  if (judged.length === 0) return 'No comparison has two seeds: the target cannot be judged.';
  const missed = judged.filter((c) => !c.reached);
  const reached = judged.length - missed.length;
  const flat = judged.filter((c) => c.std === 0).length;
  const head =
    `The ±${pct(target)}-point target is reached by ${reached} of ${judged.length} comparisons` +
    (flat > 0 ? ` (${flat} of them with no spread at all: every seed gave the same difference)` : '');
  if (missed.length === 0) return `${head}.`;
  const worst = missed.reduce((a, b) => ((b.seedsForTarget ?? Infinity) > (a.seedsForTarget ?? Infinity) ? b : a));
  return (
    `${head}; not by ${missed.map((c) => c.name).join(', ')}. ` +
    `The widest spread (${worst.name}) would need ${worst.seedsForTarget ?? 'more than 10000'} seeds.`
  );
}

const describeSigned = (x: number) => `${x >= 0 ? '+' : '−'}${pct(Math.abs(x))}`;

/** Per iterated method: its table (iteration 0 is π_ref) and figure; then BCPG-NSA − each other chain per iteration. */
function iterationLines(results: ExperimentResults, passHead: string, figure: (family: string) => string[]): string[] {
  const out: string[] = [];
  const ref = results.reference.eval;
  const k = results.passK;
  const levels = iterationLevels(results);
  out.push(
    '## Iterations',
    '',
    `Each of ${results.iterate.map(methodName).join(', ')} has its own chain: from iteration 2, its last policy ` +
      "samples the round's rollouts (the same prompts and sampling seeds for every chain) and becomes its π_ref, " +
      'with a fresh PRM and annotation each round. Iteration 1 is the Table-3 run on the shared data. ' +
      'Δ: iteration − iteration 1.',
    '',
  );
  for (const m of results.iterate) {
    const rows = familyRows(results, iterationFamily(m), levels, '1');
    out.push(
      `### ${methodName(m)}`,
      '',
      table(
        ['iteration', 'accuracy (%)', passHead, 'Δ accuracy vs iteration 1 (pp)'],
        [
          ['0 (π_ref)', pct(ref.accuracy), pct(k === null ? null : ref.passAtK[String(k)]), ''],
          ...rows.map((r) => [
            r.level,
            meanStd(r.accuracy),
            meanStd(r.passAtK),
            delta(negate(r.vsReference?.accuracy)),
          ]),
        ],
      ),
      '',
      ...figure(iterationFamily(m)),
    );
  }
  const others = results.iterate.filter((m) => m !== 'bcpg-nsa');
  if (results.iterate.includes('bcpg-nsa') && others.length > 0) {
    out.push(
      '### BCPG-NSA against the other chains, iteration by iteration',
      '',
      table(
        ['iteration', ...others.map((m) => `Δ accuracy BCPG-NSA − ${methodName(m)} (pp)`)],
        levels.map((level) => [
          level,
          ...others.map((m) => delta(pairedOf(results, iterationRole('bcpg-nsa', level), iterationRole(m, level)))),
        ]),
      ),
      '',
    );
  }
  return out;
}

/**
 * The mined-share sweep: per regime (ordered by its mined share) the share of its solver's traces, the shares
 * its labels and the oracle mark correct, and BCPG-NSA − BCPG with the run's labels and with the oracle's.
 */
function regimeLines(results: ExperimentResults, figure: (family: string) => string[]): string[] {
  const rows = regimeRows(results).sort((a, b) => a.minedShare - b.minedShare);
  const traces = results.regimes![0].mined;
  const knobs = (r: (typeof rows)[number]) =>
    r.regime.isDefault
      ? `default (the run's π_ref: ${describeSolver(r.regime.solver)})`
      : `${describeSolver(r.regime.solver)}`;
  return [
    '## Mined-share sweep',
    '',
    "Each regime is a setting of the task's noisy solver (--regimes): its π_ref learned that solver's traces " +
      "(the default regime: the run's own π_ref; the others were trained as --reference train --solver … " +
      '--difficulty … trains one, with the same SFT options). On each seed a regime samples its own rollouts from ' +
      `its π_ref, and BCPG-NSA (β = ${results.beta}, consensus labels of ${consensusOf(results)}), BCPG-NSA with ` +
      "the oracle's labels (perfect mining) and BCPG train from it on that data; all three are evaluated on the " +
      "same held-out prompts and sampling seeds, at the regime's difficulty. " +
      `Mined share: the negatives' tokens in oracle-correct steps of ${traces.traces} traces of the regime's ` +
      `solver (solver seed ${traces.seed}; \`gemstone task-stats\` prints the same figure; the paper: 22%). ` +
      "Labelled / oracle: the share of the regime's rollouts' negative tokens that the consensus and the oracle " +
      'mark correct, summed over seeds. Δ: paired over seeds (per seed, then mean), with a 95% t-interval.',
    '',
    table(
      [
        'regime (solver knobs)',
        'difficulty',
        'mined share (%)',
        'rollout negatives labelled correct (%)',
        'by the oracle (%)',
        'π_ref accuracy (%)',
        'Δ accuracy BCPG-NSA − BCPG (pp)',
        'Δ accuracy BCPG-NSA (oracle labels) − BCPG (pp)',
      ],
      rows.map((r) => [
        knobs(r),
        String(r.regime.difficulty),
        pct(r.minedShare),
        pct(r.labelledShare),
        pct(r.oracleShare),
        pct(r.regime.reference.eval.accuracy),
        delta(r.nsaMinusBcpg),
        delta(r.oracleMinusBcpg),
      ]),
    ),
    '',
    ...figure('regimes'),
  ];
}

function pairedOf(results: ExperimentResults, a: string, b: string): PairedDifference {
  const values = (role: string) =>
    results.seeds.map((s) => results.units.find((u) => u.seed === s && u.roles.includes(role))!.eval.accuracy);
  return pairedDifference(values(a), values(b));
}

/** The interval of −d: "row − reference" where familyRows gives "reference − row". */
function negate(d: PairedDifference | null | undefined): PairedDifference | null {
  if (!d || d.mean === null) return d ?? null;
  const flip = { above: 'below', below: 'above', overlaps: 'overlaps', undetermined: 'undetermined' } as const;
  return { ...d, mean: -d.mean, ci: d.ci ? [-d.ci[1], -d.ci[0]] : null, side: flip[d.side] };
}

/** Seconds per kind of work: what a person needs to size a longer run. */
const mean = (list: number[]) => seconds(spread(list).mean ?? 0);
const total = (list: number[]) => seconds(list.reduce((s, v) => s + v, 0));

export function timingTable(results: ExperimentResults): string {
  const rows: string[][] = [];
  if (results.reference.trained)
    rows.push(['π_ref SFT (once)', '1', seconds(results.reference.seconds), seconds(results.reference.seconds)]);
  const data = spread(results.datasets.map((d) => d.seconds));
  rows.push([
    'dataset: rollouts, PRM, annotation (per seed and iteration)',
    String(data.n),
    seconds(data.mean ?? 0),
    seconds(results.datasets.reduce((s, d) => s + d.seconds, 0)),
  ]);
  const byObjective = new Map<string, number[]>();
  for (const u of results.units)
    byObjective.set(u.variant.objective, [...(byObjective.get(u.variant.objective) ?? []), u.seconds]);
  for (const [objective, list] of byObjective)
    rows.push([
      `${methodName(objective)}: train + evaluate (per unit)`,
      String(list.length),
      seconds(spread(list).mean ?? 0),
      seconds(list.reduce((s, v) => s + v, 0)),
    ]);
  // The mined-share sweep's own regimes (the default regime's work is counted above).
  const own = (results.regimes ?? []).filter((r) => !r.isDefault);
  if (own.length > 0) {
    const refs = own.map((r) => r.reference.seconds);
    rows.push(['mined-share sweep: π_ref SFT (per regime)', String(own.length), mean(refs), total(refs)]);
    const sets = own.flatMap((r) => r.datasets.map((d) => d.seconds));
    rows.push(['mined-share sweep: dataset (per regime and seed)', String(sets.length), mean(sets), total(sets)]);
    const trained = own.flatMap((r) => r.units.map((u) => u.seconds));
    rows.push([
      'mined-share sweep: train + evaluate (per unit)',
      String(trained.length),
      mean(trained),
      total(trained),
    ]);
  }
  rows.push(['everything', '', '', seconds(results.seconds)]);
  return table(['work', 'count', 'mean', 'total'], rows);
}

/** Why a claim may not show here: conditions read off this run's numbers. */
function readingNotes(results: ExperimentResults, claims: Claim[]): string[] {
  const notes: string[] = [];
  const n = results.seeds.length;
  const widths = familyRows(
    results,
    'method',
    results.methods,
    results.methods.includes('bcpg-nsa') ? 'bcpg-nsa' : null,
  ).flatMap((r) =>
    r.vsReference?.accuracy.ci ? [(r.vsReference.accuracy.ci[1] - r.vsReference.accuracy.ci[0]) / 2] : [],
  );
  if (n < 2)
    notes.push(`- One seed: no interval can be formed, so no comparison is decided. Run with --seeds 3 or more.`);
  else if (widths.length > 0) {
    const w = spread(widths).mean!;
    notes.push(
      `- With ${n} seeds the 95% intervals of the method differences ` +
        `are ±${(100 * w).toFixed(1)} pp wide on average; ` +
        "the paper's gaps between methods are 0.8–3.8 pp on average (Table 3), " +
        `so smaller effects than ±${(100 * w).toFixed(1)} pp cannot be resolved by this run.`,
    );
  }
  const ref = results.reference.eval;
  const se = Math.sqrt(Math.max(ref.accuracy * (1 - ref.accuracy), 1e-12) / Math.max(1, ref.prompts));
  notes.push(
    `- One evaluation of π_ref on ${ref.prompts} held-out prompts has a binomial standard error ` +
      `of ${(100 * se).toFixed(1)} pp (accuracy ${pct(ref.accuracy)}%).`,
  );
  if (ref.accuracy < 0.05 || ref.accuracy > 0.95)
    notes.push(
      `- π_ref is ${ref.accuracy < 0.05 ? 'almost never' : 'almost always'} right: ` +
        `there is ${ref.accuracy < 0.05 ? 'little signal in its rollouts' : 'little room to improve'}, ` +
        'so the methods cannot separate.',
    );
  const consensus = results.labels.filter((l) => l.source === 'consensus' && l.iteration === 1);
  const mined = consensus.reduce((s, l) => s + l.negativeTokensCorrect, 0);
  const negTokens = consensus.reduce((s, l) => s + l.negativeTokensCorrect + l.negativeTokensIncorrect, 0);
  if (negTokens > 0) {
    const share = mined / negTokens;
    notes.push(
      `- The consensus labels ${(100 * share).toFixed(1)}% of the tokens of negatives correct ` +
        '(the paper: 26M of 118M, 22%); BCPG-NSA differs from BCPG only on those tokens' +
        `${share < 0.05 ? ', so here the two can hardly differ' : ''}.`,
    );
  }
  const judges = (results.config.judges as string[] | undefined) ?? [];
  if (judges.includes('llm') && results.config.llmUrl == null)
    notes.push(
      '- The llm judge is SIMULATED (the rule judge with label noise), not a language model: ' +
        "the annotation ablation compares gemstone's stand-ins, not Claude and a trained PRM.",
    );
  notes.push(
    `- Scale: a ${String(results.config.preset)}-preset GPT-2 on gemstone's arithmetic task ` +
      'against a 14B model on competition maths in the paper; ' +
      'the claims are about the objective, but effect sizes need not carry over.',
  );
  if (claims.length === 0) notes.push('- No claim was tested: the run had no comparison of methods, β or labels.');
  return ['How to read the verdicts here:', '', ...notes];
}
