// The objective twins (src/objectives/reference.ts) in float64: each objective's
// coefficients are the finite-difference gradient of its written objective, and the
// identities of docs/algorithms.md §5 hold. GPU-vs-twin: test/cases/objective-cases.ts.
import { describe, expect, it } from 'vitest';
import {
  coefficientsForLoss,
  DEFAULT_HYPER,
  OBJECTIVE_NAMES,
  OBJECTIVES,
  resolveHyper,
  type ObjectiveHyper,
  type ObjectiveName,
} from '../src/objectives/index.ts';
import {
  bcpg,
  bcpgNsa,
  dpo,
  dpoPairs,
  grpoOffline,
  groupStats,
  logRatioSum,
  rft,
  topr,
  toprLoss,
  type ObjectiveBatch,
} from '../src/objectives/reference.ts';
import { outputLogprobs } from '../src/reference/output.ts';
import { Random } from '../src/util/random.ts';
import { randomObjectiveBatch, type RandomBatchOptions } from './cases/objective-cases.ts';
import { maxAbsDiff, numericGradient } from './util/numeric.ts';

const hyperOf = (name: ObjectiveName, overrides: Partial<ObjectiveHyper> = {}) => resolveHyper(name, overrides);

const SHAPES: { label: string; options: RandomBatchOptions }[] = [
  {
    label: 'mixed groups, a G = 1, all-right and all-wrong',
    options: { groups: [4, 3, 1, 5, 4], kinds: ['mixed', 'mixed', 'mixed', 'all-right', 'all-wrong'], maxLength: 9 },
  },
  { label: 'one response', options: { groups: [1], maxLength: 5 } },
  { label: 'two mixed groups of 6', options: { groups: [6, 6], maxLength: 6, spread: 1 } },
];

const VARIANTS: [ObjectiveName, Partial<ObjectiveHyper>][] = [
  ['bcpg-nsa', {}],
  ['bcpg-nsa', { beta: -0.5, tau: 0.05 }],
  ['bcpg', { tau: 0.05 }],
  ['grpo-offline', {}],
  ['grpo-offline', { lossType: 'dapo', betaKL: 0.3 }],
  ['topr', {}],
  ['topr', { toprBaseline: 'constant', toprConstant: 0.2, toprRatio: 'sequence' }],
  ['dpo', {}],
  ['dpo', { betaDPO: 2, dpoSeed: 3 }],
  ['rft', {}],
];

describe('objective coefficients are ∂J/∂ℓ (central differences, float64)', () => {
  for (const [name, overrides] of VARIANTS) {
    it(`${name} ${JSON.stringify(overrides)}`, () => {
      const hyper = hyperOf(name, overrides);
      let seed = 40;
      for (const { options } of SHAPES) {
        // GRPO: keep each ratio 1e-3 from the clip edges, where J has a kink and FD straddles it.
        const clipMargin = name === 'grpo-offline' ? { epsilon: hyper.epsilon, margin: 1e-3 } : undefined;
        const batch = randomObjectiveBatch(new Random(seed++), { ...options, clipMargin });
        const spec = OBJECTIVES[name];
        const got = spec.reference(batch, hyper);
        const l0 = Float64Array.from(batch.logprobs);
        // TOPR's weight is a stop-gradient: differentiate the surrogate with the weight frozen at ℓ0.
        const loss =
          name === 'topr'
            ? (l: Float64Array) => toprLoss(batch, hyper, l, l0)
            : (l: Float64Array) => spec.loss(batch, hyper, l);
        const fd = numericGradient(loss, Float64Array.from(l0));
        // c = ∂J/∂ℓ = −∂loss/∂ℓ
        expect(
          maxAbsDiff(
            got.coefficients,
            fd.map((v) => -v),
          ),
        ).toBeLessThan(1e-8);
        expect(got.objective).toBeCloseTo(-loss(l0), 12);
        expect(got.terms.objective).toBe(got.objective);
      }
    });
  }

  it('GRPO: a clipped token has zero credit from the policy term, and FD agrees', () => {
    const hyper = hyperOf('grpo-offline', { betaKL: 0 });
    // one group: a right (A > 0) and a wrong (A < 0) response, 2 tokens each
    const batch: ObjectiveBatch = {
      responses: [
        { group: 0, reward: 1, offset: 0, length: 2 },
        { group: 0, reward: 0, offset: 2, length: 2 },
      ],
      // ρ = e^{0.5} > 1.2 (clipped for A > 0), e^{-0.05} (inside);
      // e^{-0.5} < 0.8 (clipped for A < 0), e^{0.5} (not clipped for A < 0)
      logprobs: [-1, -1, -1, -1],
      refLogprobs: [-1.5, -0.95, -0.5, -1.5],
      betaMask: [0, 0, 0, 0],
    };
    const { coefficients, terms } = grpoOffline(batch, hyper);
    expect(coefficients[0]).toBe(0);
    expect(coefficients[1]).toBeGreaterThan(0);
    expect(coefficients[2]).toBe(0);
    expect(coefficients[3]).toBeLessThan(0);
    expect(terms.clipFraction).toBe(0.5);
    const fd = numericGradient(
      (l) => OBJECTIVES['grpo-offline'].loss(batch, hyper, l),
      Float64Array.from(batch.logprobs),
    );
    expect(
      maxAbsDiff(
        coefficients,
        fd.map((v) => -v),
      ),
    ).toBeLessThan(1e-8);
  });
});

