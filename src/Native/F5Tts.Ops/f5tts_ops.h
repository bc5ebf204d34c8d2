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

#ifdef F5TTS_OPS_CUDA
// Launch on `stream` (a cudaStream_t). Return nullptr on success, else a message.
const char* LaunchNormCuda(const NormArgs& args, bool half, void* stream);
const char* LaunchQkvCuda(const QkvArgs& args, bool half, void* stream);
#endif

}  // namespace f5tts_ops
