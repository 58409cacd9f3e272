// The whole pipeline as the page runs it (and demo/scripts/make-example.ts, in
// Node): π_ref SFT → per iteration: rollouts → (PRM) → segmentation, judges and
// consensus in workers → offline RL with held-out evaluation per epoch → the
// next iteration samples from the trained policy; then, optionally, a second
// objective trained on the first iteration's data for comparison.
//
// Runtime-neutral: the GPU context, the worker pool and the bundled π_ref come
// in as dependencies. It yields at every unit of work (control.tick), reads
// the GPU back only every `readEvery` steps (and at evaluations), and waits for
// each step's submitted work so the GPU queue never runs far ahead of a pause.
// A lost GPU device is recovered from: a new device, the stage restarted from
// its last checkpoint (SFT: every few steps; RL: every epoch).
import { decodeCheckpoint, encodeCheckpoint, type CheckpointState } from '../../../src/checkpoint/checkpoint.ts';
import { annotatedHeaderFrom, type AnnotatedRecord } from '../../../src/data/annotated.ts';
import {
  keepMixedGroups,
  ROLLOUT_FORMAT,
  ROLLOUT_VERSION,
  rolloutStats,
  type Rollout,
} from '../../../src/data/rollouts.ts';
import { toSftRow } from '../../../src/data/sft-data.ts';
import { CharTokenizer } from '../../../src/data/tokenizer.ts';
import type { GpuContext } from '../../../src/gpu/context.ts';
import { describeReport } from '../../../src/gpu/device.ts';
import { agreementFromAnnotated } from '../../../src/judge/annotate.ts';
import type { Judge } from '../../../src/judge/judge.ts';
import { LlmJudge, SIMULATED_MODEL } from '../../../src/judge/llm-judge.ts';
import { parameterCount, presetConfig, type ModelConfig } from '../../../src/model/config.ts';
import { Gpt2 } from '../../../src/model/gpt2.ts';
import { resolveHyper, type ObjectiveName } from '../../../src/objectives/index.ts';
import { getTask } from '../../../src/tasks/index.ts';
import { DEFAULT_NOISY_SOLVER, NoisySolver, sftRecords } from '../../../src/tasks/noisy-solver.ts';
import type { Problem } from '../../../src/tasks/task.ts';
import { evaluate } from '../../../src/train/evaluate.ts';
import { OfflineRlTrainer, type RlExample } from '../../../src/train/offline-rl.ts';
import { DEFAULT_ADAMW } from '../../../src/train/optimizer.ts';
import { sampleRollouts } from '../../../src/train/rollouts.ts';
import { SftTrainer, type SftOptions } from '../../../src/train/sft.ts';
import type { AnnotateConfig } from '../../../src/workers/annotate-service.ts';
import { annotateRollouts } from '../../../src/workers/annotate-run.ts';
import type { WorkerPool } from '../../../src/workers/pool.ts';
import type { DemoConfig } from '../config.ts';
import { Cancelled, type RunControl } from './control.ts';
import { responseLogprobs } from './logprobs.ts';
import { heldOutProblems, rolloutProblems } from './problems.ts';
import { trainPagePrm } from './prm.ts';
import { emptyRun, type IterationRecord, type RunRecord } from './run-record.ts';
import { SIMULATED_BASE_URL, simulatedJudgeFetch } from './simulated-llm.ts';

/** A real OpenAI-compatible endpoint for the LLM judge. Held in memory only; never logged, never stored. */
export interface LlmEndpoint {
  baseUrl: string;
  model: string;
  apiKey: string;
}

export interface PipelineDeps {
  createContext(onLost: (reason: string) => void): Promise<GpuContext>;
  createPool(): Promise<WorkerPool>;
  /** The bundled tiny π_ref (demo/public/pi-ref-tiny.safetensors), for config.ref = 'bundled'. */
  loadBundledReference(): Promise<Uint8Array>;
  /** A π_ref checkpoint the person loaded (upload or browser storage): used as it is, no SFT. */
  reference?: Uint8Array;
  /** Null: the SIMULATED judge. */
  llmEndpoint: LlmEndpoint | null;
  /** Annotated data imported from a CLI run: iteration 1 trains on it instead of sampling (needs the π_ref that made it). */
  importedData?: { data: IterationRecord; tokenizer: unknown };
}

