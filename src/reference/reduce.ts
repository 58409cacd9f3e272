// CPU twins of shaders/reduce.wgsl.
type Numbers = { length: number; [i: number]: number };

export function rowSumReference(x: Numbers, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) out[r] += x[r * cols + j];
  return out;
}

export function rowMaxReference(x: Numbers, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows).fill(-3.402823e38);
  for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) out[r] = Math.max(out[r], x[r * cols + j]);
  return out;
}

/** CPU twin of shaders/scale_rows.wgsl: x[r, :] *= s[r]. */
export function scaleRowsReference(s: Numbers, x: Numbers, rows: number, cols: number): Numbers {
  for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) x[r * cols + j] *= s[r];
  return x;
}
