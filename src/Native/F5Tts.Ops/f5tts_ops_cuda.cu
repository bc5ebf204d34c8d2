// CUDA kernels of F5Tts.Ops (see f5tts_ops.h for the mathematics, docs/custom-ops.md for the reasons).
// Both kernels are memory-bound passes: one thread block per row, two values per thread and load (dim is even), fp32
// arithmetic whatever the storage type. They launch on ONNX Runtime's compute stream and allocate nothing, so they are
// captured into ONNX Runtime's CUDA graphs like its own kernels.
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include "f5tts_ops.h"

namespace f5tts_ops {
namespace {

constexpr int kThreads = 256;

template <typename T>
struct Pair;

template <>
struct Pair<float> {
  __device__ static float2 Load(const float* p) { return *reinterpret_cast<const float2*>(p); }
  __device__ static void Store(float* p, float2 v) { *reinterpret_cast<float2*>(p) = v; }
};

template <>
struct Pair<__half> {
  __device__ static float2 Load(const __half* p) { return __half22float2(*reinterpret_cast<const __half2*>(p)); }
  __device__ static void Store(__half* p, float2 v) { *reinterpret_cast<__half2*>(p) = __float22half2_rn(v); }
};

__device__ float BlockSum(float v, float* scratch) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  const int warps = (blockDim.x + 31) >> 5;
  v = lane < warps ? scratch[lane] : 0.f;
  if (warp == 0) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    if (lane == 0) scratch[32] = v;
  }
  __syncthreads();
  const float total = scratch[32];
  __syncthreads();  // scratch is reused by the next reduction
  return total;
}

// One block per row. The row (as fp32 h) is kept in dynamic shared memory between the statistics and the output pass,
// so each input is read once and each output written once.
template <typename T, bool Gated>
__global__ void NormKernel(NormArgs a) {
  extern __shared__ float row[];
  __shared__ float scratch[33];
  const int64_t r = blockIdx.x;
  const int64_t item = r / a.frames;
  const int64_t d = a.dim;
  const T* x = static_cast<const T*>(a.x) + r * d;
  float sum = 0.f;
  for (int64_t c = 2 * threadIdx.x; c < d; c += 2 * blockDim.x) {
    float2 h = Pair<T>::Load(x + c);
    if (Gated) {
      const float2 delta = Pair<T>::Load(static_cast<const T*>(a.delta) + r * d + c);
      const float2 bias = Pair<T>::Load(static_cast<const T*>(a.bias) + c);
      const float2 gate = Pair<T>::Load(static_cast<const T*>(a.gate) + item * d + c);
      h.x += gate.x * (delta.x + bias.x);
      h.y += gate.y * (delta.y + bias.y);
      Pair<T>::Store(static_cast<T*>(a.h) + r * d + c, h);
    }
    row[c] = h.x;
    row[c + 1] = h.y;
    sum += h.x + h.y;
  }
  const float mean = BlockSum(sum, scratch) / static_cast<float>(d);
  float sq = 0.f;
  for (int64_t c = 2 * threadIdx.x; c < d; c += 2 * blockDim.x) {
    const float u = row[c] - mean, w = row[c + 1] - mean;
    sq += u * u + w * w;
  }
  const float rstd = rsqrtf(BlockSum(sq, scratch) / static_cast<float>(d) + a.epsilon);
  for (int64_t c = 2 * threadIdx.x; c < d; c += 2 * blockDim.x) {
    const float2 s = Pair<T>::Load(static_cast<const T*>(a.scale1) + item * d + c);
    const float2 b = Pair<T>::Load(static_cast<const T*>(a.shift) + item * d + c);
    float2 y;
    y.x = (row[c] - mean) * rstd * s.x + b.x;
    y.y = (row[c + 1] - mean) * rstd * s.y + b.y;
    Pair<T>::Store(static_cast<T*>(a.y) + r * d + c, y);
  }
}

// One block per row; thread t handles value pairs t, t + blockDim, ... of the 3 * inner projection outputs.
template <typename T>
__global__ void QkvKernel(QkvArgs a) {
  const int64_t r = blockIdx.x;
  const int64_t n = r % a.frames;
  const int64_t inner = a.inner, half_head = a.dim_head / 2;
  const int64_t rotated = a.rotary_heads * a.dim_head;
  const T* src = static_cast<const T*>(a.qkv) + r * 3 * inner;
  const T* bias = static_cast<const T*>(a.bias);
  for (int64_t c = 2 * threadIdx.x; c < 3 * inner; c += 2 * blockDim.x) {
    float2 v = Pair<T>::Load(src + c);
    const float2 b = Pair<T>::Load(bias + c);
    v.x += b.x;
    v.y += b.y;
    const int64_t part = c / inner, cc = c - part * inner;
    if (part < 2 && cc < rotated) {
      const int64_t i = (cc % a.dim_head) / 2;
      const float cs = static_cast<float>(static_cast<const T*>(a.cos)[n * half_head + i]);
      const float sn = static_cast<float>(static_cast<const T*>(a.sin)[n * half_head + i]);
      v = make_float2(v.x * cs - v.y * sn, v.y * cs + v.x * sn);
    }
    T* out = static_cast<T*>(part == 0 ? a.q : part == 1 ? a.k : a.v);
    Pair<T>::Store(out + r * inner + cc, v);
  }
}

int ThreadsFor(int64_t pairs) {
  // Enough threads for one pass over the row where possible, at least one warp.
  int64_t t = pairs < kThreads ? pairs : kThreads;
  t = (t + 31) / 32 * 32;
  return static_cast<int>(t < 32 ? 32 : t);
}

template <typename T>
const char* LaunchNorm(const NormArgs& a, cudaStream_t stream) {
  if (a.rows == 0) return nullptr;
  const size_t smem = static_cast<size_t>(a.dim) * sizeof(float);
  const int threads = ThreadsFor(a.dim / 2);
  if (a.delta != nullptr) {
    NormKernel<T, true><<<static_cast<unsigned>(a.rows), threads, smem, stream>>>(a);
  } else {
    NormKernel<T, false><<<static_cast<unsigned>(a.rows), threads, smem, stream>>>(a);
  }
  const cudaError_t e = cudaGetLastError();
  return e == cudaSuccess ? nullptr : cudaGetErrorString(e);
}

template <typename T>
const char* LaunchQkv(const QkvArgs& a, cudaStream_t stream) {
  if (a.rows == 0) return nullptr;
  QkvKernel<T><<<static_cast<unsigned>(a.rows), ThreadsFor(3 * a.inner / 2), 0, stream>>>(a);
  const cudaError_t e = cudaGetLastError();
  return e == cudaSuccess ? nullptr : cudaGetErrorString(e);
}

}  // namespace

const char* LaunchNormCuda(const NormArgs& args, bool half, void* stream) {
  const auto s = static_cast<cudaStream_t>(stream);
  return half ? LaunchNorm<__half>(args, s) : LaunchNorm<float>(args, s);
}

const char* LaunchQkvCuda(const QkvArgs& args, bool half, void* stream) {
  const auto s = static_cast<cudaStream_t>(stream);
  return half ? LaunchQkv<__half>(args, s) : LaunchQkv<float>(args, s);
}

}  // namespace f5tts_ops
