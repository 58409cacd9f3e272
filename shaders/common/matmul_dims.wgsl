// The uniform of every matmul kernel (src/kernels/matmul.ts writes it): C[M×N] = op(A) · op(B),
// inner size K, C added to when accumulate ≠ 0, and the batch strides in floats.
struct Dims { M: u32, N: u32, K: u32, accumulate: u32, strideA: u32, strideB: u32, strideC: u32, pad: u32 }
