// CUDA kernels of F5Tts.Ops (see f5tts_ops.h for the mathematics, docs/custom-ops.md for the reasons).
// All are memory-bound passes with fp32 arithmetic whatever the storage type. They launch on ONNX Runtime's compute
// stream and allocate nothing, so they are captured into ONNX Runtime's CUDA graphs like its own kernels.
// Fast paths (the F5-TTS sizes: D = 1024, head 64): one warp per row with 16-byte loads, the row held in registers and
// warp-shuffle reductions, so each thread has several independent loads in flight and no block-wide barrier stalls the
// memory pipe. General paths (any even size, e.g. the tiny test models): one block per row, the row in shared memory.
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <initializer_list>

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

// ---------------------------------------------------------------------------------------------- fast paths
// 8 consecutive values (16 bytes of fp16, 32 of fp32) to/from fp32 registers; pointers must be 16-byte aligned.
template <typename T>
struct Vec8;

template <>
struct Vec8<float> {
  __device__ static void Load(const float* p, float* v) {
    const float4 a = reinterpret_cast<const float4*>(p)[0], b = reinterpret_cast<const float4*>(p)[1];
    v[0] = a.x; v[1] = a.y; v[2] = a.z; v[3] = a.w; v[4] = b.x; v[5] = b.y; v[6] = b.z; v[7] = b.w;
  }
  __device__ static void Store(float* p, const float* v) {
    reinterpret_cast<float4*>(p)[0] = make_float4(v[0], v[1], v[2], v[3]);
    reinterpret_cast<float4*>(p)[1] = make_float4(v[4], v[5], v[6], v[7]);
  }
  // 4 consecutive values (the cos/sin of the 4 pairs of a chunk)
  __device__ static void Load4(const float* p, float* v) {
    const float4 a = *reinterpret_cast<const float4*>(p);
    v[0] = a.x; v[1] = a.y; v[2] = a.z; v[3] = a.w;
  }
};

template <>
struct Vec8<__half> {
  __device__ static void Load(const __half* p, float* v) {
    const uint4 raw = *reinterpret_cast<const uint4*>(p);
    const __half2* h = reinterpret_cast<const __half2*>(&raw);
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const float2 f = __half22float2(h[j]);
      v[2 * j] = f.x;
      v[2 * j + 1] = f.y;
    }
  }
  __device__ static void Store(__half* p, const float* v) {
    uint4 raw;
    __half2* h = reinterpret_cast<__half2*>(&raw);
#pragma unroll
    for (int j = 0; j < 4; ++j) h[j] = __floats2half2_rn(v[2 * j], v[2 * j + 1]);
    *reinterpret_cast<uint4*>(p) = raw;
  }
  __device__ static void Load4(const __half* p, float* v) {
    const uint2 raw = *reinterpret_cast<const uint2*>(p);
    const __half2* h = reinterpret_cast<const __half2*>(&raw);
    const float2 a = __half22float2(h[0]), b = __half22float2(h[1]);
    v[0] = a.x; v[1] = a.y; v[2] = b.x; v[3] = b.y;
  }
};

__device__ float WarpSum(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

constexpr int kRowsPerBlock = 4;  // warps per block, one row each

// One warp per row of D = kChunks * 256 values: lane l holds values (k * 32 + l) * 8 .. + 7 for k < kChunks.
template <typename T, bool Gated, int kChunks>
__global__ void NormWarpKernel(NormArgs a) {
  const int64_t r = static_cast<int64_t>(blockIdx.x) * kRowsPerBlock + (threadIdx.x >> 5);
  if (r >= a.rows) return;
  const int lane = threadIdx.x & 31;
  constexpr int d = kChunks * 256;
  const int64_t item = r / a.frames;
  const int64_t row = r * d, per_item = item * d;
  float v[kChunks][8];
  float sum = 0.f;
#pragma unroll
  for (int k = 0; k < kChunks; ++k) {
    const int c = (k * 32 + lane) * 8;
    Vec8<T>::Load(static_cast<const T*>(a.x) + row + c, v[k]);
    if (Gated) {
      float delta[8], bias[8], gate[8];
      Vec8<T>::Load(static_cast<const T*>(a.delta) + row + c, delta);
      Vec8<T>::Load(static_cast<const T*>(a.bias) + c, bias);
      Vec8<T>::Load(static_cast<const T*>(a.gate) + per_item + c, gate);
#pragma unroll
      for (int j = 0; j < 8; ++j) v[k][j] += gate[j] * (delta[j] + bias[j]);
      Vec8<T>::Store(static_cast<T*>(a.h) + row + c, v[k]);
    }
#pragma unroll
    for (int j = 0; j < 8; ++j) sum += v[k][j];
  }
  const float mean = WarpSum(sum) * (1.f / d);
  float sq = 0.f;
#pragma unroll
  for (int k = 0; k < kChunks; ++k) {
#pragma unroll
    for (int j = 0; j < 8; ++j) {
      const float u = v[k][j] - mean;
      sq += u * u;
    }
  }
  const float rstd = rsqrtf(WarpSum(sq) * (1.f / d) + a.epsilon);
#pragma unroll
  for (int k = 0; k < kChunks; ++k) {
    const int c = (k * 32 + lane) * 8;
    float s[8], b[8], y[8];
    Vec8<T>::Load(static_cast<const T*>(a.scale1) + per_item + c, s);
    Vec8<T>::Load(static_cast<const T*>(a.shift) + per_item + c, b);
#pragma unroll
    for (int j = 0; j < 8; ++j) y[j] = (v[k][j] - mean) * rstd * s[j] + b[j];
    Vec8<T>::Store(static_cast<T*>(a.y) + row + c, y);
  }
}

// One block per row, 8 values (4 rotation pairs) per thread and step; chunks never straddle q|k|v or a head because
// inner and the head size are multiples of 8. 32-bit index arithmetic inside the row (64-bit division is slow).
template <typename T>
__global__ void QkvVecKernel(QkvArgs a) {
  const int64_t r = blockIdx.x;
  const int n = static_cast<int>(r % a.frames);
  const int inner = static_cast<int>(a.inner), dim_head = static_cast<int>(a.dim_head);
  const int half_head = dim_head / 2, rotated = static_cast<int>(a.rotary_heads) * dim_head;
  const T* src = static_cast<const T*>(a.qkv) + r * 3 * inner;
  for (int c = threadIdx.x * 8; c < 3 * inner; c += blockDim.x * 8) {
    float v[8], b[8];
    Vec8<T>::Load(src + c, v);
    Vec8<T>::Load(static_cast<const T*>(a.bias) + c, b);
#pragma unroll
    for (int j = 0; j < 8; ++j) v[j] += b[j];
    const int part = c / inner, cc = c - part * inner;
    if (part < 2 && cc < rotated) {
      const int i0 = (cc % dim_head) / 2;
      float cs[4], sn[4];
      Vec8<T>::Load4(static_cast<const T*>(a.cos) + n * half_head + i0, cs);
      Vec8<T>::Load4(static_cast<const T*>(a.sin) + n * half_head + i0, sn);
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        const float x0 = v[2 * j], x1 = v[2 * j + 1];
        v[2 * j] = x0 * cs[j] - x1 * sn[j];
        v[2 * j + 1] = x1 * cs[j] + x0 * sn[j];
      }
    }
    T* out = static_cast<T*>(part == 0 ? a.q : part == 1 ? a.k : a.v);
    Vec8<T>::Store(out + r * inner + cc, v);
  }
}

