// F5Tts.Ops: fused kernels for the F5-TTS DiT step, registered with ONNX Runtime as the custom-op domain "f5tts.ops".
// Why they exist and their exact mathematics: docs/custom-ops.md. This header is the boundary between the ONNX Runtime
// glue (f5tts_ops.cc, plain C++) and the CUDA kernels (f5tts_ops_cuda.cu), so the .cc never includes CUDA headers.
#pragma once

#include <cstdint>

namespace f5tts_ops {

// GatedResidualNorm / ModulatedNorm over `rows` rows of `dim` values; the row r belongs to item r / frames.
//   h = x + gate[item] * (delta + bias)      (gated: delta, bias, gate present; otherwise h = x)
//   y = (h - mean(h)) / sqrt(var(h) + eps) * scale1[item] + shift[item]
struct NormArgs {
  const void* x;
  const void* delta;   // [rows, dim] or nullptr
  const void* bias;    // [dim] or nullptr
  const void* gate;    // [items, dim] or nullptr
  const void* scale1;  // [items, dim]: 1 + scale, folded by the exporter
  const void* shift;   // [items, dim]
  void* y;             // [rows, dim]
  void* h;             // [rows, dim] or nullptr (ModulatedNorm)
  int64_t rows;
  int64_t frames;
  int64_t dim;
  float epsilon;
};

// QkvRotary: splits one q|k|v projection, adds its bias and rotates q and k (interleaved pairs, per head):
//   (a, b) at frame n, pair i  ->  (a cos[n,i] - b sin[n,i],  b cos[n,i] + a sin[n,i])   for heads < rotary_heads
struct QkvArgs {
  const void* qkv;   // [rows, 3 * inner]
  const void* bias;  // [3 * inner]
  const void* cos;   // [max_frames, dim_head / 2]
  const void* sin;
  void* q;           // [rows, inner] each
  void* k;
  void* v;
  int64_t rows;
  int64_t frames;
  int64_t inner;
  int64_t dim_head;
  int64_t rotary_heads;
};

// ConvPositionEmbedding: the DiT's convolutional position embedding with its residual, channels-last (no layout
// transposes), over `items` rows of `frames` frames of `dim` channels:
//   u = keep * x;   v = keep * mish(conv1(u) + b1);   y = x + keep * mish(conv2(v) + b2)
// conv_i: grouped 1-D convolution, `groups` groups of C = dim / groups channels, `kernel` (odd) taps, zero padding
// kernel / 2 on each side of every item; w_i[g, o, k, c] weighs input channel g*C + c at tap k for output channel
// g*C + o (PyTorch's [g*C + o, c, k] re-laid out by the exporter). mish(t) = t * tanh(softplus(t)).
struct ConvPosArgs {
  const void* x;     // [items, frames, dim]
  const void* w1;    // [groups, C, kernel, C]
  const void* b1;    // [dim]
  const void* w2;
  const void* b2;
  const void* keep;  // [items, frames]: 1 at valid frames, 0 at padding
  void* y;           // [items, frames, dim]
  int64_t items;
  int64_t frames;
  int64_t dim;
  int64_t groups;
  int64_t kernel;
};

// GemmBiasGelu: the feed-forward's first layer, y[m, f] = gelu_tanh(bias[f] + sum_d x[m, d] * w[d, f]) with
// gelu_tanh(t) = t/2 * (1 + tanh(sqrt(2/pi) * (t + 0.044715 t^3))).
struct GemmGeluArgs {
  const void* x;     // [rows, in]
  const void* w;     // [in, out] (the MatMul layout)
  const void* bias;  // [out]
  void* y;           // [rows, out]
  int64_t rows;
  int64_t in;
  int64_t out;
};

#ifdef F5TTS_OPS_CUDA
// Launch on `stream` (a cudaStream_t). Return nullptr on success, else a message.
const char* LaunchNormCuda(const NormArgs& args, bool half, void* stream);
const char* LaunchQkvCuda(const QkvArgs& args, bool half, void* stream);

// The ops built on cuBLAS / cuBLASLt (f5tts_ops_blas.cu). A kernel instance owns one opaque Blas state (the handles,
// plans cached per shape, a mutex: the handles are bound to the caller's stream for each call), created with the
// session. Scratch memory comes from the caller (ONNX Runtime's allocator for the tensor's device), `*ScratchBytes`
// large, 256-byte aligned, and may be released as soon as the launch returns (stream order protects it).
void* CreateBlas(const char** error);
void DestroyBlas(void* blas);
size_t ConvPosScratchBytes(const ConvPosArgs& args, bool half);
const char* LaunchConvPosCuda(const ConvPosArgs& args, bool half, void* stream, void* blas, void* scratch);
size_t GemmGeluScratchBytes(const GemmGeluArgs& args, bool half);
const char* LaunchGemmGeluCuda(const GemmGeluArgs& args, bool half, void* stream, void* blas, void* scratch);
#endif

}  // namespace f5tts_ops
