// A character tokenizer: one token per character of a fixed, saved alphabet,
// plus special tokens. Small vocabularies suit small models and make the
// step-to-token mapping exact (a token's first character is the character).
export const SPECIAL_TOKENS = ['<|pad|>', '<|eos|>', '<|unk|>'] as const;

/** What every tokenizer gives: ids, the exact way back, and where each token starts in the text. */
export interface Tokenizer {
  readonly size: number;
  readonly pad: number;
  readonly eos: number;
  encode(text: string): number[];
  /** The text of ids; decode(encode(t)) === t for any t the tokenizer covers. */
  decode(ids: Iterable<number>, options?: { stopAtEos?: boolean }): string;
  /** ids and, for each, the offset (UTF-16 code units, as String.slice) of its first character. */
  encodeWithOffsets(text: string): { ids: number[]; offsets: number[] };
  toJSON(): unknown;
}

export class CharTokenizer implements Tokenizer {
  readonly symbols: string[];
  private readonly index: Map<string, number>;

  constructor(alphabet: string[]) {
    const chars = alphabet.filter((c) => !(SPECIAL_TOKENS as readonly string[]).includes(c));
    for (const c of chars) if ([...c].length !== 1) throw new Error(`Tokenizer: "${c}" is not one character.`);
    this.symbols = [...SPECIAL_TOKENS, ...new Set(chars)];
    this.index = new Map(this.symbols.map((s, i) => [s, i]));
  }

  /** The alphabet of every character in the given texts, sorted. */
  static fromTexts(texts: Iterable<string>): CharTokenizer {
    const seen = new Set<string>();
    for (const text of texts) for (const c of text) seen.add(c);
    return new CharTokenizer([...seen].sort());
  }

  get size(): number {
    return this.symbols.length;
  }

  get pad(): number {
    return 0;
  }

  get eos(): number {
    return 1;
  }

  get unk(): number {
    return 2;
  }

  encode(text: string): number[] {
    const ids: number[] = [];
    for (const c of text) ids.push(this.index.get(c) ?? this.unk);
    return ids;
  }

  encodeWithOffsets(text: string): { ids: number[]; offsets: number[] } {
    const ids: number[] = [];
    const offsets: number[] = [];
    let offset = 0;
    for (const c of text) {
      ids.push(this.index.get(c) ?? this.unk);
      offsets.push(offset);
      offset += c.length;
    }
    return { ids, offsets };
  }

  /** Whether every character of the text has its own token (so the round trip is exact). */
  covers(text: string): boolean {
    for (const c of text) if (!this.index.has(c)) return false;
    return true;
  }

  decode(ids: Iterable<number>, { stopAtEos = true } = {}): string {
    let out = '';
    for (const id of ids) {
      if (id === this.eos && stopAtEos) break;
      if (id < SPECIAL_TOKENS.length) continue;
      out += this.symbols[id] ?? '';
    }
    return out;
  }

  toJSON(): { kind: 'char'; alphabet: string[] } {
    return { kind: 'char', alphabet: this.symbols.slice(SPECIAL_TOKENS.length) };
  }

  static fromJSON(json: unknown): CharTokenizer {
    const j = json as { kind?: string; alphabet?: unknown };
    if (j?.kind !== 'char' || !Array.isArray(j.alphabet))
      throw new Error('Tokenizer: expected {"kind":"char","alphabet":[...]}.');
    return new CharTokenizer(j.alphabet as string[]);
  }
}
