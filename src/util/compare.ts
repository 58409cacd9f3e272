// Comparing GPU results with the CPU twin: |actual − expected| ≤ atol + rtol · |expected|.
type Numbers = { length: number; [i: number]: number };

export interface Tolerance {
  atol: number;
  rtol: number;
}

export interface CloseReport {
  ok: boolean;
  worstIndex: number;
  worstError: number;
  actual: number;
  expected: number;
  message: string;
}

export function compareClose(actual: Numbers, expected: Numbers, { atol, rtol }: Tolerance): CloseReport {
  if (actual.length !== expected.length) {
    return {
      ok: false,
      worstIndex: -1,
      worstError: Infinity,
      actual: NaN,
      expected: NaN,
      message: `length ${actual.length} ≠ expected ${expected.length}`,
    };
  }
  let worstIndex = -1;
  let worstExcess = 0;
  let worstError = 0;
  for (let i = 0; i < actual.length; i++) {
    const error = Math.abs(actual[i] - expected[i]);
    const allowed = atol + rtol * Math.abs(expected[i]);
    const excess = Number.isNaN(error) ? Infinity : error - allowed;
    if (excess > worstExcess || (worstIndex < 0 && excess > 0)) {
      worstExcess = excess;
      worstIndex = i;
    }
    if (error > worstError || Number.isNaN(error)) worstError = error;
  }
  const ok = worstIndex < 0;
  const at = ok ? 0 : worstIndex;
  return {
    ok,
    worstIndex,
    worstError,
    actual: actual[at],
    expected: expected[at],
    message: ok
      ? `max |error| ${worstError.toExponential(2)} within atol ${atol} + rtol ${rtol}`
      : `at index ${worstIndex}: got ${actual[at]}, expected ${expected[at]} ` +
        `(|error| ${Math.abs(actual[at] - expected[at]).toExponential(2)} > atol ${atol} + rtol ${rtol}·|expected|)`,
  };
}

export function assertClose(what: string, actual: Numbers, expected: Numbers, tolerance: Tolerance): void {
  const report = compareClose(actual, expected, tolerance);
  if (!report.ok) throw new Error(`${what}: ${report.message}`);
}