export interface PipelineHooks {
  stage(name: string): void;
  progress(line: string): void;
  /** Something in `run` changed (a chart or view may redraw). */
  update(what: 'sft' | 'rl' | 'accuracy' | 'iteration' | 'credit' | 'checkpoint'): void;
  notice(message: string, level: 'info' | 'warn'): void;
}

const ANNOTATION_SEGMENTER = { minChars: 8, maxSteps: 64 };
const GENERATION_ROWS = 64;
const MAX_RESUMES = 3;

/** Checkpoint metadata in the CLI's shape (node-runner/policy.ts reads tokenizer, task, difficulty), so files move both ways. */
interface PolicyExtra {
  kind: string;
  tokenizer: unknown;
  T: number;
  task: string;
  difficulty: number;
  preset: string;
  [key: string]: unknown;
}

export class Pipeline {
  readonly run: RunRecord;
  /** The latest trained policy (π_ref until RL has run), as a gemstone checkpoint: what Save and Download write. */
  policyBytes: Uint8Array | null = null;
  referenceBytes: Uint8Array | null = null;
  private context: GpuContext | null = null;
  private lostReason: string | null = null;
  private tokenizer: CharTokenizer | null = null;
  private modelConfig: ModelConfig | null = null;
  private sftCheckpoint: Uint8Array | null = null;
  private readonly rlResume = new Map<string, { bytes: Uint8Array; epochs: number }>();
  private readonly task = getTask('arithmetic');
  private readonly started = performance.now();

  constructor(
    readonly config: DemoConfig,
    private readonly deps: PipelineDeps,
    private readonly hooks: PipelineHooks,
    private readonly control: RunControl,
  ) {
    this.run = emptyRun(structuredClone(config));
  }

  /** Runs every stage; resolves when done, rejects with Cancelled after reset. */
  async start(): Promise<void> {
    try {
      await this.stage('π_ref', () => this.reference());
      for (let it = 1; it <= this.config.iterations; it++) {
        await this.stage(`iteration ${it}: rollouts and judges`, () => this.data(it));
        const start = this.policyBytes!;
        this.policyBytes = await this.stage(`iteration ${it}: ${this.config.objective}`, () =>
          this.train('main', this.config.objective, it, start),
        );
      }
      if (this.config.compare !== '' && this.run.iterations.length > 0) {
        const objective = this.config.compare;
        await this.stage(`comparison: ${objective} on iteration 1's data`, () =>
          this.train('compare', objective, 1, this.referenceBytes!),
        );
      }
      this.run.seconds = (performance.now() - this.started) / 1000;
      this.hooks.progress(`done in ${this.run.seconds.toFixed(0)} s`);
    } finally {
      this.context?.destroy();
      this.context = null;
    }
  }

  /** Only the π_ref stage (demo/scripts/make-example.ts bundles its result). */
  async referenceOnly(): Promise<void> {
    try {
      await this.stage('π_ref', () => this.reference());
    } finally {
      this.context?.destroy();
      this.context = null;
    }
  }

  /** Destroys the GPU device now, as a driver crash would (the page's "simulate device loss" and the test use it). */
  loseDevice(): void {
    this.context?.device.destroy();
  }

  // ---- device loss -----------------------------------------------------------------

  private async gpu(): Promise<GpuContext> {
    if (this.context === null) {
      this.context = await this.deps.createContext((reason) => {
        this.lostReason = reason;
      });
      this.run.adapter = describeReport(this.context.report);
    }
    return this.context;
  }

  /** Runs a stage; when the device was lost, starts a new one and runs the stage again from its last checkpoint. */
  private async stage<T>(name: string, body: () => Promise<T>): Promise<T> {
    this.hooks.stage(name);
    for (let attempt = 0; ; attempt++) {
      try {
        return await body();
      } catch (error) {
        if (error instanceof Cancelled) throw error;
        const lost = await this.deviceLost(error);
        if (lost === null || attempt >= MAX_RESUMES) throw error;
        this.run.resumes += 1;
        this.hooks.notice(
          `The GPU device was lost (${lost}). Resumed "${name}" from its last checkpoint on a new device.`,
          'warn',
        );
        this.context = null;
        this.lostReason = null;
      }
    }
  }