bool Aligned16(const void* p) { return p == nullptr || (reinterpret_cast<uintptr_t>(p) & 15u) == 0; }

template <typename T, bool Gated>
bool LaunchNormWarp(const NormArgs& a, cudaStream_t stream) {
  if (a.dim % 256 != 0 || a.dim > 8 * 256) return false;
  for (const void* p : {a.x, a.delta, a.bias, a.gate, a.scale1, a.shift, static_cast<const void*>(a.y), static_cast<const void*>(a.h)}) {
    if (!Aligned16(p)) return false;
  }
  const unsigned blocks = static_cast<unsigned>((a.rows + kRowsPerBlock - 1) / kRowsPerBlock);
  const int threads = 32 * kRowsPerBlock;
  switch (a.dim / 256) {
    case 1: NormWarpKernel<T, Gated, 1><<<blocks, threads, 0, stream>>>(a); break;
    case 2: NormWarpKernel<T, Gated, 2><<<blocks, threads, 0, stream>>>(a); break;
    case 3: NormWarpKernel<T, Gated, 3><<<blocks, threads, 0, stream>>>(a); break;
    case 4: NormWarpKernel<T, Gated, 4><<<blocks, threads, 0, stream>>>(a); break;
    case 5: NormWarpKernel<T, Gated, 5><<<blocks, threads, 0, stream>>>(a); break;
    case 6: NormWarpKernel<T, Gated, 6><<<blocks, threads, 0, stream>>>(a); break;
    case 7: NormWarpKernel<T, Gated, 7><<<blocks, threads, 0, stream>>>(a); break;
    default: NormWarpKernel<T, Gated, 8><<<blocks, threads, 0, stream>>>(a); break;
  }
  return true;
}

bool QkvVectorisable(const QkvArgs& a) {
  if (a.inner % 8 != 0 || a.dim_head % 8 != 0 || 3 * a.inner > (1LL << 30)) return false;
  for (const void* p : {a.qkv, a.bias, a.cos, a.sin, static_cast<const void*>(a.q), static_cast<const void*>(a.k), static_cast<const void*>(a.v)}) {
    if (!Aligned16(p)) return false;
  }
  return true;
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
    if (!LaunchNormWarp<T, true>(a, stream)) NormKernel<T, true><<<static_cast<unsigned>(a.rows), threads, smem, stream>>>(a);
  } else {
    if (!LaunchNormWarp<T, false>(a, stream)) NormKernel<T, false><<<static_cast<unsigned>(a.rows), threads, smem, stream>>>(a);
  }
  const cudaError_t e = cudaGetLastError();
  return e == cudaSuccess ? nullptr : cudaGetErrorString(e);
}

template <typename T>
const char* LaunchQkv(const QkvArgs& a, cudaStream_t stream) {
  if (a.rows == 0) return nullptr;
  if (QkvVectorisable(a)) {
    QkvVecKernel<T><<<static_cast<unsigned>(a.rows), ThreadsFor(3 * a.inner / 8), 0, stream>>>(a);
  } else {
    QkvKernel<T><<<static_cast<unsigned>(a.rows), ThreadsFor(3 * a.inner / 2), 0, stream>>>(a);
  }
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
