import { GpuContext } from '/work/main/src/gpu/context.ts';
import { attentionForward, attentionBackward } from '/work/main/src/kernels/attention.ts';
import { outputLogprobs } from '/work/main/src/kernels/output.ts';
import { Random } from '/work/main/src/util/random.ts';
for (const adapter of ['llvmpipe', 'swiftshader']) {
  const ctx = await GpuContext.create({ adapter });
  const [B, T, C, H] = [4, 128, 128, 4];
  const r = new Random(1);
  const qkv = ctx.tensor('qkv', r.floats(B * T * 3 * C));
  const out = ctx.tensor('out', B * T * C);
  const att = ctx.tensor('att', B * H * T * T);
  const dout = ctx.tensor('dout', r.floats(B * T * C));
  const dqkv = ctx.tensor('dqkv', B * T * 3 * C);
  const V = 64, rows = B * T;
  const logits = ctx.tensor('logits', r.floats(rows * V));
  const targets = ctx.tensor('t', new Uint32Array(rows));
  const coef = ctx.tensor('c', new Float32Array(rows).fill(1));
  const lp = ctx.tensor('lp', rows);
  const time = async (name: string, f: () => Promise<void>) => {
    await f(); await ctx.sync();
    const t0 = performance.now();
    for (let i = 0; i < 5; i++) await f();
    await ctx.sync();
    console.log(adapter, name, ((performance.now() - t0) / 5).toFixed(2), 'ms');
  };
  await time('forward', () => attentionForward(ctx, { qkv, out, att, B, T, C, H }));
  await time('backward', () => attentionBackward(ctx, { dout, qkv, att, dqkv, B, T, C, H }));
  await time('output', () => outputLogprobs(ctx, { logits, targets, coefficients: coef, logprobs: lp, rows, V }));
  ctx.destroy();
}
