// defineCommand: a gemstone command from an option table and a run function.
// Every command built with it gets the same behaviour: --config FILE and flags
// (checked before any work), profile defaults chosen by the adapter, a run
// folder with config.json, --resume DIR, --json events and --quiet, Ctrl-C that
// stops at a safe point, one clear error line, and distinct exit statuses
// (0 done, 1 failed, 2 bad options, 130 interrupted).
import { existsSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import process from 'node:process';
import { Command } from 'commander';
import { GpuContext } from '../src/gpu/context.ts';
import { acquireDevice, type AdapterReport } from '../src/gpu/device.ts';
import { loadTask } from '../src/tasks/load.ts';
import type { Task } from '../src/tasks/task.ts';
import { ConfigError, flagSources, readConfigFile, resolveOptions, type Source } from './config.ts';
import { checkInputCheckpoints } from './input-checkpoints.ts';
import { Interrupted, InterruptFlag } from './interrupt.ts';
import { chooseProfile, PROFILE_NAMES, type ProfileName } from './presets.ts';
import { Reporter, type OutputMode } from './reporter.ts';
import { CONFIG_FILE, readSavedConfig, RunFolder } from './run-folder.ts';
import { choice, commanderOption, type OptionSpec } from './spec.ts';

export const GEMSTONE_VERSION = '0.1.0';
export const ADAPTERS = ['gpu', 'llvmpipe', 'swiftshader'] as const;

/** Options every command has. */
export const COMMON_OPTIONS: OptionSpec[] = [
  {
    key: 'config',
    help: 'read options from a JSON file (keys as the flags without dashes; flags override it)',
    kind: { type: 'file' },
    cliOnly: true,
    transient: true,
  },
  {
    key: 'resume',
    help: 'continue the interrupted run in this folder, with its saved config (flags override it)',
    kind: { type: 'dir' },
    cliOnly: true,
    transient: true,
  },
  {
    key: 'profile',
    help: `defaults sized for: ${PROFILE_NAMES.join(' | ')}`,
    kind: choice(PROFILE_NAMES),
    defaultHelp: 'chosen by the adapter; see gemstone doctor',
  },
  {
    key: 'adapter',
    help: 'force a WebGPU adapter (Node; also env GEMSTONE_ADAPTER)',
    kind: choice(ADAPTERS),
    defaultHelp: 'the fastest found',
  },
  {
    key: 'json',
    help: 'machine-readable events on stdout, one JSON object a line',
    kind: { type: 'boolean' },
    transient: true,
  },
  { key: 'quiet', short: 'q', help: 'print only the result', kind: { type: 'boolean' }, transient: true },
  {
    // Read by the launcher (bin/gemstone.js), which holds Dawn's messages back otherwise.
    key: 'verbose',
    help: "also show the WebGPU driver's own messages (Dawn's adapter warnings) on stderr",
    kind: { type: 'boolean' },
    cliOnly: true,
    transient: true,
  },
  {
    key: 'progress',
    help: 'no progress bars (plain lines at each logged step instead)',
    kind: { type: 'boolean' },
    negate: true,
    default: true,
    transient: true,
  },
];

const OUT_OPTION = (name: string): OptionSpec => ({
  key: 'out',
  help: 'the run folder (config.json, metrics, checkpoints, outputs, summary.json)',
  kind: { type: 'path' },
  defaultHelp: `runs/${name}-<date>-<time>`,
});

export interface RunContext<O> {
  command: string;
  options: O;
  profile: ProfileName;
  profileReason: string;
  /** The run folder (commands without one, like doctor, get null). */
  folder: RunFolder;
  reporter: Reporter;
  interrupt: InterruptFlag;
  resumed: boolean;
  /** The adapter found while choosing the profile, when one was probed. */
  adapter: AdapterReport | null;
  /** What definition.prepare returned. */
  prepared: unknown;
  /** The task --task named, loaded and held to the contract (checkTask); null when the command got none. */
  task: Task | null;
}

export interface CommandDefinition<O> {
  name: string;
  description: string;
  options: OptionSpec[];
  /** Examples for --help. */
  examples?: string[];
  /** false: no run folder, no --out/--resume (doctor). */
  runFolder?: boolean;
  /** Whether defaults depend on the profile (otherwise no adapter is probed for it). */
  profiled?: boolean;
  /** Checks across options, after each is known to be well-formed (throw ConfigError). */
  validate?: (options: O) => void;
  /**
   * Reads and checks input files before the run folder exists; its errors are bad input (status 2).
   * Its value is context.prepared.
   */
  prepare?: (options: O, task: Task | null) => Promise<unknown> | unknown;
  /** Does the work; what it returns is written to summary.json. */
  run: (context: RunContext<O>) => Promise<Record<string, unknown> | undefined>;
}

/** A path as a person would type it here: relative when under the working folder, else absolute. */
export function shown(path: string): string {
  const r = relative(process.cwd(), path);
  return r === '' ? '.' : r.startsWith('..') || isAbsolute(r) ? path : r;
}

/** How a person runs gemstone here, for "resume with" hints. */
export function invocation(): string {
  return (globalThis as { Deno?: unknown }).Deno !== undefined ? 'deno run -A node-runner/main.ts' : 'gemstone';
}

export function defineCommand<O>(definition: CommandDefinition<O>): Command {
  const withFolder = definition.runFolder !== false;
  const specs: OptionSpec[] = [
    ...definition.options,
    ...(withFolder ? [OUT_OPTION(definition.name)] : []),
    ...COMMON_OPTIONS.filter((s) => withFolder || s.key !== 'resume'),
  ];
  const command = new Command(definition.name)
    .description(definition.description)
    .helpOption('-h, --help', 'show this help');
  for (const spec of specs) command.addOption(commanderOption(spec));
  command.addHelpText('after', helpFooter(definition, withFolder));
  command.showHelpAfterError('(run with --help for every option)');
  command.action(async (_: unknown, cmd: Command) => {
    process.exitCode = await execute(definition, specs, cmd, withFolder);
  });
  return command;
}

function helpFooter<O>(definition: CommandDefinition<O>, withFolder: boolean): string {
  const lines = [''];
  if (definition.examples?.length) lines.push('Examples:', ...definition.examples.map((e) => `  $ ${e}`), '');
  lines.push(
    'Every option can also come from --config FILE.json: {"seed": 2, "sft-steps": 500}; flags override it.',
    ...(withFolder
      ? [
          'The resolved options are saved in <out>/config.json. Ctrl-C stops after the current step and saves;',
          'continue with --resume <out>. Exit status: 0 done, 1 failed, 2 bad options, 130 interrupted.',
        ]
      : []),
  );
  return lines.join('\n');
}

async function execute<O>(
  definition: CommandDefinition<O>,
  specs: OptionSpec[],
  cmd: Command,
  withFolder: boolean,
): Promise<number> {
  const flags = cmd.opts() as Record<string, unknown>;
  // Output mode first, from flags only, so even a config error is reported in the mode asked for.
  const mode: OutputMode = flags.json ? 'json' : flags.quiet ? 'quiet' : 'human';
  let reporter = new Reporter(mode, { progress: flags.progress !== false });
  const interrupt = new InterruptFlag();
  let folder: RunFolder | null = null;
  try {
    const given: Record<string, Source> = {};
    let saved: ReturnType<typeof readSavedConfig> | null = null;
    const resumeDir = typeof flags.resume === 'string' ? resolve(flags.resume) : undefined;
    if (resumeDir !== undefined) {
      if (flags.config !== undefined)
        throw new ConfigError(
          "--resume takes the run's saved config; give changed options as flags instead of --config.",
        );
      saved = readSavedConfig(resumeDir, definition.name);
      const where = join(resumeDir, CONFIG_FILE);
      for (const [key, value] of Object.entries(saved.options))
        if (value !== null) given[key] = { where: `${where}: "${key}"`, value };
    } else if (typeof flags.config === 'string') {
      Object.assign(given, readConfigFile(resolve(flags.config), specs, definition.name).values);
    }
    const fromFlags = flagSources(
      specs.filter((s) => !s.cliOnly),
      flags,
      (key) => cmd.getOptionValueSource(key) === 'cli',
    );
    const changed = saved
      ? Object.keys(fromFlags).filter(
          (k) =>
            !specs.find((s) => s.key === k)?.transient &&
            JSON.stringify(fromFlags[k].value) !== JSON.stringify(saved!.options[k]),
        )
      : [];
    Object.assign(given, fromFlags);
    if (resumeDir !== undefined) given.out = { where: '--resume', value: resumeDir };
    // Output preferences from a config file apply too (flags were read first).
    const outputMode: OutputMode =
      given.json?.value === true ? 'json' : given.quiet?.value === true ? 'quiet' : 'human';
    if (outputMode !== mode) reporter = new Reporter(outputMode, { progress: given.progress?.value !== false });
    const tuningReporter = reporter;
    GpuContext.onTuningSearch = (where) =>
      tuningReporter.info(
        "measuring the kernels' block shapes on this adapter (first use: about a minute on two idle cores; " +
          `kept in ${where}; \`gemstone doctor --tune\` measures them again)`,
      );

    // The profile: --profile, else the one the run was started with, else the adapter's.
    let profile: ProfileName = 'software';
    let profileReason = 'the default';
    let adapter: AdapterReport | null = null;
    if (given.profile !== undefined && typeof given.profile.value === 'string') {
      profile = given.profile.value as ProfileName;
      profileReason =
        saved && saved.profile === profile && fromFlags.profile === undefined
          ? saved.profile_reason
          : `asked for with ${given.profile.where}`;
    } else if (saved) {
      profile = saved.profile as ProfileName;
      profileReason = saved.profile_reason;
    } else if (definition.profiled !== false) {
      // Only the type of the adapter option matters here; resolveOptions reports it properly if bad.
      const forced = typeof given.adapter?.value === 'string' ? given.adapter.value : undefined;
      resolveOptions(specs, given, 'software'); // report bad options before touching the GPU
      const acquired = await acquireDevice({ adapter: forced });
      adapter = acquired.report;
      acquired.device.destroy();
      ({ profile, reason: profileReason } = chooseProfile(adapter));
    }
    const options = resolveOptions(specs, given, profile) as O & { out?: string; adapter?: string };
    definition.validate?.(options);
    const task = await commandTask(specs, options as Record<string, unknown>, given);
    let prepared: unknown;
    try {
      prepared = await definition.prepare?.(options, task);
      const dataTask = (prepared as { task?: Task } | null | undefined)?.task;
      await checkInputCheckpoints(options as Record<string, unknown>, task ?? dataTask);
    } catch (error) {
      throw error instanceof ConfigError ? error : new ConfigError((error as Error).message);
    }

    if (withFolder) {
      const out =
        resumeDir ??
        (options.out !== undefined ? resolve(options.out) : resolve('runs', `${definition.name}-${stamp()}`));
      options.out = out;
      if (resumeDir === undefined && existsSync(join(out, CONFIG_FILE))) {
        throw new ConfigError(
          `${out} already holds a run; continue it with --resume ${shown(out)}, or choose another --out.`,
        );
      }
      folder = await RunFolder.open(out);
      const stored: Record<string, unknown> = {};
      for (const spec of specs)
        if (!spec.transient && !spec.cliOnly) stored[spec.key] = (options as Record<string, unknown>)[spec.key] ?? null;
      await folder.writeConfig({
        command: definition.name,
        gemstone: GEMSTONE_VERSION,
        profile,
        profile_reason: profileReason,
        options: stored,
      });
      reporter.event('start', {
        command: definition.name,
        dir: out,
        resumed: resumeDir !== undefined,
        profile,
        profile_reason: profileReason,
        options: stored,
      });
      if (reporter.mode === 'human') {
        reporter.info(`gemstone ${definition.name} · run folder ${shown(out)} · profile ${profile} (${profileReason})`);
        if (resumeDir !== undefined) {
          const changes = changed
            .map((k) => `${k} ${JSON.stringify(saved!.options[k])} → ${JSON.stringify(fromFlags[k].value)}`)
            .join(', ');
          reporter.info(`resuming${changed.length ? ` with changed options: ${changes}` : ''}`);
        }
      }
    }

    interrupt.install((signal) => {
      reporter.warn(
        `\n${signal}: finishing the current step, then saving (${signal === 'SIGINT' ? 'Ctrl-C' : signal} again ` +
          'quits at once).',
      );
      reporter.event('signal', { signal });
    });
    const context: RunContext<O> = {
      command: definition.name,
      options,
      profile,
      profileReason,
      folder: folder!,
      reporter,
      interrupt,
      resumed: resumeDir !== undefined,
      adapter,
      prepared,
      task,
    };
    const summary = await definition.run(context);
    if (summary !== undefined && folder !== null) {
      const path = await folder.writeSummary(summary);
      reporter.event('done', { dir: folder.dir, summary_path: path, summary });
    } else {
      reporter.event('done', summary ? { summary } : {});
    }
    return 0;
  } catch (error) {
    if (error instanceof Interrupted) {
      const dir = folder ? shown(folder.dir) : '';
      const resume = `${invocation()} ${definition.name} --resume ${dir}`;
      reporter.event('interrupted', { signal: error.signal, where: error.where, dir: folder?.dir, resume });
      process.stderr.write(
        `Stopped by ${error.signal} ${error.where}; everything so far is saved in ${dir}.\nContinue with: ${resume}\n`,
      );
      return 130;
    }
    const message = (error as Error).message;
    reporter.event('error', { message, kind: error instanceof ConfigError ? 'config' : 'run' });
    process.stderr.write(`gemstone ${definition.name}: ${message}\n`);
    if (folder !== null && !(error instanceof ConfigError))
      process.stderr.write(
        `What was done is saved; after fixing the cause, continue with: ${invocation()} ${definition.name} --resume ` +
          `${shown(folder.dir)}\n`,
      );
    if (process.env.GEMSTONE_DEBUG) process.stderr.write(`${(error as Error).stack}\n`);
    return error instanceof ConfigError ? 2 : 1;
  } finally {
    interrupt.dispose();
  }
}

function stamp(): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  return (
    `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}` +
    `${p(d.getSeconds())}`
  );
}

/**
 * The task of a command with a --task option: loaded (a built-in name, or a module by path) and held to the task
 * contract, so a broken task is refused with the rule it broke before any run folder is made.
 */
async function commandTask(
  specs: OptionSpec[],
  options: Record<string, unknown>,
  given: Record<string, Source>,
): Promise<Task | null> {
  const value = options.task;
  if (!specs.some((s) => s.kind.type === 'task') || typeof value !== 'string') return null;
  const difficulty = typeof options.difficulty === 'number' ? options.difficulty : undefined;
  try {
    return await loadTask(value, { check: { difficulty } });
  } catch (error) {
    throw new ConfigError(`${given.task?.where ?? '--task'}: ${(error as Error).message}`);
  }
}
