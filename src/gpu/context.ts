// The kernel harness: one device, a pipeline cache keyed by shader + constants,
// labelled buffers with bytes in use counted, a uniform ring so many dispatches
// go in one submission, upload and read-back, and GPU errors surfaced as
// exceptions at the next sync point instead of hangs.
import type { TuningMode } from '../kernels/autotune.ts';
import type { KernelTuning, MatmulTuning } from '../kernels/tuning.ts';
import { acquireDevice, type AcquireOptions, type AdapterReport } from './device.ts';
import { readEnv, type RuntimeName } from './runtime.ts';
import {
  definesKey,
  entryPointIdentifiers,
  parseBindings,
  shaderFile,
  shaderSource,
  ShaderCompileError,
  type BindingInfo,
  type Defines,
} from './shaders.ts';

/** A range of one GPU buffer, in bytes. Every tensor the kernels see is one of these. */
export interface BufferView {
  buffer: GPUBuffer;
  offset: number;
  size: number;
}

export interface KernelSpec {
  shader: string;
  entryPoint?: string;
  /** Module-level `const` values substituted in the source (block shapes). */
  defines?: Defines;
  /** Pipeline-overridable constants (`override` declarations). */
  constants?: Record<string, number>;
  /** Read-only bindings declared read_write, for inputs that share a buffer with an output (set by run()). */
  promote?: readonly string[];
}

export interface Dispatch {
  kernel: KernelSpec;
  /** Storage buffers by the names the WGSL declares them with. */
  buffers: Record<string, BufferView>;
  /** The bytes of the module's one `var<uniform>`, if it has one. */
  uniform?: Uint32Array | Float32Array | ArrayBuffer;
  workgroups: [number, number?, number?];
}

const UNIFORM_SLOT = 256; // ≥ minUniformBufferOffsetAlignment on every adapter
const UNIFORM_SLOTS = 1024;
// Uploads made while commands are recorded are staged here and copied in order (upload()); larger ones flush.
const UPLOAD_RING_MIN = 1 << 20;
const UPLOAD_RING_MAX = 16 << 20;
const COPY_ALIGNMENT = 4;
const MAX_BIND_GROUPS = 4096;
export class GpuContext {
  readonly device: GPUDevice;
  readonly report: AdapterReport;
  private readonly pipelines = new Map<string, CompiledKernel>();
  private readonly modules = new Map<
    string,
    {
      module: GPUShaderModule;
      layout: GPUPipelineLayout;
      bindings: BindingInfo[];
      bindGroupLayout: GPUBindGroupLayout;
      code: string;
    }
  >();
  private readonly usedBindings = new Map<string, Set<string>>();
  private spares: { read: GPUBuffer; write: GPUBuffer } | null = null;
  private readonly live = new Map<GPUBuffer, number>();
  private bytes = 0;
  private failure: Error | null = null;
  private lostReason: string | null = null;
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private readonly uniformRing: GPUBuffer;
  private readonly uniformStaging = new Uint8Array(UNIFORM_SLOT * UNIFORM_SLOTS);
  private uniformUsed = 0;
  private uploadRing: GPUBuffer | null = null;
  private uploadUsed = 0;
  /** Rings outgrown while commands that copy out of them were recorded: destroyed once those are submitted. */
  private retiredRings: GPUBuffer[] = [];
  private submitCount = 0;
  private dispatchCount = 0;
  private readonly bindGroups = new Map<string, { group: GPUBindGroup; buffers: Set<GPUBuffer> }>();
  private readonly bufferIds = new WeakMap<GPUBuffer, number>();
  private nextBufferId = 1;
  private bindGroupCount = 0;
  /** Block shapes measured on this device (null: the defaults in src/kernels/tuning.ts). */
  matmulTuning: MatmulTuning | null = null;
  /** Attention tiles and row-kernel workgroup sizes measured on this device (null: the defaults). */
  kernelTuning: KernelTuning | null = null;
  /** Where matmulTuning and kernelTuning came from, for reports. */
  tuning: { source: 'defaults' | 'cache' | 'search'; where: string } = {
    source: 'defaults',
    where: 'src/kernels/tuning.ts',
  };
  /**
   * A binding limit below the adapter's, in bytes (null: the adapter's maxStorageBufferBindingSize). The
   * dispatchers split larger ranges into pieces of at most bindingLimit bytes; tests force a small one.
   */
  maxBindingBytes: number | null = null;
  /** The most bytes a read stages at once; larger reads go through one staging buffer in pieces. Tests force a
   * small one. */
  maxReadBytes = 64 * 2 ** 20;

