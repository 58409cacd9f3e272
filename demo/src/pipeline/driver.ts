// The whole pipeline as the page runs it (and demo/scripts/make-example.ts, in
// Node), over the stage library (src/pipeline/) that the CLI runs too: π_ref
// SFT → per iteration: rollouts → (PRM) → segmentation, judges and consensus
// in workers → offline RL with held-out evaluation per epoch → the next
// iteration samples from the trained policy; then, optionally, a second
// objective trained on the first iteration's data for comparison.
//
// What is the page's: the artifacts live in IndexedDB or memory (deps.store), every unit
// of work yields to the page (control.tick) where pause and reset take effect,
// the GPU is read back only every `readEvery` steps, and the run is recorded
// for the charts and the credit view. A lost GPU device is recovered from: a
// new device, and the stage run again, which resumes from its last checkpoint
// exactly as a resumed CLI run does (the same batch order).
import { decodeCheckpoint, encodeCheckpoint, type CheckpointState } from '../../../src/checkpoint/checkpoint.ts';
import { annotatedHeaderFrom } from '../../../src/data/annotated.ts';
import { ROLLOUT_FORMAT, ROLLOUT_VERSION, rolloutStats } from '../../../src/data/rollouts.ts';
import type { PromptCompletion } from '../../../src/data/sft-data.ts';
import { CharTokenizer } from '../../../src/data/tokenizer.ts';
import type { GpuContext } from '../../../src/gpu/context.ts';
import { describeReport } from '../../../src/gpu/device.ts';
import { agreementFromAnnotated } from '../../../src/judge/annotate.ts';
import type { Judge } from '../../../src/judge/judge.ts';
import { LlmJudge } from '../../../src/judge/llm-judge.ts';
import { simulatedLlmJudge } from '../../../src/judge/simulated-llm.ts';
import { parameterCount, type ModelConfig } from '../../../src/model/config.ts';
import type { Gpt2 } from '../../../src/model/gpt2.ts';
import type { ObjectiveName } from '../../../src/objectives/index.ts';
import { segmenterName } from '../../../src/pipeline/annotate.ts';
import { readAnnotated } from '../../../src/pipeline/artifacts.ts';
import { ANNOTATE_DEFAULTS, PROFILES } from '../../../src/pipeline/defaults.ts';
import { describeAccuracy } from '../../../src/pipeline/evaluate.ts';
import { CHECKPOINT, type PolicyRef } from '../../../src/pipeline/face.ts';
import type { ProgressSink, StageHooks } from '../../../src/pipeline/hooks.ts';
import { memoryFace, type MemoryFace } from '../../../src/pipeline/memory-face.ts';
import { learnedRegime, type PolicyExtra } from '../../../src/pipeline/policy.ts';
import { roundSettings } from '../../../src/pipeline/pipeline.ts';
import { dataRound, trainRound } from '../../../src/pipeline/rounds.ts';
import { sftStage, taskRecords } from '../../../src/pipeline/sft.ts';
import type { ArtifactStore } from '../../../src/pipeline/store.ts';
import { getTask } from '../../../src/tasks/index.ts';
import { describeRegime, sameRegime } from '../../../src/tasks/solver-spec.ts';
import { DEFAULT_ADAMW } from '../../../src/train/optimizer.ts';
import type { WorkerPool } from '../../../src/workers/pool.ts';
import { configRegime, type DemoConfig } from '../config.ts';
import { Cancelled, type RunControl } from './control.ts';
import { responseLogprobs } from './logprobs.ts';
import { addCurve, type MechanismRecord, newMechanism, parseMechanism } from './mechanism.ts';
import { emptyRun, type IterationRecord, type RunRecord } from './run-record.ts';

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
  /**
   * Annotated data imported from a CLI run: iteration 1 trains on it instead of sampling
   * (needs the π_ref that made it).
   */
  importedData?: { data: IterationRecord; tokenizer: unknown };
  /** Where the run's artifacts live (default: memory); what it holds already is resumed from. */
  store?: ArtifactStore;
}

export interface PipelineHooks {
  stage(name: string): void;
  progress(line: string): void;
  /** Something in `run` changed (a chart or view may redraw). */
  update(what: 'sft' | 'rl' | 'accuracy' | 'iteration' | 'credit' | 'checkpoint' | 'mechanism'): void;
  notice(message: string, level: 'info' | 'warn'): void;
}

