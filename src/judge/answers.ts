// Final answers, as any task may write them: what the rule judge falls back
// on when the task's extractAnswer finds none in a step.
//
// The generic rule: "answer: N", "answer is N", "answer = N", "\boxed{N}" or
// "#### N". Answers compare as integers when both are integers, else as
// trimmed text.

const GENERIC_ANSWER_RES = [
  /\banswer\s*(?:is|:|=)\s*:?\s*\**\s*\$?(-?\d[\d,]*(?:\.\d+)?)/gi,
  /\\boxed\{([^{}]*)\}/g,
  /^#{4}\s*(-?\d[\d,]*(?:\.\d+)?)/gm,
];

/** Final-answer statements in a text by the generic rule: the answer and its offsets. */
export function findAnswers(text: string): { start: number; end: number; answer: string }[] {
  const found: { start: number; end: number; answer: string }[] = [];
  for (const re of GENERIC_ANSWER_RES) {
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(text)) !== null) found.push({ start: m.index, end: m.index + m[0].length, answer: m[1] });
  }
  return found.sort((a, b) => a.start - b.start);
}

/** Whether a stated answer matches the reference: as integers when both are, else as trimmed text. */
export function sameAnswer(stated: string, reference: string): boolean {
  const clean = (s: string) => s.trim().replace(/[.\s]+$/, '');
  const a = clean(stated).replaceAll(',', '');
  const b = clean(reference).replaceAll(',', '');
  if (/^-?\d+$/.test(a) && /^-?\d+$/.test(b)) return BigInt(a) === BigInt(b);
  return clean(stated) === clean(reference);
}