  private async deviceLost(error: unknown): Promise<string | null> {
    if (this.lostReason !== null) return this.lostReason;
    const device = this.context?.device;
    if (device === undefined) return null;
    const lost = await Promise.race([
      device.lost.then((info) => `${info.reason}: ${info.message || 'no message'}`),
      new Promise<null>((r) => setTimeout(() => r(null), 100)),
    ]);
    if (lost !== null) return lost;
    return /device (is |was )?lost/i.test(String((error as Error)?.message)) ? String((error as Error).message) : null;
  }

  // ---- π_ref -----------------------------------------------------------------------

  private async reference(): Promise<void> {
    const { config } = this;
    const context = await this.gpu();
    if (this.deps.reference !== undefined) {
      // A checkpoint the person brought: it is π_ref as it is.
      const state = decodeCheckpoint(this.deps.reference, 'the loaded checkpoint');
      this.adopt(state);
      this.referenceBytes = this.deps.reference;
      this.policyBytes = this.deps.reference;
      const model = new Gpt2(context, state.config);
      model.loadParameters(state.parameters);
      await this.evaluateInto(model, 'π_ref', 0, 0, 'main');
      model.destroy();
      return;
    }
    const records = sftRecords(this.task, new NoisySolver({ ...DEFAULT_NOISY_SOLVER, seed: config.seed }), {
      count: config.records,
      seedStart: 0,
      difficulty: config.difficulty,
    });
    let warm: CheckpointState | null = null;
    if (config.ref === 'bundled') {
      if (config.preset !== 'tiny')
        this.hooks.notice(
          `The bundled π_ref is the tiny preset; training the ${config.preset} preset from scratch instead.`,
          'info',
        );
      else {
        warm = decodeCheckpoint(await this.deps.loadBundledReference(), 'pi-ref-tiny.safetensors');
        const extra = warm.extra as Partial<PolicyExtra>;
        if (extra.difficulty !== config.difficulty)
          this.hooks.notice(
            `The bundled π_ref learned difficulty ${extra.difficulty}; continuing its SFT at difficulty ${config.difficulty}.`,
            'info',
          );
      }
    }
    if (warm !== null) this.adopt(warm);
    else {
      // A task's alphabet also holds every digit and sign, so rollouts never meet an unknown character (as the CLI).
      this.tokenizer ??= CharTokenizer.fromTexts([
        ...records.flatMap((r) => [r.prompt, r.completion]),
        '0123456789+-*/%=:., \n',
      ]);
      const longest = Math.max(...records.map((r) => [...r.prompt].length + [...r.completion].length + 1));
      // Traces need up to 128 characters: every preset gets that context here (the tiny preset's 32 would cut them).
      this.modelConfig ??= presetConfig(config.preset, {
        vocabSize: this.tokenizer.size,
        contextLength: Math.min(128, longest),
      });
    }
    const tokenizer = this.tokenizer!;
    const modelConfig = this.modelConfig!;
    this.describeModel();
    const T = modelConfig.contextLength;
    // Continuing a trained π_ref: a tenth of the learning rate, so fresh AdamW moments do not knock it off what it learned.
    const lr = warm !== null ? config.sftLr / 10 : config.sftLr;
    const sft: SftOptions = {
      batchSize: config.sftBatch,
      microBatches: 1,
      seed: config.seed,
      adamw: { ...DEFAULT_ADAMW },
      schedule: {
        maxLr: lr,
        minLr: lr / 10,
        warmupSteps: Math.min(20, Math.max(1, Math.floor(config.sftSteps / 10))),
        totalSteps: Math.max(1, config.sftSteps),
      },
    };
    const model = new Gpt2(context, modelConfig);
    const trainer = new SftTrainer(
      model,
      records.map((r) => toSftRow(r, tokenizer, T)),
      sft,
    );
    try {
      if (this.sftCheckpoint !== null) {
        trainer.restore(decodeCheckpoint(this.sftCheckpoint, 'the last SFT checkpoint'));
        this.run.sft = this.run.sft.filter((p) => p.step <= trainer.step);
      } else if (warm !== null) model.loadParameters(warm.parameters);
      else model.initialize(config.seed);
      const checkpointEvery = Math.max(config.readEvery * 4, 20);
      const extra = this.extra('sft');
      while (trainer.step < config.sftSteps) {
        await this.control.tick();
        const read = (trainer.step + 1) % config.readEvery === 0 || trainer.step + 1 === config.sftSteps;
        const result = await trainer.trainStep({ readLoss: read });
        await context.sync();
        if (read) {
          this.run.sft.push({ step: result.step, loss: result.loss!, lr: result.lr });
          this.hooks.update('sft');
          this.hooks.progress(`π_ref SFT step ${result.step}/${config.sftSteps} · loss ${result.loss!.toFixed(4)}`);
        }
        if (trainer.step % checkpointEvery === 0 && trainer.step < config.sftSteps) {
          this.sftCheckpoint = encodeCheckpoint(await trainer.checkpointState(extra));
        }
      }
      const state = await trainer.checkpointState(extra);
      this.referenceBytes = encodeCheckpoint({ ...state, optimizer: undefined });
      this.policyBytes = this.referenceBytes;
      this.sftCheckpoint = encodeCheckpoint(state);
      this.hooks.update('checkpoint');
      await this.evaluateInto(model, 'π_ref', 0, 0, 'main');
    } finally {
      trainer.destroy();
      model.destroy();
    }
  }

