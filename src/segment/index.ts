// The segmenter registry (docs/algorithms.md §2): 'newline', 'markers', and
// 'default', the composition of both with merging and a cap.
//
// defaultSegmenter(task?): cuts at every line break (newline.ts) and before
// every reflection / transition marker at a sentence start (markers.ts; with
// a task, its stepMarkers too), then merges segments shorter than minChars and marker-only ones, then
// caps the step count (merge.ts). Defaults, this project's choice: minChars 8
// (a bare "So 12." folds into the step before, while the built-in task's
// shortest line, "Answer: 0", stays a step), maxSteps 64. On well-formed
// built-in traces it gives the task's natural one-line-a-step segmentation.
import { findTask } from '../tasks/index.ts';
import type { Task } from '../tasks/task.ts';
import { finishSpans, type MergeOptions } from './merge.ts';
import { markerCuts, markerOnlyTest, MarkerSegmenter, type MarkerOptions } from './markers.ts';
import { newlineCuts, NewlineSegmenter, type NewlineOptions } from './newline.ts';
import type { Segmenter, StepSpan } from './segmenter.ts';

export type { Segmenter, StepSpan } from './segmenter.ts';
export { tokenSteps } from './segmenter.ts';
export { capSteps, checkPartition, mergeShort, spansFromCuts, type MergeOptions } from './merge.ts';
export { isSentenceStart, markerCuts, REFLECTION_MARKERS, type MarkerOptions } from './markers.ts';
export { newlineCuts, type NewlineOptions } from './newline.ts';

export interface SegmenterOptions extends NewlineOptions, MarkerOptions, MergeOptions {
  /** The task (or a built-in task's name): adds its own markers (Task.stepMarkers). */
  task?: Task | string;
}

export const DEFAULT_MIN_CHARS = 8;
export const DEFAULT_MAX_STEPS = 64;

/** A task's own markers; a name that is no built-in task's adds none. */
function taskMarkers(task: Task | string | undefined): readonly string[] {
  const found = typeof task === 'string' ? findTask(task) : task;
  return found?.stepMarkers ?? [];
}

/** Newline and marker cuts together, then merging and the cap. */
export class ComposedSegmenter implements Segmenter {
  readonly name = 'default';
  private readonly markerOptions: MarkerOptions;
  private readonly isMarkerOnly: (content: string) => boolean;

  constructor(readonly options: SegmenterOptions = {}) {
    this.markerOptions = {
      markers: options.markers,
      extraMarkers: [...(options.extraMarkers ?? []), ...taskMarkers(options.task)],
    };
    this.isMarkerOnly = options.isMarkerOnly ?? markerOnlyTest(this.markerOptions);
  }

  segment(response: string): StepSpan[] {
    const cuts = [...newlineCuts(response, this.options), ...markerCuts(response, this.markerOptions)];
    return finishSpans(response, cuts, {
      minChars: this.options.minChars ?? DEFAULT_MIN_CHARS,
      maxSteps: this.options.maxSteps ?? DEFAULT_MAX_STEPS,
      isMarkerOnly: this.isMarkerOnly,
    });
  }
}

/** The default segmenter, with the markers of `task` when it has any. */
export function defaultSegmenter(task?: Task | string, options: Omit<SegmenterOptions, 'task'> = {}): Segmenter {
  return new ComposedSegmenter({ ...options, task });
}

const SEGMENTERS: Record<string, (options: SegmenterOptions) => Segmenter> = {
  newline: (o) => new NewlineSegmenter(o),
  paragraph: (o) => new NewlineSegmenter({ ...o, paragraph: true }),
  markers: (o) => new MarkerSegmenter({ ...o, extraMarkers: [...(o.extraMarkers ?? []), ...taskMarkers(o.task)] }),
  default: (o) => new ComposedSegmenter(o),
};

export const SEGMENTER_NAMES: readonly string[] = Object.keys(SEGMENTERS);

/**
 * A segmenter by name. 'newline' and 'markers' apply only their own cuts, and
 * merge or cap only when options say so (minChars, maxSteps; whitespace-only
 * segments always merge); 'default' uses the defaults above.
 */
export function getSegmenter(name: string, options: SegmenterOptions = {}): Segmenter {
  const make = Object.hasOwn(SEGMENTERS, name) ? SEGMENTERS[name] : undefined;
  if (!make) throw new Error(`Unknown segmenter "${name}"; the segmenters are: ${SEGMENTER_NAMES.join(', ')}.`);
  return make(options);
}