  private constructor(device: GPUDevice, report: AdapterReport) {
    this.device = device;
    this.report = report;
    device.addEventListener('uncapturederror', (event) => {
      const error = (event as GPUUncapturedErrorEvent).error;
      this.failure ??= new Error(`GPU error: ${error.message}`);
    });
    this.uniformRing = device.createBuffer({
      label: 'gemstone.uniform-ring',
      size: this.uniformStaging.byteLength,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
  }

  /**
   * A device and its context. Tuning (default: env GEMSTONE_TUNING, else 'auto' in Node and Deno and
   * 'defaults' in a browser): 'auto' uses the block shapes measured on this adapter before, measuring
   * them first (a few seconds) when there are none; 'defaults' uses src/kernels/tuning.ts.
   */
  /**
   * Told when a context is about to measure block shapes (first use of an adapter: about a minute on a
   * software adapter), so a face can say why nothing else happens meanwhile. The CLI sets it.
   */
  static onTuningSearch: ((where: string) => void) | null = null;

  static async create(
    options: AcquireOptions & { tuning?: TuningMode; maxBindingBytes?: number } = {},
  ): Promise<GpuContext> {
    let context: GpuContext | null = null;
    const acquired = await acquireDevice({
      ...options,
      onLost: (reason) => {
        if (context !== null) context.lostReason = reason;
        options.onLost?.(reason);
      },
    });
    context = new GpuContext(acquired.device, acquired.report);
    if (options.maxBindingBytes !== undefined) context.maxBindingBytes = options.maxBindingBytes;
    const mode = options.tuning ?? tuningModeFromEnv(acquired.report.runtime);
    if (mode !== 'defaults') {
      // Loaded lazily: most of the kernel code is not needed to make a device.
      const modulePath = '../kernels/autotune.ts';
      const { applyTuning } = (await import(/* @vite-ignore */ modulePath)) as typeof import('../kernels/autotune.ts');
      const outcome = await applyTuning(context, mode, { onStart: GpuContext.onTuningSearch ?? undefined });
      context.tuning = { source: outcome.source, where: outcome.where };
    }
    return context;
  }

  /** The most bytes one storage binding may span: the adapter's limit, or maxBindingBytes when smaller. */
  get bindingLimit(): number {
    const device = this.device.limits.maxStorageBufferBindingSize;
    return this.maxBindingBytes === null ? device : Math.min(device, this.maxBindingBytes);
  }

  /** Bytes held in buffers made through this context. */
  get bytesInUse(): number {
    return this.bytes;
  }

  get dispatches(): number {
    return this.dispatchCount;
  }

  /** Bind groups made so far (dispatches over the same buffers reuse one). */
  get bindGroupsMade(): number {
    return this.bindGroupCount;
  }

  // ---- buffers -------------------------------------------------------------

  createBuffer(
    label: string,
    size: number,
    usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  ): GPUBuffer {
    const padded = Math.max(16, Math.ceil(size / 16) * 16);
    const maxSize = this.device.limits.maxBufferSize;
    if (padded > maxSize) throw new Error(`Buffer "${label}" needs ${padded} bytes; this adapter allows ${maxSize}.`);
    const buffer = this.device.createBuffer({ label, size: padded, usage });
    this.live.set(buffer, padded);
    this.bytes += padded;
    return buffer;
  }

  destroyBuffer(buffer: GPUBuffer): void {
    const size = this.live.get(buffer);
    if (size === undefined) return;
    this.live.delete(buffer);
    this.bytes -= size;
    this.forgetBindGroups(buffer);
    buffer.destroy();
  }

  /** A new storage buffer holding `data`, as a view over all of it. */
  tensor(label: string, data: Float32Array | Uint32Array | Int32Array | number): BufferView {
    const size = typeof data === 'number' ? data * 4 : data.byteLength;
    const buffer = this.createBuffer(label, size);
    const view = { buffer, offset: 0, size };
    // A new buffer no recorded command uses: written at once, nothing to keep in order.
    if (typeof data !== 'number') this.writeNow(view, data);
    return view;
  }

  /**
   * Writes data into a view, after everything recorded so far. A queue write runs before commands still being
   * recorded, so while some are, the bytes go to a staging ring at once and a copy into the view is recorded
   * in order with the dispatches: no extra submit. Ring space is reused only after the submit that copies it.
   */
  upload(view: BufferView, data: ArrayBufferView): void {
    if (data.byteLength > view.size)
      throw new Error(`upload of ${data.byteLength} bytes into a view of ${view.size} (${view.buffer.label}).`);
    if (this.encoder === null || data.byteLength === 0) {
      this.writeNow(view, data);
      return;
    }
    const bytes = data.byteLength;
    if (bytes % COPY_ALIGNMENT !== 0 || view.offset % COPY_ALIGNMENT !== 0 || bytes > UPLOAD_RING_MAX) {
      this.flush();
      this.writeNow(view, data);
      return;
    }
    const ring = this.uploadSpace(bytes);
    if (this.encoder === null) {
      this.writeNow(view, data); // uploadSpace flushed: nothing is recorded now
      return;
    }
    const at = this.uploadUsed;
    this.uploadUsed += bytes;
    this.device.queue.writeBuffer(ring, at, data.buffer, data.byteOffset, data.byteLength);
    this.endPass();
    this.encoder.copyBufferToBuffer(ring, at, view.buffer, view.offset, bytes);
  }

  /** Submits made so far (flushes and reads): uploads between recorded dispatches add none. */
  get submits(): number {
    return this.submitCount;
  }

  private writeNow(view: BufferView, data: ArrayBufferView): void {
    this.device.queue.writeBuffer(view.buffer, view.offset, data.buffer, data.byteOffset, data.byteLength);
  }

  /**
   * The staging ring with `bytes` free after uploadUsed. A full ring is replaced by one twice as large (the old
   * one kept until the copies out of it are submitted); a full ring of the largest size is emptied by a flush.
   */
  private uploadSpace(bytes: number): GPUBuffer {
    const size = this.uploadRing?.size ?? 0;
    if (this.uploadRing !== null && this.uploadUsed + bytes <= size) return this.uploadRing;
    if (this.uploadRing !== null && size >= UPLOAD_RING_MAX) {
      this.flush(); // its copies are submitted: the ring's bytes may be written again
      return this.uploadRing;
    }
    if (this.uploadRing !== null) this.retiredRings.push(this.uploadRing);
    let grown = Math.max(UPLOAD_RING_MIN, 2 * size);
    while (grown < bytes) grown *= 2;
    this.uploadRing = this.device.createBuffer({
      label: 'gemstone.upload-ring',
      size: Math.min(grown, UPLOAD_RING_MAX),
      usage: GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    this.uploadUsed = 0;
    return this.uploadRing;
  }

  /** Copies a view back to the CPU. Flushes pending work; throws the first GPU error, if any. */
  async read(view: BufferView): Promise<Float32Array> {
    return new Float32Array(await this.readBytes(view));
  }

  async readU32(view: BufferView): Promise<Uint32Array> {
    return new Uint32Array(await this.readBytes(view));
  }

  async readBytes(view: BufferView): Promise<ArrayBuffer> {
    const out = new Uint8Array(view.size);
    if (view.size === 0) return out.buffer;
    // One staging buffer, reused piece by piece: reading GPT-2 124M's 500 MB arena maps 64 MiB at a time.
    const piece = Math.max(4, Math.floor(this.maxReadBytes / 4) * 4);
    const staging = this.device.createBuffer({
      label: `read:${view.buffer.label}`,
      size: Math.min(piece, Math.ceil(view.size / 4) * 4),
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    this.flush();
    try {
      for (let done = 0; done < view.size; done += piece) {
        const bytes = Math.min(piece, view.size - done);
        const size = Math.ceil(bytes / 4) * 4;
        const encoder = this.device.createCommandEncoder({ label: 'gemstone.read' });
        encoder.copyBufferToBuffer(view.buffer, view.offset + done, staging, 0, size);
        this.device.queue.submit([encoder.finish()]);
        this.submitCount += 1;
        await this.guard(staging.mapAsync(GPUMapMode.READ, 0, size));
        out.set(new Uint8Array(staging.getMappedRange(0, size), 0, bytes), done);
        staging.unmap();
      }
      return out.buffer;
    } finally {
      staging.destroy();
    }
  }

  // ---- pipelines -----------------------------------------------------------

  /** The WGSL text a kernel runs with, for printing on demand. */
  source(kernel: KernelSpec): string {
    return shaderSource(kernel.shader, kernel.defines);
  }

  async pipeline(kernel: KernelSpec): Promise<CompiledKernel> {
    const key = pipelineKey(kernel);
    const cached = this.pipelines.get(key);
    if (cached !== undefined) return cached;
    const file = shaderFile(kernel.shader);
    const moduleKey = `${kernel.shader}|${definesKey(kernel.defines)}|${kernel.promote?.join(',') ?? ''}`;
    let compiled = this.modules.get(moduleKey);
    if (compiled === undefined) {
      const code = shaderSource(kernel.shader, kernel.defines, kernel.promote);
      this.device.pushErrorScope('validation'); // reported below with file and line, not as an uncaptured error
      const module = this.device.createShaderModule({ label: file, code });
      const info = await module.getCompilationInfo();
      await this.device.popErrorScope();
      const errors = info.messages.filter((m) => m.type === 'error');
      if (errors.length > 0) throw new ShaderCompileError(kernel.shader, errors);
      // An explicit layout read from the source: entry points that skip a binding still share it.
      const bindings = parseBindings(code);
      const bindGroupLayout = this.device.createBindGroupLayout({
        label: `${file}:bindings`,
        entries: bindings.map((b) => ({
          binding: b.binding,
          visibility: GPUShaderStage.COMPUTE,
          // The uniform's slot in the ring is a dynamic offset, so one bind group serves every dispatch
          // with the same buffers.
          buffer: { type: b.kind, hasDynamicOffset: b.kind === 'uniform' },
        })),
      });
      const layout = this.device.createPipelineLayout({ label: `${file}:layout`, bindGroupLayouts: [bindGroupLayout] });
      compiled = { module, layout, bindings, bindGroupLayout, code };
      this.modules.set(moduleKey, compiled);
    }
    let pipeline: GPUComputePipeline;
    this.device.pushErrorScope('validation');
    try {
      pipeline = await this.device.createComputePipelineAsync({
        label: key,
        layout: compiled.layout,
        compute: { module: compiled.module, entryPoint: kernel.entryPoint, constants: kernel.constants },
      });
    } catch (error) {
      await this.device.popErrorScope();
      throw new Error(`${file}: pipeline "${key}" failed: ${(error as Error).message}`);
    }
    const scoped = await this.device.popErrorScope();
    if (scoped !== null) throw new Error(`${file}: pipeline "${key}" failed: ${scoped.message}`);
    const usedKey = `${moduleKey}|${kernel.entryPoint ?? ''}`;
    let used = this.usedBindings.get(usedKey);
    if (used === undefined) {
      const identifiers = entryPointIdentifiers(compiled.code, kernel.entryPoint);
      used = new Set(compiled.bindings.filter((b) => identifiers.has(b.name)).map((b) => b.name));
      this.usedBindings.set(usedKey, used);
    }
    const result: CompiledKernel = {
      key,
      pipeline,
      bindings: compiled.bindings,
      bindGroupLayout: compiled.bindGroupLayout,
      used,
    };
    this.pipelines.set(key, result);
    return result;
  }

  // ---- dispatch ------------------------------------------------------------

  /** Records one dispatch into the open compute pass. Nothing runs until flush(), sync() or a read. */
  async run(dispatch: Dispatch): Promise<void> {
    let kernel = await this.pipeline(dispatch.kernel);
    const promote = inputsSharingWrittenBuffers(kernel, dispatch.buffers);
    if (promote.length > 0) kernel = await this.pipeline({ ...dispatch.kernel, promote });
    this.throwIfFailed();
    const entries: GPUBindGroupEntry[] = [];
    const dynamicOffsets: number[] = [];
    let cacheKey = kernel.key;
    for (const binding of kernel.bindings) {
      if (binding.kind === 'uniform') {
        if (dispatch.uniform === undefined) throw new Error(`${kernel.key}: uniform "${binding.name}" was not given.`);
        if (this.uniformUsed === UNIFORM_SLOTS) this.flush();
        const u = dispatch.uniform;
        const bytes =
          u instanceof ArrayBuffer ? new Uint8Array(u) : new Uint8Array(u.buffer, u.byteOffset, u.byteLength);
        if (bytes.byteLength > UNIFORM_SLOT)
          throw new Error(`${kernel.key}: uniform of ${bytes.byteLength} bytes exceeds ${UNIFORM_SLOT}.`);
        const offset = this.uniformUsed * UNIFORM_SLOT;
        this.uniformStaging.fill(0, offset, offset + UNIFORM_SLOT);
        this.uniformStaging.set(bytes, offset);
        this.uniformUsed += 1;
        dynamicOffsets.push(offset);
        entries.push({
          binding: binding.binding,
          resource: { buffer: this.uniformRing, offset: 0, size: UNIFORM_SLOT },
        });
        continue;
      }
      if (!kernel.used.has(binding.name)) {
        // This entry point never touches the binding: bind a spare slot of its own.
        entries.push({
          binding: binding.binding,
          resource: this.spareSlot(binding.kind === 'storage', binding.binding),
        });
        continue;
      }
      const view = dispatch.buffers[binding.name];
      if (view === undefined) throw new Error(`${kernel.key}: buffer "${binding.name}" was not given.`);
      if (view.size > this.bindingLimit) {
        throw new Error(
          `${kernel.key}: "${binding.name}" binds ${sizeText(view.size)} of ${view.buffer.label}; ` +
            `this adapter binds at most ${sizeText(this.bindingLimit)} ` +
            '(use a smaller model or batch).',
        );
      }
      const size = Math.ceil(view.size / 4) * 4;
      entries.push({ binding: binding.binding, resource: { buffer: view.buffer, offset: view.offset, size } });
      cacheKey += `|${this.bufferId(view.buffer)}:${view.offset}:${size}`;
    }
    const bindGroup = this.cachedBindGroup(cacheKey, kernel, entries);
    const [x, y = 1, z = 1] = dispatch.workgroups;
    const maxPerDim = this.device.limits.maxComputeWorkgroupsPerDimension;
    if (x > maxPerDim || y > maxPerDim || z > maxPerDim) {
      throw new Error(`${kernel.key}: ${x}×${y}×${z} workgroups exceeds ${maxPerDim} per dimension.`);
    }
    const pass = this.openPass();
    pass.setPipeline(kernel.pipeline);
    pass.setBindGroup(0, bindGroup, dynamicOffsets);
    if (x > 0 && y > 0 && z > 0) pass.dispatchWorkgroups(x, y, z);
    this.dispatchCount += 1;
  }

  /** Records a copy (byte offsets and sizes multiples of 4) in order with the dispatches. */
  async copy(source: BufferView, target: BufferView, bytes = Math.min(source.size, target.size)): Promise<void> {
    if (bytes > source.size || bytes > target.size)
      throw new Error(
        `copy of ${bytes} bytes from ${source.buffer.label} (${source.size}) ` +
          `to ${target.buffer.label} (${target.size}).`,
      );
    if (source.buffer === target.buffer) {
      // copyBufferToBuffer refuses one buffer as both ends: copy with a kernel instead.
      const n = bytes / 4;
      const groups = Math.ceil(n / 64);
      const y = Math.ceil(groups / this.device.limits.maxComputeWorkgroupsPerDimension);
      await this.run({
        kernel: { shader: 'copy' },
        buffers: { x: source, out: target },
        uniform: new Uint32Array([n, 0, 0, 0]),
        workgroups: [Math.ceil(groups / y), y],
      });
      return;
    }
    this.endPass();
    this.encoder ??= this.device.createCommandEncoder({ label: 'gemstone.commands' });
    this.encoder.copyBufferToBuffer(source.buffer, source.offset, target.buffer, target.offset, bytes);
  }

  /** Submits everything recorded so far. */
  flush(): void {
    this.endPass();
    if (this.uniformUsed > 0) {
      this.device.queue.writeBuffer(this.uniformRing, 0, this.uniformStaging, 0, this.uniformUsed * UNIFORM_SLOT);
      this.uniformUsed = 0;
    }
    if (this.encoder !== null) {
      this.device.queue.submit([this.encoder.finish()]);
      this.submitCount += 1;
      this.encoder = null;
    }
    this.uploadUsed = 0;
    // Destroyed after the submit that copies out of them: the copies still run.
    for (const ring of this.retiredRings) ring.destroy();
    this.retiredRings = [];
  }

  /** Flushes and waits until the GPU has finished; throws the first GPU error, if any. */
  async sync(): Promise<void> {
    this.flush();
    await this.guard(this.device.queue.onSubmittedWorkDone());
  }

  destroy(): void {
    this.flush();
    for (const buffer of [...this.live.keys()]) this.destroyBuffer(buffer);
    this.uniformRing.destroy();
    this.uploadRing?.destroy();
    this.spares?.read.destroy();
    this.spares?.write.destroy();
    this.device.destroy();
  }

  /** A bind group per pipeline and set of buffer ranges, made once and reused (training and generation
   * repeat the same dispatches step after step). Entries go when one of their buffers is destroyed. */
  private cachedBindGroup(key: string, kernel: CompiledKernel, entries: GPUBindGroupEntry[]): GPUBindGroup {
    const cached = this.bindGroups.get(key);
    if (cached !== undefined) return cached.group;
    const group = this.device.createBindGroup({ label: kernel.key, layout: kernel.bindGroupLayout, entries });
    this.bindGroupCount += 1;
    const buffers = new Set<GPUBuffer>();
    for (const entry of entries) buffers.add((entry.resource as GPUBufferBinding).buffer);
    if (this.bindGroups.size >= MAX_BIND_GROUPS) this.bindGroups.clear(); // shapes keep changing: start over
    this.bindGroups.set(key, { group, buffers });
    return group;
  }

  private forgetBindGroups(buffer: GPUBuffer): void {
    for (const [key, entry] of this.bindGroups) if (entry.buffers.has(buffer)) this.bindGroups.delete(key);
  }

  private bufferId(buffer: GPUBuffer): number {
    let id = this.bufferIds.get(buffer);
    if (id === undefined) {
      id = this.nextBufferId++;
      this.bufferIds.set(buffer, id);
    }
    return id;
  }

  /** A 256-byte slot per binding index in one of two buffers (read-only and writable uses must not share a buffer). */
  private spareSlot(writable: boolean, binding: number): GPUBufferBinding {
    if (this.spares === null) {
      const make = (label: string) =>
        this.device.createBuffer({ label, size: 256 * 32, usage: GPUBufferUsage.STORAGE });
      this.spares = { read: make('gemstone.spare.read'), write: make('gemstone.spare.write') };
    }
    return { buffer: writable ? this.spares.write : this.spares.read, offset: (binding % 32) * 256, size: 256 };
  }

  private openPass(): GPUComputePassEncoder {
    if (this.pass !== null) return this.pass;
    this.encoder ??= this.device.createCommandEncoder({ label: 'gemstone.commands' });
    this.pass = this.encoder.beginComputePass({ label: 'gemstone.pass' });
    return this.pass;
  }

  private endPass(): void {
    if (this.pass === null) return;
    this.pass.end();
    this.pass = null;
  }

  private throwIfFailed(): void {
    if (this.lostReason !== null) throw new Error(this.lostReason);
    if (this.failure !== null) {
      const failure = this.failure;
      this.failure = null;
      throw failure;
    }
  }

  /** Awaits GPU work, but turns device loss and uncaptured errors into exceptions. */
  private async guard<T>(promise: Promise<T>): Promise<T> {
    const lost = this.device.lost.then((info) => {
      throw new Error(this.lostReason ?? `GPU device lost (${info.reason}): ${info.message}`);
    });
    const result = await Promise.race([promise, lost]);
    this.throwIfFailed();
    return result;
  }
}

export interface CompiledKernel {
  key: string;
  pipeline: GPUComputePipeline;
  bindings: BindingInfo[];
  bindGroupLayout: GPUBindGroupLayout;
  /** The bindings this entry point (or a function it calls) mentions. */
  used: Set<string>;
}

function sizeText(bytes: number): string {
  return bytes < 1024 * 1024 ? `${bytes} bytes` : `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

export function pipelineKey(kernel: KernelSpec): string {
  const constants = kernel.constants
    ? Object.keys(kernel.constants)
        .sort()
        .map((k) => `${k}=${kernel.constants![k]}`)
        .join(',')
    : '';
  return (
    `${kernel.shader}:${kernel.entryPoint ?? 'main'}[${definesKey(kernel.defines)}]{${constants}}` +
    `${kernel.promote?.length ? `:rw(${kernel.promote.join(',')})` : ''}`
  );
}

/** The read-only inputs in use whose buffer an output in use also binds (views of one arena). */
function inputsSharingWrittenBuffers(kernel: CompiledKernel, buffers: Record<string, BufferView>): string[] {
  const inUse = kernel.bindings.filter((b) => kernel.used.has(b.name) && buffers[b.name] !== undefined);
  const written = new Set(inUse.filter((b) => b.kind === 'storage').map((b) => buffers[b.name].buffer));
  return inUse.filter((b) => b.kind === 'read-only-storage' && written.has(buffers[b.name].buffer)).map((b) => b.name);
}

function tuningModeFromEnv(runtime: RuntimeName): TuningMode {
  const value = readEnv('GEMSTONE_TUNING');
  if (value === undefined || value === '') return runtime === 'browser' ? 'defaults' : 'auto';
  if (value === 'auto' || value === 'defaults' || value === 'search') return value;
  throw new Error(`GEMSTONE_TUNING="${value}" is not one of: auto, defaults, search.`);
}