  /** Takes tokenizer and model shape from a checkpoint written by this page or by `gemstone sft --task`. */
  private adopt(state: CheckpointState): void {
    const extra = (state.extra ?? {}) as Partial<PolicyExtra>;
    if (extra.tokenizer === undefined)
      throw new Error('This checkpoint holds no tokenizer: use one written by the demo or by `gemstone sft --task`.');
    if (extra.task !== undefined && extra.task !== 'arithmetic')
      throw new Error(`This checkpoint learned task "${extra.task}"; the demo runs the arithmetic task.`);
    this.tokenizer = CharTokenizer.fromJSON(extra.tokenizer);
    this.modelConfig = state.config;
    this.describeModel();
  }

  private describeModel(): void {
    this.run.tokenizer = this.tokenizer!.toJSON();
    this.run.contextLength = this.modelConfig!.contextLength;
    this.run.parameters = parameterCount(this.modelConfig!);
  }

  private extra(kind: string, more: Record<string, unknown> = {}): PolicyExtra {
    return {
      kind,
      tokenizer: this.tokenizer!.toJSON(),
      T: this.modelConfig!.contextLength,
      task: 'arithmetic',
      difficulty: this.config.difficulty,
      preset: this.config.preset,
      ...more,
    };
  }

  private async evaluateInto(
    model: Gpt2,
    objective: string,
    iteration: number,
    epoch: number,
    run: string,
  ): Promise<number> {
    await this.control.tick();
    this.hooks.progress(`evaluating ${objective} on ${this.config.evalPrompts} held-out prompts…`);
    const problems = heldOutProblems(this.task, this.config.evalPrompts, this.config.difficulty);
    const result = await evaluate(model, this.tokenizer!, this.task, problems, {
      ks: [],
      samples: 0,
      temperature: 1,
      seed: 0,
      batchRows: GENERATION_ROWS,
    });
    const x = run === 'main' ? (iteration === 0 ? 0 : (iteration - 1) * this.config.epochs + epoch) : epoch;
    this.run.accuracy.push({
      run,
      objective,
      iteration,
      epoch,
      x,
      accuracy: result.greedyAccuracy,
      prompts: problems.length,
    });
    this.hooks.update('accuracy');
    this.hooks.progress(
      `${objective}${iteration > 0 ? `, iteration ${iteration}, epoch ${epoch}` : ''}: held-out greedy accuracy ${(100 * result.greedyAccuracy).toFixed(1)}%`,
    );
    return result.greedyAccuracy;
  }

  // ---- rollouts, judges, consensus ---------------------------------------------------

