// Small seeded hashes: nearby seeds and similar texts give unrelated streams.

/** A 32-bit avalanche (murmur3 fmix32). */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Mixes integers into one 32-bit seed, so nearby seeds give unrelated streams. */
export function mixSeed(...parts: number[]): number {
  let h = 0x3c6ef372;
  for (const p of parts) {
    const lo = p >>> 0;
    const hi = Math.floor(p / 2 ** 32) >>> 0;
    h = fmix32(h ^ fmix32(lo + 0x9e3779b9));
    h = fmix32(h ^ fmix32(hi + 0x7f4a7c15));
  }
  return h;
}

/** FNV-1a over UTF-16 code units, then the avalanche. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return fmix32(h);
}
