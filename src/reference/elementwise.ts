// CPU twins of shaders/elementwise.wgsl.
type Numbers = { length: number; [i: number]: number };

export const elementwiseReference = {
  add: (x: Numbers, y: Numbers, out: Numbers) => forEach(out, (i) => x[i] + y[i]),
  mul: (x: Numbers, y: Numbers, out: Numbers) => forEach(out, (i) => x[i] * y[i]),
  scale: (alpha: number, x: Numbers, out: Numbers) => forEach(out, (i) => alpha * x[i]),
  axpy: (alpha: number, x: Numbers, out: Numbers) => forEach(out, (i) => out[i] + alpha * x[i]),
  fill: (alpha: number, out: Numbers) => forEach(out, () => alpha),
};

function forEach(out: Numbers, f: (i: number) => number): Numbers {
  for (let i = 0; i < out.length; i++) out[i] = f(i);
  return out;
}
