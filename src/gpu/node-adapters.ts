// Node only: finds a WebGPU adapter through Dawn (`webgpu` npm package).
// Order: a real GPU, then the software routes fastest first (measured here:
// llvmpipe through OpenGL ES ran a tiled matmul 4–5× faster than SwiftShader).
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create, globals } from 'webgpu';

export type NodeAdapterChoice = 'gpu' | 'llvmpipe' | 'swiftshader';
export const NODE_ADAPTER_ORDER: NodeAdapterChoice[] = ['gpu', 'llvmpipe', 'swiftshader'];

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

export interface FoundAdapter {
  adapter: GPUAdapter;
  backend: string;
  choice: NodeAdapterChoice;
  /** Extra requestAdapter/requestDevice behaviour the backend needs. */
  compatibility: boolean;
}

let globalsInstalled = false;
function installGlobals(): void {
  if (globalsInstalled) return;
  // GPUBufferUsage, GPUShaderStage, … as in a browser.
  Object.assign(globalThis, globals);
  globalsInstalled = true;
}

// Dawn's instance must outlive every device made from it: if the object that
// create() returns is garbage-collected, later async work crashes the process.
const liveInstances: GPU[] = [];
function createInstance(flags: string[]): GPU {
  const gpu = create(flags);
  liveInstances.push(gpu);
  return gpu;
}

function dawnFlags(backend: string, unsafeFast: boolean): string[] {
  const flags = [`backend=${backend}`];
  if (unsafeFast) flags.push('enable-dawn-features=allow_unsafe_apis,disable_robustness');
  return flags;
}

function isSoftware(info: GPUAdapterInfo | undefined): boolean {
  const text =
    `${info?.vendor ?? ''} ${info?.architecture ?? ''} ${info?.device ?? ''} ${info?.description ?? ''}`.toLowerCase();
  return (
    /llvmpipe|lavapipe|swiftshader|software|softpipe/.test(text) ||
    (info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter === true
  );
}

async function tryGpu(unsafeFast: boolean): Promise<FoundAdapter | null> {
  // A real GPU: Dawn's default backend, high-performance. Refuse software adapters here.
  const gpu = createInstance(dawnFlags('vulkan', unsafeFast));
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (adapter === null || isSoftware(adapter.info)) return null;
  return { adapter, backend: 'vulkan', choice: 'gpu', compatibility: false };
}

async function tryLlvmpipe(unsafeFast: boolean): Promise<FoundAdapter | null> {
  process.env.EGL_PLATFORM ??= 'surfaceless';
  const gpu = createInstance(dawnFlags('opengles', unsafeFast));
  const adapter = await gpu.requestAdapter({ featureLevel: 'compatibility' } as GPURequestAdapterOptions);
  if (adapter === null) return null;
  return { adapter, backend: 'opengles', choice: 'llvmpipe', compatibility: true };
}

async function trySwiftShader(unsafeFast: boolean): Promise<FoundAdapter | null> {
  if (!existsSync(SWIFTSHADER_ICD)) return null;
  // The Vulkan loader reads this when Dawn creates its instance.
  const saved = process.env.VK_ICD_FILENAMES;
  process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  try {
    const gpu = createInstance(dawnFlags('vulkan', unsafeFast));
    const adapter = await gpu.requestAdapter();
    if (adapter === null) return null;
    return { adapter, backend: 'vulkan', choice: 'swiftshader', compatibility: false };
  } finally {
    if (saved === undefined) delete process.env.VK_ICD_FILENAMES;
    else process.env.VK_ICD_FILENAMES = saved;
  }
}

const TRIES: Record<NodeAdapterChoice, (unsafeFast: boolean) => Promise<FoundAdapter | null>> = {
  gpu: tryGpu,
  llvmpipe: tryLlvmpipe,
  swiftshader: trySwiftShader,
};

/** Tries the adapters in order; returns the first found and why the others were not. */
export async function findNodeAdapter(
  order: NodeAdapterChoice[],
  unsafeFast: boolean,
): Promise<{ found: FoundAdapter | null; tried: string[] }> {
  installGlobals();
  if (process.env.XDG_RUNTIME_DIR === undefined) {
    // EGL and the Vulkan loader print errors without a runtime dir; any writable folder will do.
    const dir = join(tmpdir(), 'gemstone-xdg');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    process.env.XDG_RUNTIME_DIR = dir;
  }
  const tried: string[] = [];
  for (const choice of order) {
    try {
      const found = await TRIES[choice](unsafeFast);
      if (found !== null) return { found, tried };
      tried.push(`${choice}: no adapter`);
    } catch (error) {
      tried.push(`${choice}: ${(error as Error).message}`);
    }
  }
  return { found: null, tried };
}
