import { describe, expect, it } from 'vitest';
import { CharTokenizer, SPECIAL_TOKENS } from '../src/data/tokenizer.ts';

describe('character tokenizer', () => {
  const tokenizer = CharTokenizer.fromTexts(['Start 7. Ops: +5 *3\n', 'Answer: 12', 'é😀']);

  it('round-trips every text it covers exactly', () => {
    for (const text of ['Answer: 12', 'Start 75 +3\n\n', '', 'é😀 é', '*3*3*3']) {
      expect(tokenizer.covers(text)).toBe(true);
      expect(tokenizer.decode(tokenizer.encode(text))).toBe(text);
    }
  });

  it('maps every token to the offset of its first character', () => {
    const text = 'Ops😀 +5';
    const { ids, offsets } = tokenizer.encodeWithOffsets(text);
    expect(ids.length).toBe([...text].length);
    for (let i = 0; i < ids.length; i++) {
      const end = i + 1 < ids.length ? offsets[i + 1] : text.length;
      expect(tokenizer.decode([ids[i]])).toBe(text.slice(offsets[i], end));
    }
  });

  it('keeps special tokens apart, stops at eos, and saves its alphabet', () => {
    expect(tokenizer.symbols.slice(0, SPECIAL_TOKENS.length)).toEqual([...SPECIAL_TOKENS]);
    expect(tokenizer.decode([...tokenizer.encode('12'), tokenizer.eos, ...tokenizer.encode('3')])).toBe('12');
    expect(tokenizer.encode('#')).toEqual([tokenizer.unk]);
    expect(tokenizer.covers('#')).toBe(false);
    const again = CharTokenizer.fromJSON(JSON.parse(JSON.stringify(tokenizer.toJSON())));
    expect(again.symbols).toEqual(tokenizer.symbols);
    expect(() => CharTokenizer.fromJSON({ kind: 'bpe' })).toThrow(/expected \{"kind":"char"/);
  });
});