describe('objective identities', () => {
  const batch = randomObjectiveBatch(new Random(77), {
    groups: [5, 4, 1, 6, 3],
    kinds: ['mixed', 'mixed', 'mixed', 'all-wrong', 'mixed'],
    maxLength: 12,
  });

  it('BCPG-NSA with β = 1 equals BCPG', () => {
    const hyper = { ...DEFAULT_HYPER, tau: 0.02 };
    const nsa = bcpgNsa(batch, { ...hyper, beta: 1 });
    const plain = bcpg(batch, { ...hyper, beta: 0.3 }); // BCPG ignores β
    expect(Array.from(nsa.coefficients)).toEqual(Array.from(plain.coefficients));
    expect(nsa.terms).toEqual(plain.terms);
    expect(resolveHyper('bcpg', { beta: 0.3 }).beta).toBe(1);
  });

  it('τ = 0 removes the constraint term, and τ adds exactly −τ D_i/(P·G·|y_i|)', () => {
    const free = bcpgNsa(batch, { ...DEFAULT_HYPER, tau: 0 });
    expect(free.terms.constraint).toBe(0);
    expect(free.objective).toBe(free.terms.policyGradient);
    // without the constraint c does not depend on ℓ
    const moved = bcpgNsa(
      { ...batch, logprobs: Float64Array.from(batch.logprobs, (v) => v - 0.3) },
      { ...DEFAULT_HYPER, tau: 0 },
    );
    expect(Array.from(moved.coefficients)).toEqual(Array.from(free.coefficients));
    const tau = 0.05;
    const withTau = bcpgNsa(batch, { ...DEFAULT_HYPER, tau });
    const groups = groupStats(batch);
    for (const y of batch.responses) {
      const D = logRatioSum(batch, batch.logprobs, y);
      for (let t = y.offset; t < y.offset + y.length; t++) {
        expect(withTau.coefficients[t] - free.coefficients[t]).toBeCloseTo(
          (-tau * D) / (groups.length * groups[y.group].count * y.length),
          14,
        );
      }
    }
  });

  it('BCPG-NSA with β < 1 reduces the penalty exactly on mined tokens of negatives', () => {
    const beta = 0.5;
    const tau = 0.01;
    const nsa = bcpgNsa(batch, { ...DEFAULT_HYPER, beta, tau });
    const full = bcpg(batch, { ...DEFAULT_HYPER, tau });
    const nsaFree = bcpgNsa(batch, { ...DEFAULT_HYPER, beta, tau: 0 });
    const fullFree = bcpg(batch, { ...DEFAULT_HYPER, tau: 0 });
    const groups = groupStats(batch);
    let mined = 0;
    for (const y of batch.responses) {
      const A = y.reward - groups[y.group].mean;
      const weight = 1 / (groups.length * groups[y.group].count * y.length);
      for (let t = y.offset; t < y.offset + y.length; t++) {
        const isMined = y.reward === 0 && batch.betaMask[t] !== 0;
        // the difference is (β − 1)·A_i·weight on mined tokens and nothing elsewhere (masks on positives are ignored)
        expect(nsa.coefficients[t] - full.coefficients[t]).toBeCloseTo(isMined ? (beta - 1) * A * weight : 0, 15);
        if (isMined) {
          expect(nsaFree.coefficients[t]).toBeCloseTo(beta * fullFree.coefficients[t], 15);
          if (A < 0) {
            expect(Math.abs(nsaFree.coefficients[t])).toBeLessThan(Math.abs(fullFree.coefficients[t]));
            mined += 1;
          }
        }
      }
    }
    expect(mined).toBeGreaterThan(0);
    expect(nsa.terms.betaShare).toBeGreaterThan(0);
  });

  it('GRPO-offline with every ratio inside the clip range is std-normalised REINFORCE plus the KL term', () => {
    // ρ ∈ (0.86, 1.17) ⊂ (0.8, 1.2)
    const inside = randomObjectiveBatch(new Random(5), { groups: [4, 3, 1, 5], maxLength: 8, spread: 0.15 });
    for (const lossType of ['grpo', 'dapo'] as const) {
      const hyper = { ...DEFAULT_HYPER, lossType };
      const { coefficients, terms } = grpoOffline(inside, hyper);
      expect(terms.clipFraction).toBe(0);
      const N = inside.responses.length;
      const tokens = inside.responses.reduce((s, y) => s + y.length, 0);
      for (const y of inside.responses) {
        // the group's rewards, their mean and Bessel std, written out again
        const rewards = inside.responses.filter((z) => z.group === y.group).map((z) => z.reward);
        const mean = rewards.reduce((s, r) => s + r, 0) / rewards.length;
        const std =
          rewards.length > 1 ? Math.sqrt(rewards.reduce((s, r) => s + (r - mean) ** 2, 0) / (rewards.length - 1)) : 0;
        const A = (y.reward - mean) / (std + 1e-4);
        const normaliser = lossType === 'grpo' ? N * y.length : tokens;
        for (let t = y.offset; t < y.offset + y.length; t++) {
          const ratio = Math.exp(inside.logprobs[t] - inside.refLogprobs[t]);
          const kl = hyper.betaKL * (Math.exp(inside.refLogprobs[t] - inside.logprobs[t]) - 1);
          expect(coefficients[t]).toBeCloseTo((A * ratio + kl) / normaliser, 14);
        }
      }
    }
  });

  it('RFT gives zero credit to negatives and spreads one unit over the positives', () => {
    const { coefficients } = rft(batch, DEFAULT_HYPER);
    let total = 0;
    for (const y of batch.responses) {
      for (let t = y.offset; t < y.offset + y.length; t++) {
        if (y.reward === 0) expect(coefficients[t]).toBe(0);
        else expect(coefficients[t]).toBeGreaterThan(0);
        total += coefficients[t];
      }
    }
    expect(total).toBeCloseTo(1, 14);
    const none = rft({ ...batch, responses: batch.responses.map((y) => ({ ...y, reward: 0 })) }, DEFAULT_HYPER);
    expect(none.coefficients.every((c) => c === 0)).toBe(true);
    expect(none.objective).toBe(0);
  });

  const dpoCoefficientsTitle =
    'DPO gives every token of the chosen response one coefficient and every token of the rejected its negative';
  it(dpoCoefficientsTitle, () => {
    // groups of one right and one wrong response: each response is in exactly one pair
    const oneToOne = randomObjectiveBatch(new Random(8), { groups: [2, 2, 2, 2], maxLength: 7 });
    const responses = oneToOne.responses.map((y) => ({ ...y }));
    const byGroup = new Map<number, number[]>();
    responses.forEach((y, i) => byGroup.set(y.group, [...(byGroup.get(y.group) ?? []), i]));
    for (const [a, b] of byGroup.values()) {
      responses[a].reward = 1;
      responses[b].reward = 0;
    }
    const paired = { ...oneToOne, responses };
    const pairs = dpoPairs(responses, 0);
    expect(pairs.length).toBe(4);
    const { coefficients } = dpo({ ...paired, pairs }, DEFAULT_HYPER);
    for (const { chosen, rejected } of pairs) {
      const w = responses[chosen];
      const l = responses[rejected];
      const cw = coefficients[w.offset];
      expect(cw).toBeGreaterThan(0);
      for (let t = w.offset; t < w.offset + w.length; t++) expect(coefficients[t]).toBe(cw);
      for (let t = l.offset; t < l.offset + l.length; t++) expect(coefficients[t]).toBe(-cw);
    }
    // a positive chosen in several pairs sums its pairs' credit
    const many = dpo(batch, DEFAULT_HYPER);
    const manyPairs = dpoPairs(batch.responses, DEFAULT_HYPER.dpoSeed);
    for (const [i, y] of batch.responses.entries()) {
      const own = manyPairs.filter((p) => p.chosen === i || p.rejected === i);
      let expected = 0;
      for (const p of own) {
        const margin =
          logRatioSum(batch, batch.logprobs, batch.responses[p.chosen]) -
          logRatioSum(batch, batch.logprobs, batch.responses[p.rejected]);
        const s = 1 / (1 + Math.exp(DEFAULT_HYPER.betaDPO * margin));
        expected += ((p.chosen === i ? 1 : -1) * DEFAULT_HYPER.betaDPO * s) / manyPairs.length;
      }
      for (let t = y.offset; t < y.offset + y.length; t++) expect(many.coefficients[t]).toBeCloseTo(expected, 15);
    }
  });

  const dpoPairingTitle =
    'DPO default pairing: every negative once, a positive of its group, positives used evenly, deterministic by seed';
  it(dpoPairingTitle, () => {
    const pairs = dpoPairs(batch.responses, 11);
    const negatives = batch.responses
      .map((y, i) => ({ y, i }))
      .filter(
        ({ y, i }) =>
          y.reward === 0 && batch.responses.some((z, k) => k !== i && z.group === y.group && z.reward === 1),
      );
    expect(pairs.map((p) => p.rejected).sort((a, b) => a - b)).toEqual(negatives.map(({ i }) => i));
    for (const { chosen, rejected } of pairs) {
      expect(batch.responses[chosen].reward).toBe(1);
      expect(batch.responses[chosen].group).toBe(batch.responses[rejected].group);
    }
    const groups = groupStats(batch);
    for (let g = 0; g < groups.length; g++) {
      const uses = batch.responses
        .map((y, i) => (y.group === g && y.reward === 1 ? pairs.filter((p) => p.chosen === i).length : NaN))
        .filter((n) => !Number.isNaN(n));
      // without replacement, cycling
      if (uses.length > 0) expect(Math.max(...uses) - Math.min(...uses)).toBeLessThanOrEqual(1);
    }
    expect(dpoPairs(batch.responses, 11)).toEqual(pairs);
    const seeds = [1, 2, 3, 4, 5].map((s) => JSON.stringify(dpoPairs(batch.responses, s)));
    expect(new Set(seeds).size).toBeGreaterThan(1);
  });

  it('TOPR: positives are plain REINFORCE, negatives are tapered by min(1, π/π_ref)', () => {
    const hyper = { ...DEFAULT_HYPER };
    const { coefficients } = topr(batch, hyper);
    const groups = groupStats(batch);
    const N = batch.responses.length;
    for (const y of batch.responses) {
      const R = y.reward - groups[y.group].mean;
      for (let t = y.offset; t < y.offset + y.length; t++) {
        const w = y.reward === 1 ? 1 : Math.min(1, Math.exp(batch.logprobs[t] - batch.refLogprobs[t]));
        expect(coefficients[t]).toBeCloseTo((w * R) / (N * y.length), 15);
      }
    }
  });
});

