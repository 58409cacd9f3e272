#!/usr/bin/env node
// Entry point of `npx gemstone`: loads the TypeScript CLI through tsx, so the
// same sources run in Node, Deno and the browser without a build step.
import { register } from 'tsx/esm/api';

register();
await import('../main.ts');
