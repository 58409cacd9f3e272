// Run by test/tasks-deno.test.ts: in Deno, load tasks by name and by path,
// hold them to the contract, and take them through the task-side stages.
// Prints one JSON line: what each task gave.
import { modelFreeRollout } from '../../src/data/solver-rollouts.ts';
import { annotateRollout } from '../../src/judge/annotate.ts';
import { OracleJudge } from '../../src/judge/oracle-judge.ts';
import { RuleJudge } from '../../src/judge/rule-judge.ts';
import { defaultSegmenter } from '../../src/segment/index.ts';
import { checkTask } from '../../src/tasks/check.ts';
import { loadTask } from '../../src/tasks/load.ts';
import { taskTokenizer } from '../../src/tasks/tokenizer.ts';
import { sftRecords } from '../../src/tasks/traces.ts';

const out: Record<string, unknown> = { runtime: 'Deno' in globalThis ? 'deno' : 'other' };
for (const specifier of Deno.args) {
  const task = await loadTask(specifier);
  const report = checkTask(task, { seeds: 32 });
  const records = sftRecords(task, task.solver({ seed: 3 }), { count: 16, seedStart: 0, difficulty: 1 });
  const tokenizer = taskTokenizer(
    task,
    records.flatMap((r) => [r.prompt, r.completion]),
  );
  const judges = [new OracleJudge(task), ...(task.ruleFindings ? [new RuleJudge({ task })] : [])];
  let negatives = 0;
  let kept = 0;
  for (let seed = 0; seed < 16; seed++) {
    const problem = task.generate(seed, 1);
    const response = task.solver({ seed: 7, slipRate: 0.4 }).solve(problem).text;
    const annotated = await annotateRollout(
      modelFreeRollout(task, problem, response, tokenizer),
      problem,
      tokenizer,
      defaultSegmenter(task),
      judges,
      'and',
    );
    if (annotated.reward === 0) negatives++;
    kept += annotated.beta_mask.filter((m) => m === 1).length;
  }
  out[task.name] = { rules: report.rules.length, rejected: report.rejected, negatives, kept, vocab: tokenizer.size };
}
console.log(JSON.stringify(out));