describe('objective registry and sign convention', () => {
  it('lists the six objectives with the paper defaults', () => {
    expect(Object.keys(OBJECTIVES).sort()).toEqual([...OBJECTIVE_NAMES].sort());
    expect(DEFAULT_HYPER).toMatchObject({ beta: 0.5, tau: 1e-3, epsilon: 0.2, betaKL: 0.04, betaDPO: 0.5 });
    expect(() => resolveHyper('bcpg-nsa', { beta: 1.5 })).toThrow(/β/);
    for (const spec of Object.values(OBJECTIVES)) expect(spec.choices.length).toBeGreaterThan(0);
  });

  it('c fed to the output layer (loss −Σ c ℓ) gives the gradient that ascends J', () => {
    // ℓ from logits through log-softmax; J(logits) = J(ℓ(logits)); the output twin's dlogits must be −∂J/∂logits.
    const random = new Random(21);
    const batch = randomObjectiveBatch(random, { groups: [3, 2], maxLength: 4 });
    const n = batch.logprobs.length;
    const V = 5;
    const logits = Float64Array.from({ length: n * V }, () => random.uniform(-2, 2));
    const targets = Array.from({ length: n }, () => Math.floor(random.next() * V));
    const hyper = hyperOf('bcpg-nsa', { tau: 0.05 });
    const logprobsOf = (z: Float64Array) => outputLogprobs(z, targets, new Float64Array(n), n, V).logprobs;
    const at = { ...batch, logprobs: logprobsOf(logits) };
    const c = coefficientsForLoss(bcpgNsa(at, hyper).coefficients);
    const { dlogits } = outputLogprobs(logits, targets, c, n, V);
    const fd = numericGradient(
      (z) => -bcpgNsa({ ...batch, logprobs: logprobsOf(z) }, hyper).objective,
      Float64Array.from(logits),
    );
    expect(maxAbsDiff(dlogits, fd)).toBeLessThan(1e-8);
  });
});
