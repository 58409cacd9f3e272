// Packs shaders/*.wgsl into one TypeScript module, so the same WGSL text loads
// the same way in Node, Deno and a browser bundle. Includes are expanded here
// (scripts/wgsl-pack.mjs). `--check` fails when the packed module is out of date (CI runs it).
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packShaders } from './wgsl-pack.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, 'src/gpu/shader-sources.generated.ts');
let packed;
try {
  packed = packShaders(join(root, 'shaders'));
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
const { count, text } = packed;
let current = '';
try {
  current = readFileSync(target, 'utf8');
} catch {
  /* first run */
}
if (process.argv.includes('--check')) {
  if (current !== text) {
    console.error(`${target} is out of date with shaders/: run \`npm run shaders\`.`);
    process.exit(1);
  }
} else if (current !== text) {
  writeFileSync(`${target}.tmp`, text);
  renameSync(`${target}.tmp`, target);
  console.log(`packed ${count} shaders into src/gpu/shader-sources.generated.ts`);
}