  private async data(iteration: number): Promise<void> {
    const { config } = this;
    const imported = this.deps.importedData;
    if (iteration === 1 && imported !== undefined) {
      if (JSON.stringify(imported.tokenizer) !== JSON.stringify(this.run.tokenizer)) {
        throw new Error(
          'The imported annotated data was tokenized by another π_ref: load the checkpoint of the run that made it (its reference/checkpoint.safetensors) first.',
        );
      }
      this.run.iterations.push({
        ...imported.data,
        iteration: 1,
        policyLogprobs: imported.data.records.map(() => null),
        policyLabel: null,
      });
      this.hooks.update('iteration');
      this.hooks.progress(`iteration 1: training on the imported data (${imported.data.records.length} responses)`);
      return;
    }
    const context = await this.gpu();
    const state = decodeCheckpoint(this.policyBytes!, 'the policy');
    const model = new Gpt2(context, state.config);
    model.loadParameters(state.parameters);
    const tokenizer = this.tokenizer!;
    let closePrm: (() => void) | null = null;
    const pool = await this.deps.createPool();
    try {
      const problems = rolloutProblems(this.task, config.prompts, config.difficulty, iteration);
      const byId = new Map<string, Problem>(problems.map((p) => [p.id, p]));
      const total = problems.length * config.group;
      this.hooks.progress(
        `iteration ${iteration}: sampling ${total} responses (${config.group} per prompt) at temperature ${config.temperature}…`,
      );
      // One prompt's group per GPU call keeps each call short, so a click waits at most one batch.
      const sampled: Rollout[] = [];
      const perCall = Math.max(1, Math.floor(GENERATION_ROWS / config.group));
      for (let start = 0; start < problems.length; start += perCall) {
        await this.control.tick();
        const chunk = problems.slice(start, start + perCall);
        sampled.push(
          ...(await sampleRollouts(model, tokenizer, this.task, chunk, {
            group: config.group,
            temperature: config.temperature,
            topK: 0,
            seed: (config.seed + iteration * 7919 + start) >>> 0,
            batchRows: GENERATION_ROWS,
          })),
        );
        this.hooks.progress(`iteration ${iteration}: sampled ${sampled.length}/${total} responses`);
      }
      const all = rolloutStats(sampled);
      const { kept, droppedGroups } = config.keepAll ? { kept: sampled, droppedGroups: 0 } : keepMixedGroups(sampled);
      if (kept.length === 0) {
        throw new Error(
          `iteration ${iteration}: every group was all right or all wrong (sampled accuracy ${((100 * all.positives) / all.responses).toFixed(1)}%), so no response carries an advantage. Train π_ref longer, raise G, or tick "keep all groups".`,
        );
      }

      let prm: Judge | undefined;
      if (config.judges.includes('prm')) {
        const trained = await trainPagePrm(context, { model, tokenizer, checkpoint: state }, this.task, kept, byId, {
          steps: config.prmSteps,
          maxResponses: 64,
          completions: 2,
          temperature: config.temperature,
          seed: config.seed,
          tick: () => this.control.tick(),
          progress: (line) => this.hooks.progress(`iteration ${iteration}: ${line}`),
        });
        prm = trained.judge;
        closePrm = trained.close;
      }
      const llm = config.judges.includes('llm') ? this.llmJudge() : undefined;
      const annotateConfig: AnnotateConfig = {
        task: this.task.name,
        tokenizer: tokenizer.toJSON(),
        segmenter: ANNOTATION_SEGMENTER,
        judges: config.judges,
        mode: config.consensus,
        oracle: true,
      };
      this.hooks.progress(
        `iteration ${iteration}: segmenting and judging ${kept.length} responses in a worker (${config.judges.join(' + ')}, ${config.consensus})…`,
      );
      const annotated = await annotateRollouts(kept, byId, annotateConfig, {
        pool,
        chunk: 8,
        llm,
        prm: prm as never,
        onChunk: (done, n) => this.hooks.progress(`iteration ${iteration}: judged ${done}/${n} responses`),
      });
      const records: AnnotatedRecord[] = annotated.map((a, i) => ({ ...kept[i], ...a }));
      const simulated = records[0]?.judges.filter((j) => j.simulated).map((j) => j.name) ?? [];
      const abstained = records.reduce((s, r) => s + r.consensus.abstained.reduce((a, b) => a + b, 0), 0);
      if (abstained > 0)
        this.hooks.notice(
          `Judges abstained on ${abstained} step verdicts (shown in the credit view); under "${config.consensus}" an abstention never makes a step correct. Training goes on.`,
          'warn',
        );
      const stats = rolloutStats(kept);
      const record: IterationRecord = {
        iteration,
        source: `rollouts of iteration ${iteration}`,
        dataset: { ...stats, droppedGroups, sampledAccuracy: all.positives / Math.max(1, all.responses) },
        annotation: { voters: [...config.judges], consensus: config.consensus, simulated },
        agreement: agreementFromAnnotated(records, 'oracle', {
          consensus: config.judges.length > 1 ? [config.consensus] : [],
          voters: config.judges,
        }),
        records,
        policyLogprobs: records.map(() => null),
        policyLabel: null,
      };
      this.run.iterations = this.run.iterations.filter((r) => r.iteration !== iteration);
      this.run.iterations.push(record);
      this.hooks.update('iteration');
      const mined = records.filter((r) => r.reward === 0 && r.beta_mask.includes(1)).length;
      this.hooks.progress(
        `iteration ${iteration}: ${stats.prompts} prompts, ${stats.responses} responses, ${stats.negatives} negatives (${mined} with mined steps); ${droppedGroups} all-right/all-wrong groups dropped`,
      );
    } finally {
      pool.terminate();
      closePrm?.();
      model.destroy();
    }
  }

