// The uniform of every matmul kernel (src/kernels/matmul.ts writes it): C[M×N] = op(A) · op(B), inner size K.
// accumulate: 0 writes the product, 1 adds it to C, 2 continues C's sums (each output's running sum starts from C
// instead of 0, so a product split along K sums in one dispatch's order). strideA/B/C: the batch strides in floats.
// lda/ldb/ldc: the row strides in floats, each operand's row length as stored, longer than its row in the product
// when the dispatch covers a block of columns of a larger matrix (a piece of the LM head, src/kernels/matmul.ts).
struct Dims {
  M: u32, N: u32, K: u32, accumulate: u32, strideA: u32, strideB: u32, strideC: u32, lda: u32,
  ldb: u32, ldc: u32, pad0: u32, pad1: u32,
}
