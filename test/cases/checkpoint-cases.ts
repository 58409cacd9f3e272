// Checkpoint bytes round trip, run alike in Node, Deno and Chromium. Where the runtime has
// navigator.storage (the browser) the bytes also go through saveToBrowser/loadFromBrowser;
// elsewhere the case is a plain encode/decode round trip, and its name says so.
import { loadFromBrowser, removeFromBrowser, saveToBrowser } from '../../src/checkpoint/browser-storage.ts';
import { decodeCheckpoint, encodeCheckpoint, type CheckpointState } from '../../src/checkpoint/checkpoint.ts';
import { elementCount, parameterSpecs, PRESETS } from '../../src/model/config.ts';
import { Random } from '../../src/util/random.ts';
import type { KernelCase } from './kernel-cases.ts';

const hasBrowserStorage = typeof navigator !== 'undefined' && navigator.storage !== undefined;

function tinyState(): CheckpointState {
  const config = { ...PRESETS.tiny };
  const random = new Random(11);
  const fill = () =>
    Object.fromEntries(parameterSpecs(config).map((spec) => [spec.name, random.floats(elementCount(spec.shape))]));
  return {
    config,
    step: 17,
    rng: { state: 123456789 },
    dataPosition: { offset: 4096 },
    optimizer: { hyper: { learningRate: 1e-3, beta1: 0.9, beta2: 0.999 }, m: fill(), v: fill() },
    parameters: fill(),
  };
}

function sameFloats(label: string, a: Float32Array, b: Float32Array): void {
  if (a.length !== b.length) throw new Error(`${label}: length ${a.length} ≠ ${b.length}`);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) throw new Error(`${label}[${i}]: ${a[i]} ≠ ${b[i]}`);
}

export const checkpointCases: KernelCase[] = [
  {
    name: hasBrowserStorage
      ? 'checkpoint round trip through browser storage (saveToBrowser/loadFromBrowser)'
      : 'checkpoint encode/decode round trip (no navigator.storage in this runtime)',
    async run() {
      const state = tinyState();
      const bytes = encodeCheckpoint(state);
      let back = bytes;
      if (hasBrowserStorage) {
        const name = `gemstone-test-${Date.now()}.safetensors`;
        await saveToBrowser(name, bytes);
        try {
          const loaded = await loadFromBrowser(name);
          if (loaded === undefined)
            throw new Error(`loadFromBrowser("${name}") found nothing right after saveToBrowser`);
          back = loaded;
        } finally {
          await removeFromBrowser(name);
        }
        if ((await loadFromBrowser(name)) !== undefined)
          throw new Error(`removeFromBrowser("${name}") left the file behind`);
      }
      const restored = decodeCheckpoint(back, 'checkpoint-case');
      if (restored.step !== state.step || JSON.stringify(restored.config) !== JSON.stringify(state.config))
        throw new Error('step or config changed in the round trip');
      if (
        JSON.stringify([restored.rng, restored.dataPosition, restored.optimizer?.hyper]) !==
        JSON.stringify([state.rng, state.dataPosition, state.optimizer?.hyper])
      ) {
        throw new Error('rng, data position or optimizer hyper-parameters changed in the round trip');
      }
      for (const name of Object.keys(state.parameters)) {
        sameFloats(name, restored.parameters[name], state.parameters[name]);
        sameFloats(`optimizer.m.${name}`, restored.optimizer!.m[name], state.optimizer!.m[name]);
        sameFloats(`optimizer.v.${name}`, restored.optimizer!.v[name], state.optimizer!.v[name]);
      }
    },
  },
];