  private llmJudge(): Judge {
    const endpoint = this.deps.llmEndpoint;
    if (endpoint === null) {
      return new LlmJudge({
        baseUrl: SIMULATED_BASE_URL,
        model: SIMULATED_MODEL,
        apiKey: 'gemstone-simulated-key',
        fetch: simulatedJudgeFetch({ noise: this.config.llmNoise, seed: 1 }),
        log: null,
        cache: null,
      });
    }
    // A failing endpoint must not stall the run: few retries, short backoff; its failures become abstentions.
    let shown = 0;
    return new LlmJudge({
      baseUrl: endpoint.baseUrl,
      model: endpoint.model,
      apiKey: endpoint.apiKey || undefined,
      retries: 1,
      timeoutMs: 30_000,
      backoffMaxMs: 2_000,
      concurrency: 4,
      log: (line) => {
        // The first few lines say what is wrong; the abstention count after annotation says how much.
        if (++shown <= 3)
          this.hooks.notice(shown === 3 ? `${line} (further judge messages are not shown)` : line, 'warn');
      },
    });
  }

  /** The annotated data in the CLI's file format (header line + records), for download. */
  annotatedJsonl(iteration: number): string {
    const it = this.run.iterations.find((r) => r.iteration === iteration);
    if (it === undefined) throw new Error(`no data for iteration ${iteration}.`);
    const header = annotatedHeaderFrom(
      {
        format: ROLLOUT_FORMAT,
        version: ROLLOUT_VERSION,
        task: this.task.name,
        tokenizer: this.run.tokenizer,
        vocab_size: this.modelConfig!.vocabSize,
        context_length: this.modelConfig!.contextLength,
        sampling: {
          temperature: this.config.temperature,
          top_k: 0,
          seed: this.config.seed,
          group_size: this.config.group,
        },
        policy: { checkpoint: 'gemstone demo', step: 0 },
      },
      {
        voters: it.annotation.voters,
        consensus: it.annotation.consensus as never,
        segmenter: `default(minChars=${ANNOTATION_SEGMENTER.minChars}, maxSteps=${ANNOTATION_SEGMENTER.maxSteps})`,
        oracle: true,
        simulated: it.annotation.simulated,
      },
    );
    return `${[header, ...it.records].map((r) => JSON.stringify(r)).join('\n')}\n`;
  }

  // ---- offline RL ----------------------------------------------------------------------

