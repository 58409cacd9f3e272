// TensorFlow.js's WebGPU backend on the same Dawn device: the peer we compare against.
import type { GpuContext } from '../src/gpu/context.ts';

type Tf = typeof import('@tensorflow/tfjs-core');
interface TfWebGpuBackend {
  endComputePassEncoder(): void;
  submitQueue(): void;
}

export interface TfPeer {
  tf: Tf;
  backend: TfWebGpuBackend;
  /** Submits TF.js's pending work and waits for the GPU. */
  sync(): Promise<void>;
}

export async function startTfPeer(context: GpuContext): Promise<TfPeer> {
  // The backend checks for navigator.gpu at import and construction; it uses only the device we give it.
  const g = globalThis as { navigator?: { gpu?: unknown } };
  if (g.navigator === undefined)
    Object.defineProperty(globalThis, 'navigator', { value: { gpu: {} }, configurable: true });
  else if (g.navigator.gpu === undefined) Object.defineProperty(g.navigator, 'gpu', { value: {}, configurable: true });
  const tf = await import('@tensorflow/tfjs-core');
  const { WebGPUBackend } = await import('@tensorflow/tfjs-backend-webgpu');
  const backend = new WebGPUBackend(context.device) as unknown as TfWebGpuBackend;
  // Its kernels are registered under the name 'webgpu': replace the factory that would open its own device.
  tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => backend as never);
  await tf.setBackend('webgpu');
  await tf.ready();
  return {
    tf,
    backend,
    async sync() {
      backend.endComputePassEncoder();
      backend.submitQueue();
      await context.device.queue.onSubmittedWorkDone();
    },
  };
}
