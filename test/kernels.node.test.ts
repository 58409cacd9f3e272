// The shared kernel cases on each software adapter Dawn offers in Node.
// An adapter that cannot start fails its suite with the reason; it is never skipped.
import { afterAll, beforeAll, describe, it } from 'vitest';
import { GpuContext } from '../src/gpu/context.ts';
import { allCases } from './cases/index.ts';

const ADAPTERS = (process.env.GEMSTONE_TEST_ADAPTERS ?? 'llvmpipe,swiftshader').split(',').filter(Boolean);

for (const adapter of ADAPTERS) {
  describe(`kernels on ${adapter} (Node, Dawn)`, () => {
    let context: GpuContext | undefined;
    let startError: unknown;
    beforeAll(async () => {
      try {
        context = await GpuContext.create({ adapter });
      } catch (error) {
        startError = error;
      }
    });
    afterAll(() => context?.destroy());

    it('starts the adapter', () => {
      if (startError !== undefined) throw new Error(`${adapter} could not start: ${(startError as Error).message}`);
    });
    for (const kernelCase of allCases) {
      it(kernelCase.name, async () => {
        if (context === undefined) throw new Error(`${adapter} could not start: ${(startError as Error)?.message}`);
        await kernelCase.run(context);
      });
    }
  });
}
