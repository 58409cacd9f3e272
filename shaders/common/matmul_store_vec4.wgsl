// The store of a register-blocked matmul whose C is array<vec4<f32>>: statements, included inside
// `main` after the K loop. Uses its acc[TM][TN4], row0, col0 (first vec4 column), cBase, N4 and ldc4.
// Rows past M and vec4 columns past N/4 are the edge threads' clamped reads: they are not stored.
  for (var i = 0u; i < TM; i++) {
    let r = row0 + i;
    if (r >= d.M) { break; }
    for (var j = 0u; j < TN4; j++) {
      let cc = col0 + j;
      if (cc >= N4) { break; }
      let idx = cBase + r * ldc4 + cc;
      if (d.accumulate == 1u) { c[idx] = c[idx] + acc[i][j]; } else { c[idx] = acc[i][j]; }
    }
  }
