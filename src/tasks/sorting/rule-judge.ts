// The rule judge of the built-in task `sorting`: what can be checked from the
// text without knowing the order the prompt gives its numbers in. It reads
// the first number of the prompt as the starting list, then checks that each
// `Insert x: L` puts x into the running list in its place; after a wrong
// line, lines that build on it are propagation until a correction fixes it.
// It does not check that x is the prompt's next number, so a misread passes.
import type { RuleFinding } from '../task.ts';
import { splitLines } from '../lines.ts';
import { insert, listText, parseLine, sameList } from './format.ts';

export function sortingRuleFindings(response: string, reference: { prompt: string }): RuleFinding[] {
  const first = /\d+/.exec(reference.prompt);
  const findings: RuleFinding[] = [];
  let cur: number[] = first ? [Number(first[0])] : [];
  let wrong = false;
  let last: { base: number[]; x: number; wrongBefore: boolean } | null = null;
  for (const line of splitLines(response)) {
    const parsed = parseLine(response.slice(line.start, line.end));
    const find = (score: 0 | 1, reason: RuleFinding['reason'], detail: string) =>
      findings.push({ start: line.contentStart, end: line.contentEnd, score, reason, detail });
    if (parsed.kind === 'insert') {
      const right = insert(cur, parsed.x);
      last = { base: cur, x: parsed.x, wrongBefore: wrong };
      if (!sameList(parsed.list, right)) {
        find(
          0,
          'own-error',
          `${parsed.x} into ${listText(cur)} gives ${listText(right)}, not ${listText(parsed.list)}`,
        );
        wrong = true;
      } else if (wrong) find(0, 'propagation', `${listText(parsed.list)} builds on a wrong list`);
      else find(1, 'correct', `${parsed.x} into ${listText(cur)} gives ${listText(right)}`);
      cur = parsed.list;
    } else if (parsed.kind === 'check') {
      const right = last !== null && sameList(parsed.list, insert(last.base, last.x));
      if (parsed.replaces === null) {
        if (!right || !sameList(parsed.list, cur))
          find(0, 'own-error', `${listText(parsed.list)} is not what the last step should give`);
        else if (wrong) find(0, 'propagation', `confirms ${listText(parsed.list)}, built on a wrong list`);
        else find(1, 'check', `confirms ${listText(parsed.list)}`);
      } else if (!right) {
        find(0, 'own-error', `corrects to ${listText(parsed.list)}, which the last step should not give`);
        wrong = true;
        cur = parsed.list;
      } else {
        if (last!.wrongBefore) find(0, 'propagation', `${listText(parsed.list)} still builds on a wrong list`);
        else find(1, wrong ? 'termination' : 'check', `${listText(parsed.list)} replaces ${listText(parsed.replaces)}`);
        wrong = last!.wrongBefore;
        cur = parsed.list;
      }
    } else if (parsed.kind === 'unparseable') find(0, 'own-error', 'an unreadable line');
  }
  return findings;
}
