// `npm run bench`: bench/run.ts with Dawn's adapter warnings held back, as the CLI does (--verbose shows them).
import process from 'node:process';
import { launchQuiet } from '../node-runner/bin/launch.js';

await launchQuiet(new URL('./run.ts', import.meta.url), process.argv.slice(2));
