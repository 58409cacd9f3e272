// Fails when a tracked source line is longer than the limit. Biome's formatter wraps code at
// 120 columns but leaves long strings and comments alone; this holds those to the same limit.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const LIMIT = 120;
const SOURCE = /\.(ts|mts|mjs|js|wgsl|css|html)$/;
const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { encoding: 'utf8' })
  .split('\n')
  .filter((f) => SOURCE.test(f) && !f.includes('.generated.') && !f.startsWith('docs/results/'));

const long = [];
for (const file of files) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    continue; // listed by git but deleted in the work tree
  }
  text.split('\n').forEach((line, i) => {
    if ([...line].length > LIMIT) long.push(`${file}:${i + 1}: ${[...line].length} characters`);
  });
}
if (long.length > 0) {
  console.error(`${long.length} lines over ${LIMIT} characters (wrap the string or comment):`);
  for (const entry of long) console.error(`  ${entry}`);
  process.exit(1);
}
console.log(`line length: every line of ${files.length} files is at most ${LIMIT} characters`);
