// Acquiring a WebGPU device in Node (Dawn), Deno and the browser, and saying
// what we got. Only this folder knows where `navigator.gpu` comes from.
import { detectRuntime, readEnv, type RuntimeName } from './runtime.ts';

/** A family of adapters whose kernels want the same tuning. */
export type AdapterKind = 'gpu' | 'llvmpipe' | 'lavapipe' | 'swiftshader' | 'unknown-software';

export interface AdapterReport {
  runtime: RuntimeName;
  backend: string;
  adapter: string;
  kind: AdapterKind;
  fallback: boolean;
  vendor: string;
  architecture: string;
  features: string[];
  limits: Record<string, number>;
  /** Adapters that were tried before this one, with the reason they were not used. */
  skipped: string[];
  /** In a browser: its name and major version ("Chrome 131"), from the user agent. */
  browser?: string;
}

export interface AcquireOptions {
  /**
   * Force an adapter: 'gpu' | 'llvmpipe' | 'swiftshader' (Node).
   * Default: env GEMSTONE_ADAPTER, else the fastest found.
   */
  adapter?: string;
  /** Node only: drop bounds checks (Dawn's disable_robustness). Kernels must never read out of bounds. */
  unsafeFast?: boolean;
  /** Called once if the device is lost after acquisition. */
  onLost?: (reason: string) => void;
}

export interface AcquiredDevice {
  device: GPUDevice;
  adapter: GPUAdapter;
  report: AdapterReport;
}

const REPORTED_LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
  'maxComputeWorkgroupStorageSize',
  'minStorageBufferOffsetAlignment',
  'minUniformBufferOffsetAlignment',
] as const;

const WANTED_FEATURES: GPUFeatureName[] = ['timestamp-query', 'shader-f16', 'subgroups' as GPUFeatureName];

export const NO_ADAPTER_HELP =
  'No WebGPU adapter found: install a GPU driver, or a software one ' +
  '(Debian: `apt-get install chromium` for SwiftShader, ' +
  '`mesa-vulkan-drivers` and `libegl-mesa0` for llvmpipe/lavapipe).';

export class NoAdapterError extends Error {
  constructor(detail: string[]) {
    super(detail.length > 0 ? `${NO_ADAPTER_HELP} Tried: ${detail.join('; ')}.` : NO_ADAPTER_HELP);
    this.name = 'NoAdapterError';
  }
}

