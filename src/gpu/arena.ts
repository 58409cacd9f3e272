// One GPU buffer per kind of memory (parameters, gradients, moments,
// activations), with a typed table of named offsets. Zeroing, checkpointing
// and optimizer steps then act on one buffer.
import type { BufferView, GpuContext } from './context.ts';

export type ArenaLayout = Record<string, number>; // name → number of f32 elements

export interface ArenaEntry {
  name: string;
  /** Element offset of the tensor within the arena. */
  offset: number;
  length: number;
}

export class Arena {
  readonly buffer: GPUBuffer;
  readonly entries: ReadonlyMap<string, ArenaEntry>;
  /** Total f32 elements including alignment padding. */
  readonly length: number;

  constructor(
    private readonly context: GpuContext,
    readonly label: string,
    layout: ArenaLayout,
  ) {
    // Views are bound at their byte offset, which must respect the storage offset alignment.
    const alignElements = Math.max(1, context.device.limits.minStorageBufferOffsetAlignment / 4);
    const entries = new Map<string, ArenaEntry>();
    let cursor = 0;
    for (const [name, length] of Object.entries(layout)) {
      if (!Number.isInteger(length) || length < 0)
        throw new Error(`Arena "${label}": tensor "${name}" has invalid length ${length}.`);
      cursor = Math.ceil(cursor / alignElements) * alignElements;
      entries.set(name, { name, offset: cursor, length });
      cursor += length;
    }
    this.length = Math.max(cursor, 1);
    this.entries = entries;
    this.buffer = context.createBuffer(`arena:${label}`, this.length * 4);
  }

  entry(name: string): ArenaEntry {
    const entry = this.entries.get(name);
    if (entry === undefined) throw new Error(`Arena "${this.label}" has no tensor "${name}".`);
    return entry;
  }

  view(name: string): BufferView {
    const { offset, length } = this.entry(name);
    return { buffer: this.buffer, offset: offset * 4, size: Math.max(length, 1) * 4 };
  }

  /**
   * The whole arena as one view (for zeroing, optimizer steps, checkpoints). Past the binding limit (GPT-2 124M's
   * arenas are 500 MB) the dispatchers bind it in pieces (src/gpu/chunks.ts).
   */
  all(): BufferView {
    return { buffer: this.buffer, offset: 0, size: this.length * 4 };
  }

  get bytes(): number {
    return this.length * 4;
  }

  upload(name: string, data: Float32Array): void {
    const { length } = this.entry(name);
    if (data.length !== length)
      throw new Error(`Arena "${this.label}": "${name}" holds ${length} values, got ${data.length}.`);
    this.context.upload(this.view(name), data);
  }

  async read(name: string): Promise<Float32Array> {
    return this.context.read(this.view(name));
  }

  destroy(): void {
    this.context.destroyBuffer(this.buffer);
  }
}
