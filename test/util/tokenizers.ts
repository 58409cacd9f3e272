// Tokenizers for tests: one whose tokens straddle step boundaries.
import type { Tokenizer } from '../../src/data/tokenizer.ts';

/** A tokenizer of fixed 3-code-unit chunks (the last may be shorter): tokens that straddle step boundaries. */
export class ChunkTokenizer implements Tokenizer {
  readonly pad = 0;
  readonly eos = 1;
  private readonly table = new Map<string, number>();
  private readonly pieces: string[] = ['', ''];
  constructor(readonly width = 3) {}
  get size(): number {
    return this.pieces.length;
  }
  private id(piece: string): number {
    let id = this.table.get(piece);
    if (id === undefined) {
      id = this.pieces.length;
      this.pieces.push(piece);
      this.table.set(piece, id);
    }
    return id;
  }
  encodeWithOffsets(text: string): { ids: number[]; offsets: number[] } {
    const ids: number[] = [];
    const offsets: number[] = [];
    for (let i = 0; i < text.length; i += this.width) {
      ids.push(this.id(text.slice(i, i + this.width)));
      offsets.push(i);
    }
    return { ids, offsets };
  }
  encode(text: string): number[] {
    return this.encodeWithOffsets(text).ids;
  }
  decode(ids: Iterable<number>, { stopAtEos = true } = {}): string {
    let out = '';
    for (const id of ids) {
      if (id === this.eos && stopAtEos) break;
      out += this.pieces[id] ?? '';
    }
    return out;
  }
  toJSON(): unknown {
    return { kind: 'chunk', width: this.width };
  }
}
