// A character tokenizer: one token per character of a fixed, saved alphabet,
// plus special tokens. Small vocabularies suit small models and make the
// step-to-token mapping exact (a token's first character is the character).
export const SPECIAL_TOKENS = ['<|pad|>', '<|eos|>', '<|unk|>'] as const;

export class CharTokenizer {
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
    if (j?.kind !== 'char' || !Array.isArray(j.alphabet)) throw new Error('Tokenizer: expected {"kind":"char","alphabet":[...]}.');
    return new CharTokenizer(j.alphabet as string[]);
  }
}