export function classifyAdapter(info: GPUAdapterInfo | undefined, backend: string): AdapterKind {
  const text =
    `${info?.vendor ?? ''} ${info?.architecture ?? ''} ${info?.device ?? ''} ${info?.description ?? ''}`.toLowerCase();
  if (text.includes('swiftshader')) return 'swiftshader';
  if (text.includes('lavapipe') || (text.includes('llvmpipe') && backend !== 'opengles')) return 'lavapipe';
  if (text.includes('llvmpipe')) return 'llvmpipe';
  if ((info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter) return 'unknown-software';
  return 'gpu';
}

/**
 * A name a person can read. Dawn fills `device` and `description`; browsers leave them empty (to
 * limit fingerprinting) but give `vendor` and `architecture` ("google", "swiftshader").
 */
export function adapterName(info: Partial<GPUAdapterInfo> | undefined): string {
  // Some backends put a PCI id ("0") in `device`; keep only names a person can read.
  const readable = (s: string | undefined): s is string => !!s && /[a-z]/i.test(s);
  const parts = [info?.device, info?.description].filter(readable);
  if (parts.length > 0) return [...new Set(parts)].join(' / ');
  const coarse = [info?.vendor, info?.architecture].filter(readable);
  return coarse.length > 0 ? [...new Set(coarse)].join(' ') : 'unnamed adapter';
}

interface UserAgentSource {
  userAgent?: string;
  userAgentData?: { brands?: { brand: string; version: string }[] };
}

/** The browser's name and major version: navigator.userAgentData's brand (Chromium's), else the user agent. */
export function browserName(nav: UserAgentSource | undefined = globalThis.navigator as UserAgentSource): string {
  // Brands hold a deliberately odd "Not A;Brand" entry, and "Chromium" beside the product built on it.
  const brands = (nav?.userAgentData?.brands ?? []).filter((b) => !/not.?a.?brand/i.test(b.brand));
  const brand = brands.find((b) => b.brand !== 'Chromium') ?? brands[0];
  if (brand) return `${brand.brand} ${brand.version}`;
  const ua = nav?.userAgent ?? '';
  const rules: [RegExp, string][] = [
    [/Edg\/(\d+)/, 'Edge'],
    [/Firefox\/(\d+)/, 'Firefox'],
    [/HeadlessChrome\/(\d+)/, 'HeadlessChrome'],
    [/Chrome\/(\d+)/, 'Chrome'],
    [/Version\/(\d+)[.\d]* (Mobile\/\S+ )?Safari/, 'Safari'],
  ];
  for (const [pattern, name] of rules) {
    const m = pattern.exec(ua);
    if (m) return `${name} ${m[1]}`;
  }
  return 'a browser';
}

async function findAdapter(
  options: AcquireOptions,
  runtime: RuntimeName,
): Promise<{ adapter: GPUAdapter; backend: string; compatibility: boolean; skipped: string[] }> {
  const forced = options.adapter ?? readEnv('GEMSTONE_ADAPTER');
  if (runtime === 'node') {
    // A variable path keeps bundlers from pulling Dawn into a browser build.
    const modulePath = './node-adapters.ts';
    const node = (await import(/* @vite-ignore */ modulePath)) as typeof import('./node-adapters.ts');
    let order = node.NODE_ADAPTER_ORDER;
    if (forced !== undefined && forced !== '') {
      if (!order.includes(forced as never)) {
        throw new Error(`GEMSTONE_ADAPTER="${forced}" is not one of: ${order.join(', ')}.`);
      }
      order = [forced as (typeof order)[number]];
    }
    const { found, tried } = await node.findNodeAdapter(order, options.unsafeFast ?? false);
    if (found === null) throw new NoAdapterError(tried);
    return { adapter: found.adapter, backend: found.backend, compatibility: found.compatibility, skipped: tried };
  }
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (gpu === undefined) {
    throw new NoAdapterError([
      runtime === 'deno'
        ? 'Deno has no navigator.gpu (run with a Deno built with WebGPU, and -A)'
        : 'this browser has no navigator.gpu (use a WebGPU browser, or start Chromium with --enable-unsafe-webgpu)',
    ]);
  }
  const powerPreference: GPUPowerPreference = forced === 'low-power' ? 'low-power' : 'high-performance';
  let adapter = await gpu.requestAdapter({ powerPreference });
  let compatibility = false;
  if (adapter === null) {
    adapter = await gpu.requestAdapter({ featureLevel: 'compatibility' } as GPURequestAdapterOptions);
    compatibility = true;
  }
  if (adapter === null) throw new NoAdapterError([`${runtime}: navigator.gpu.requestAdapter() returned null`]);
  return { adapter, backend: runtime === 'deno' ? 'wgpu' : 'browser', compatibility, skipped: [] };
}

/** Finds an adapter and opens a device with the adapter's own limits (compat mode defaults are too small). */
export async function acquireDevice(options: AcquireOptions = {}): Promise<AcquiredDevice> {
  const runtime = detectRuntime();
  const { adapter, backend, skipped } = await findAdapter(options, runtime);

  const requiredLimits: Record<string, number> = {};
  for (const name of REPORTED_LIMITS) {
    const value = (adapter.limits as unknown as Record<string, number>)[name];
    if (typeof value === 'number') requiredLimits[name] = value;
  }
  const requiredFeatures = WANTED_FEATURES.filter((f) => adapter.features.has(f));
  const device = await adapter.requestDevice({ label: 'gemstone', requiredLimits, requiredFeatures });

  const info = adapter.info;
  const report: AdapterReport = {
    runtime,
    backend,
    adapter: adapterName(info),
    kind: classifyAdapter(info, backend),
    fallback: false,
    vendor: info?.vendor ?? '',
    architecture: info?.architecture ?? '',
    features: [...device.features].sort(),
    limits: {},
    skipped,
    ...(runtime === 'browser' ? { browser: browserName() } : {}),
  };
  report.fallback = report.kind !== 'gpu' || (info as { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
  for (const name of REPORTED_LIMITS) {
    const value = (device.limits as unknown as Record<string, number>)[name];
    if (typeof value === 'number') report.limits[name] = value;
  }

  void device.lost.then((lost) => {
    if (lost.reason !== 'destroyed') options.onLost?.(`GPU device lost (${lost.reason}): ${lost.message}`);
  });
  return { device, adapter, report };
}

/** One line a person can read: "node · opengles · llvmpipe (LLVM 15.0.6, 256 bits) · software". */
export function describeReport(report: AdapterReport): string {
  const kind = report.fallback ? 'software' : 'hardware';
  // A browser does not say which backend it runs WebGPU on: its name stands for runtime and backend.
  if (report.runtime === 'browser') return `${report.browser ?? browserName()} · ${report.adapter} · ${kind}`;
  return `${report.runtime} · ${report.backend} · ${report.adapter} · ${kind}`;
}