  /** Trains `objective` from the policy in `startBytes` on iteration `iteration`'s data; returns the trained policy's checkpoint. */
  private async train(
    run: 'main' | 'compare',
    objective: ObjectiveName,
    iteration: number,
    startBytes: Uint8Array,
  ): Promise<Uint8Array> {
    const { config } = this;
    const context = await this.gpu();
    const data = this.run.iterations.find((r) => r.iteration === iteration)!;
    const key = `${run}:${iteration}`;
    const resume = this.rlResume.get(key);
    const state = decodeCheckpoint(resume?.bytes ?? startBytes, 'the policy');
    const model = new Gpt2(context, state.config);
    model.loadParameters(state.parameters);
    const hyper = resolveHyper(objective, { beta: config.beta, tau: config.tau });
    const examples: RlExample[] = data.records.map((r) => ({
      group: r.prompt_id,
      promptTokens: r.prompt_tokens,
      responseTokens: r.response_tokens,
      refLogprobs: r.logprobs_ref,
      reward: r.reward,
      betaMask: r.beta_mask,
    }));
    const done = resume?.epochs ?? 0;
    const trainer = new OfflineRlTrainer(model, examples, {
      // A resumed run reshuffles its remaining epochs with another seed (the trainer's order is not part of its checkpoint).
      objective,
      hyper,
      groupsPerBatch: config.groupsPerBatch,
      seed: config.seed + 1000 * done,
      adamw: { ...DEFAULT_ADAMW, weightDecay: 0 },
      schedule: { maxLr: config.lr, minLr: config.lr, warmupSteps: 5, totalSteps: 1 },
    });
    try {
      if (resume !== undefined && state.optimizer !== undefined) {
        for (const spec of model.specs) {
          trainer.optimizer.m.upload(spec.name, state.optimizer.m[spec.name]);
          trainer.optimizer.v.upload(spec.name, state.optimizer.v[spec.name]);
        }
        trainer.optimizer.step = state.step;
      }
      this.run.rl = this.run.rl.filter((p) => !(p.run === run && p.iteration === iteration && p.step > trainer.step));
      const total = trainer.stepsPerEpoch * config.epochs;
      let bytes = resume?.bytes ?? startBytes;
      for (let epoch = done + 1; epoch <= config.epochs; epoch++) {
        for (let s = 0; s < trainer.stepsPerEpoch; s++) {
          await this.control.tick();
          const read = (trainer.step + 1) % config.readEvery === 0 || s + 1 === trainer.stepsPerEpoch;
          const result = await trainer.trainStep({ readTerms: read });
          await context.sync();
          if (read && result.terms) {
            this.run.rl.push({
              run,
              objective,
              iteration,
              step: result.step,
              epoch,
              terms: result.terms,
              gradNorm: result.gradNorm ?? 0,
            });
            this.hooks.update('rl');
            this.hooks.progress(
              `${objective}, iteration ${iteration}: step ${result.step}/${total} · J ${result.terms.objective.toFixed(4)} · |D| ${result.terms.meanAbsD.toFixed(3)}`,
            );
          }
        }
        const checkpoint = await trainer.checkpointState(this.extra('policy', { objective, hyper, iteration, epoch }));
        bytes = encodeCheckpoint(checkpoint);
        if (run === 'main') {
          // The credit view's ℓ: this policy's log-probs on the data it trains on.
          this.hooks.progress(`${objective}: log-probs of the training data for the credit view…`);
          data.policyLogprobs = await responseLogprobs(
            model,
            data.records.map((r) => ({ promptTokens: r.prompt_tokens, responseTokens: r.response_tokens })),
            16,
            () => this.control.tick(),
          );
          data.policyLabel = `${objective} after epoch ${epoch} of iteration ${iteration}`;
          this.hooks.update('credit');
        }
        await this.evaluateInto(model, objective, iteration, epoch, run);
        this.rlResume.set(key, { bytes, epochs: epoch });
        if (run === 'main') {
          this.policyBytes = encodeCheckpoint({ ...checkpoint, optimizer: undefined });
          this.hooks.update('checkpoint');
        }
      }
      return run === 'main' ? this.policyBytes! : bytes;
    } finally {
      trainer.destroy();
      model.destroy();
    }
  }
}