/** Rows generated together: one call stays short, so a click waits at most one batch. */
const GENERATION_ROWS = 64;
const MAX_RESUMES = 3;
/** Traces need up to 128 characters: every preset gets that context here (the tiny preset's 32 would cut them). */
const PAGE_CONTEXT = 128;
const NO_PROGRESS: ProgressSink = { update() {}, stop() {} };
/** The mechanism plot's data in the run's store, so a reload draws it again. */
export const MECHANISM_FILE = 'mechanism.json';

/** The knobs as --solver text for π_ref's SFT: none for the solver's defaults (the checkpoint then records none). */
const referenceSolver = (config: DemoConfig): string | undefined => (config.solver === '' ? undefined : config.solver);

/** π_ref's SFT traces in the config's regime: the noisy solver's, as the CLI's --solver and --difficulty draw them. */
export function referenceRecords(config: DemoConfig): PromptCompletion[] {
  const task = getTask(config.task);
  return taskRecords(task, config.records, config.difficulty, config.seed, referenceSolver(config));
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
  /** The policy the next round samples from. */
  private policy: PolicyRef | null = null;
  private readonly face: MemoryFace;
  private readonly started = performance.now();

  /** The run's task: a built-in one (the page loads no task modules). */
  private get task() {
    return getTask(this.config.task);
  }

  constructor(
    readonly config: DemoConfig,
    private readonly deps: PipelineDeps,
    private readonly hooks: PipelineHooks,
    private readonly control: RunControl,
  ) {
    this.run = emptyRun(structuredClone(config));
    this.face = memoryFace({
      context: () => this.gpu(),
      pool: () => this.deps.createPool(),
      hooks: this.stageHooks(),
      llmJudge: () => this.llmJudge(),
      task: getTask(config.task),
      store: deps.store,
    });
  }

  /** Runs every stage; resolves when done, rejects with Cancelled after reset. */
  async start(): Promise<void> {
    try {
      await this.restoreMechanism();
      await this.stage('π_ref', () => this.reference());
      const reference = this.policy!;
      for (let it = 1; it <= this.config.iterations; it++) {
        await this.stage(`iteration ${it}: rollouts and judges`, () => this.data(it));
        const start = this.policy!;
        this.policy = await this.stage(`iteration ${it}: ${this.config.objective}`, () =>
          this.train('main', this.config.objective, it, start),
        );
      }
      if (this.config.compare !== '' && this.run.iterations.length > 0) {
        const objective = this.config.compare;
        await this.stage(`comparison: ${objective} on iteration 1's data`, () =>
          this.train('compare', objective, 1, reference),
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

  /** The stage library's hooks in the page: lines on the status line, the SFT chart, pause and reset at each tick. */
  private stageHooks(): StageHooks {
    return {
      stage: 'page',
      log: (line) => this.hooks.progress(line),
      warn: (line) => this.hooks.notice(line, 'warn'),
      event: (name, data) => {
        if (name !== 'sft') return;
        const point = { step: data.step as number, loss: data.loss as number, lr: data.lr as number };
        // A stage resumed after a device loss repeats the steps after its checkpoint.
        this.run.sft = this.run.sft.filter((p) => p.step < point.step);
        this.run.sft.push(point);
        this.hooks.update('sft');
        this.hooks.progress(`π_ref SFT step ${point.step}/${this.config.sftSteps} · loss ${point.loss.toFixed(4)}`);
      },
      progress: () => NO_PROGRESS,
      stopRequested: () => false,
      stopHere: () => {},
      tick: async () => {
        await this.control.tick();
        // Submitted work is waited for, so the GPU queue never runs far ahead of a pause.
        await this.context?.sync();
      },
    };
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
    const store = this.face.store.at('reference');
    this.policy = { store, name: CHECKPOINT };
    if (this.deps.reference !== undefined) {
      // A checkpoint the person brought: it is π_ref as it is.
      this.adopt(decodeCheckpoint(this.deps.reference, 'the loaded checkpoint'));
      await store.write(CHECKPOINT, this.deps.reference);
      this.referenceBytes = this.deps.reference;
      this.policyBytes = this.deps.reference;
      return;
    }
    let warm: CheckpointState | null = null;
    if (config.ref === 'bundled') {
      if (this.task.name !== 'arithmetic')
        this.hooks.notice(
          `The bundled π_ref learned arithmetic; training π_ref for ${this.task.name} from scratch instead.`,
          'info',
        );
      else if (config.preset !== 'tiny')
        this.hooks.notice(
          `The bundled π_ref is the tiny preset; training the ${config.preset} preset from scratch instead.`,
          'info',
        );
      else {
        warm = decodeCheckpoint(await this.deps.loadBundledReference(), 'pi-ref-tiny.safetensors');
        const learned = learnedRegime(warm.extra as PolicyExtra);
        const asked = configRegime(config);
        if (!sameRegime(this.task, learned, asked))
          this.hooks.notice(
            `The bundled π_ref learned the traces of ${describeRegime(learned)}; continuing its SFT in this run's ` +
              `regime (${describeRegime(asked)}).`,
            'info',
          );
      }
    }
    const context = await this.gpu();
    // Continuing a trained π_ref: a tenth of the learning rate, so fresh AdamW moments
    // do not knock it off what it learned.
    const lr = warm !== null ? config.sftLr / 10 : config.sftLr;
    const records = referenceRecords(config);
    const result = await this.face.stages.run('reference', 'π_ref', (hooks) =>
      sftStage(
        context,
        this.task,
        records,
        {
          preset: config.preset,
          steps: config.sftSteps,
          batchSize: config.sftBatch,
          microBatches: 1,
          lr,
          warmup: Math.min(20, Math.max(1, Math.floor(config.sftSteps / 10))),
          weightDecay: DEFAULT_ADAMW.weightDecay,
          maxGradNorm: DEFAULT_ADAMW.maxGradNorm,
          seed: config.seed,
          logEvery: config.readEvery,
          checkpointEvery: Math.max(config.readEvery * 4, 20),
          contextCap: PAGE_CONTEXT,
          difficulty: config.difficulty,
          solver: referenceSolver(config),
        },
        store,
        hooks,
        warm,
      ).then((r) => {
        r.policy.model.destroy();
        return r.state;
      }),
    );
    this.adopt(result);
    this.referenceBytes = encodeCheckpoint({ ...result, optimizer: undefined });
    this.policyBytes = this.referenceBytes;
    this.hooks.update('checkpoint');
  }

  /** Takes tokenizer and model shape from a checkpoint written by this page or by `gemstone sft --task`. */
  private adopt(state: CheckpointState): void {
    const extra = (state.extra ?? {}) as Partial<PolicyExtra>;
    if (extra.tokenizer === undefined)
      throw new Error('This checkpoint holds no tokenizer: use one written by the demo or by `gemstone sft --task`.');
    if (extra.task !== undefined && extra.task !== null && extra.task !== this.task.name)
      throw new Error(
        `This checkpoint learned the task "${extra.task}"; this run's task is "${this.task.name}" ` +
          '(choose that task, or another checkpoint).',
      );
    this.tokenizer = CharTokenizer.fromJSON(extra.tokenizer);
    this.modelConfig = state.config;
    this.describeModel();
  }

  private describeModel(): void {
    this.run.tokenizer = this.tokenizer!.toJSON();
    this.run.contextLength = this.modelConfig!.contextLength;
    this.run.parameters = parameterCount(this.modelConfig!);
  }

  // ---- rollouts, judges, consensus ---------------------------------------------------

  private async data(iteration: number): Promise<void> {
    const { config } = this;
    const name = `iteration-${iteration}`;
    const store = this.face.store.at(name);
    const imported = this.deps.importedData;
    if (iteration === 1 && imported !== undefined) {
      if (JSON.stringify(imported.tokenizer) !== JSON.stringify(this.run.tokenizer)) {
        throw new Error(
          'The imported annotated data was tokenized by another π_ref: load the checkpoint of the run that made it ' +
            '(its reference/checkpoint.safetensors) first.',
        );
      }
      const record: IterationRecord = {
        ...imported.data,
        iteration: 1,
        policyLogprobs: imported.data.records.map(() => null),
        policyLabel: null,
      };
      this.run.iterations.push(record);
      await store.write('annotated.jsonl', new TextEncoder().encode(this.annotatedJsonl(1)));
      await this.followResponses(record);
      this.hooks.update('iteration');
      this.hooks.progress(`iteration 1: training on the imported data (${imported.data.records.length} responses)`);
      return;
    }
    const P = PROFILES.software.pipeline;
    const { rollout } = await dataRound(this.face, {
      name,
      store,
      policy: this.policy!,
      policyLabel: iteration === 1 ? 'π_ref' : `the policy of iteration ${iteration - 1}`,
      // The CLI's settings of a round: the same prompts and seeds for the same config.
      ...roundSettings(
        {
          ...config,
          prmBatchSize: P.prmBatchSize,
          prmLr: P.prmLr,
          batch: GENERATION_ROWS,
          checkpointEvery: P.checkpointEvery,
        },
        {
          round: iteration - 1,
          seed: config.seed + iteration,
          prmSeed: config.seed,
          prm: config.judges.includes('prm'),
        },
      ),
      annotate: {
        ...ANNOTATE_DEFAULTS,
        judges: config.judges,
        consensus: config.consensus,
        workers: 1,
      },
    });
    const { records } = await readAnnotated(store);
    const simulated = records[0]?.judges.filter((j) => j.simulated).map((j) => j.name) ?? [];
    const stats = rolloutStats(records);
    const record: IterationRecord = {
      iteration,
      source: `rollouts of iteration ${iteration}`,
      dataset: {
        ...stats,
        droppedGroups: rollout.droppedGroups,
        sampledAccuracy: rollout.sampled.positives / Math.max(1, rollout.sampled.responses),
      },
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
    if (iteration === 1) await this.followResponses(record);
    this.hooks.update('iteration');
    const mined = records.filter((r) => r.reward === 0 && r.beta_mask.includes(1)).length;
    this.hooks.progress(
      `iteration ${iteration}: ${stats.prompts} prompts, ${stats.responses} responses, ${stats.negatives} negatives ` +
        `(${mined} with mined steps); ${rollout.droppedGroups} all-right/all-wrong groups dropped`,
    );
  }

  private llmJudge(): Judge {
    const endpoint = this.deps.llmEndpoint;
    if (endpoint === null) {
      return simulatedLlmJudge({ noise: this.config.llmNoise, seed: 1 });
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
        segmenter: segmenterName(ANNOTATE_DEFAULTS),
        oracle: true,
        simulated: it.annotation.simulated,
      },
    );
    return `${[header, ...it.records].map((r) => JSON.stringify(r)).join('\n')}\n`;
  }

  // ---- the mechanism plot ----------------------------------------------------------------

  /** A run resumed from the page's store draws what its mechanism plot held before the reload. */
  private async restoreMechanism(): Promise<void> {
    const bytes = await this.face.store.read(MECHANISM_FILE);
    if (bytes === null) return;
    try {
      this.run.mechanism = parseMechanism(new TextDecoder().decode(bytes), this.face.store.locate(MECHANISM_FILE));
      this.hooks.update('mechanism');
    } catch (error) {
      this.hooks.notice(`${(error as Error).message} The per-step plot starts anew.`, 'warn');
    }
  }

  /** Chooses the wrong responses to follow on the data both objectives train on (kept when resumed). */
  private async followResponses(data: IterationRecord): Promise<void> {
    const fresh = newMechanism(data.iteration, data.records);
    const kept = this.run.mechanism;
    if (
      kept == null ||
      kept.iteration !== fresh.iteration ||
      JSON.stringify(kept.responses) !== JSON.stringify(fresh.responses)
    ) {
      this.run.mechanism = fresh;
      await this.saveMechanism();
    }
    this.hooks.update('mechanism');
  }

  /**
   * One policy's log-probs of the followed responses after an epoch: taken from the credit view's log-probs
   * when the main run has them, else one forward over the followed responses.
   */
  private async recordMechanism(
    run: 'main' | 'compare',
    objective: ObjectiveName,
    epoch: number,
    model: Gpt2,
    all: readonly (number[] | null)[] | null,
  ): Promise<void> {
    const mechanism = this.run.mechanism;
    if (mechanism == null || mechanism.responses.length === 0) return;
    const data = this.run.iterations.find((r) => r.iteration === mechanism.iteration);
    if (data === undefined) return;
    let logprobs: number[][];
    if (all !== null) logprobs = mechanism.responses.map((r) => all[r.record] ?? []);
    else {
      this.hooks.progress(`${objective}: log-probs of the followed wrong responses…`);
      logprobs = await responseLogprobs(
        model,
        mechanism.responses.map((r) => ({
          promptTokens: data.records[r.record].prompt_tokens,
          responseTokens: data.records[r.record].response_tokens,
        })),
        16,
        () => this.control.tick(),
      );
    }
    addCurve(mechanism, { run, objective, epoch, logprobs });
    await this.saveMechanism();
    this.hooks.update('mechanism');
  }

  private async saveMechanism(): Promise<void> {
    const text = JSON.stringify(this.run.mechanism satisfies MechanismRecord | null | undefined);
    await this.face.store.write(MECHANISM_FILE, new TextEncoder().encode(text));
  }

  // ---- offline RL ----------------------------------------------------------------------

  /** Trains `objective` from `start` on iteration `iteration`'s data; returns where the trained policy is. */
  private async train(
    run: 'main' | 'compare',
    objective: ObjectiveName,
    iteration: number,
    start: PolicyRef,
  ): Promise<PolicyRef> {
    const { config } = this;
    const data = this.run.iterations.find((r) => r.iteration === iteration)!;
    const name = run === 'main' ? `iteration-${iteration}` : `compare-${objective}`;
    const out = this.face.store.at(run === 'main' ? `iteration-${iteration}/policy` : `compare/${objective}`);
    const total = { steps: 0 };
    await trainRound(
      this.face,
      {
        stage: `${name}/train`,
        title: `${objective}, iteration ${iteration}`,
        policy: start,
        data: { store: this.face.store.at(`iteration-${iteration}`), name: 'annotated.jsonl' },
        out,
        rl: {
          objective,
          beta: config.beta,
          tau: config.tau,
          groupsPerBatch: config.groupsPerBatch,
          lr: config.lr,
          seed: config.seed,
          epochs: config.epochs,
          evalPrompts: config.evalPrompts,
          evalSamples: config.evalSamples,
          batch: GENERATION_ROWS,
          logEvery: config.readEvery,
          checkpointEvery: PROFILES.software.pipeline.checkpointEvery,
          extra: { iteration },
          onStep: (result, epoch) => {
            if (!result.terms) return;
            // A stage resumed after a device loss repeats the steps after its checkpoint.
            this.run.rl = this.run.rl.filter(
              (p) => !(p.run === run && p.iteration === iteration && p.step >= result.step),
            );
            this.run.rl.push({
              run,
              objective,
              iteration,
              step: result.step,
              epoch,
              terms: result.terms,
              gradNorm: result.gradNorm ?? 0,
            });
            total.steps = Math.max(total.steps, result.step);
            this.hooks.update('rl');
            this.hooks.progress(
              `${objective}, iteration ${iteration}: step ${result.step} · J ${result.terms.objective.toFixed(4)} · ` +
                `|D| ${result.terms.meanAbsD.toFixed(3)}`,
            );
          },
          onEpoch: async (epoch, trainer) => {
            if (run !== 'main') {
              await this.recordMechanism(run, objective, epoch, trainer.model, null);
              return;
            }
            const state = await trainer.checkpointState({
              ...(decodeCheckpoint((await start.store.read(start.name))!, 'the policy').extra as object),
              kind: 'policy',
              objective,
              iteration,
              epoch,
            });
            this.policyBytes = encodeCheckpoint({ ...state, optimizer: undefined });
            this.hooks.update('checkpoint');
            // The credit view's ℓ: this policy's log-probs on the data it trains on.
            this.hooks.progress(`${objective}: log-probs of the training data for the credit view…`);
            data.policyLogprobs = await responseLogprobs(
              trainer.model,
              data.records.map((r) => ({ promptTokens: r.prompt_tokens, responseTokens: r.response_tokens })),
              16,
              () => this.control.tick(),
            );
            data.policyLabel = `${objective} after epoch ${epoch} of iteration ${iteration}`;
            this.hooks.update('credit');
            if (iteration === 1) await this.recordMechanism(run, objective, epoch, trainer.model, data.policyLogprobs);
          },
          onEvaluation: (e) => {
            // Epoch 0 is the starting policy: π_ref once, and already shown for a later iteration or the comparison.
            if (e.epoch === 0 && (run !== 'main' || iteration > 1)) return;
            const reference = e.epoch === 0;
            this.run.accuracy = this.run.accuracy.filter(
              (p) => !(p.run === run && p.iteration === (reference ? 0 : iteration) && p.epoch === e.epoch),
            );
            this.run.accuracy.push({
              run,
              objective: reference ? 'π_ref' : objective,
              iteration: reference ? 0 : iteration,
              epoch: e.epoch,
              x: run === 'main' ? (reference ? 0 : (iteration - 1) * config.epochs + e.epoch) : e.epoch,
              accuracy: e.accuracy,
              greedy: e.greedyAccuracy,
              measure: describeAccuracy(e),
              prompts: e.prompts,
            });
            this.hooks.update('accuracy');
            this.hooks.progress(
              `${reference ? 'π_ref' : `${objective}, iteration ${iteration}, epoch ${e.epoch}`}: held-out ` +
                `${describeAccuracy(e)} ${(100 * e.accuracy).toFixed(1)}% · greedy ` +
                `${(100 * e.greedyAccuracy).toFixed(1)}%`,
            );
          },
        },
      },
      async (_trained, r) => {
        if (run === 'main') {
          this.policyBytes = encodeCheckpoint(r.state);
          this.hooks.update('checkpoint');
        }
        return r.steps;
      },
    );
    return { store: out, name: CHECKPOINT };
  }
}
