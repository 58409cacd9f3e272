// The built-in task `arithmetic` lives in arithmetic/; this path stays for the importers that predate that.
export * from './arithmetic/index.ts';
