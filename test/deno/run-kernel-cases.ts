// Runs the shared kernel cases in Deno on its built-in navigator.gpu.
// Usage: deno run -A test/deno/run-kernel-cases.ts   (exit 1 on any failure)
import { GpuContext } from '../../src/gpu/context.ts';
import { describeReport } from '../../src/gpu/device.ts';
import { runAllCases } from '../cases/index.ts';

// Mesa's Vulkan loader complains without a runtime dir; any writable folder will do.
if (!Deno.env.get('XDG_RUNTIME_DIR')) Deno.env.set('XDG_RUNTIME_DIR', Deno.makeTempDirSync());

let context: GpuContext;
try {
  context = await GpuContext.create({ tuning: 'defaults' }); // never this machine's tuning cache
} catch (error) {
  console.error(`deno: the GPU could not start: ${(error as Error).message}`);
  Deno.exit(1);
}
console.log(`deno: ${describeReport(context.report)}`);
const results = await runAllCases(context, (line) => console.log(`deno: ${line}`));
context.destroy();
const failed = results.filter((r) => !r.ok).length;
console.log(`deno: ${results.length - failed} passed, ${failed} failed`);
Deno.exit(failed === 0 && results.length > 0 ? 0 : 1);
