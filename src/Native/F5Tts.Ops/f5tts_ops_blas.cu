// The f5tts.ops kernels built on cuBLAS / cuBLASLt (see f5tts_ops.h for the mathematics, docs/custom-ops.md for why):
//
// ConvPositionEmbedding. cuDNN runs a grouped convolution of few frames (batch 1: 2 rows x 680 frames, 16 groups of
// 64 channels, 31 taps) as one kernel per group plus NCHW<->NHWC transposes, 128 launches per step. Here each layer is
// ONE batched GEMM with no im2col copy: the input is packed group-major with the per-item zero padding,
// xp[g][row][c] (row = item * S + padded frame, S = frames + kernel - 1), so the receptive field of output position
// p (= item * S + frame) is the CONTIGUOUS run xp[g][p .. p + kernel - 1][0 .. C-1] of kernel*C values. Positions
// p = kernel*q + j for one residue j are then rows of a matrix with leading dimension kernel*C — a legal, non-
// overlapping GEMM operand — so conv(g, j) = xp_rows(g, j) [Q x kernel*C] . w[g]^T [kernel*C x C], and all
// groups x residues are one cublasGemmBatchedEx (pointer arrays written on the device by a tiny kernel). Positions
// that straddle two items are computed and ignored (2 x 15 of every 710 rows at 680 frames).
//
// GemmBiasGelu. The feed-forward's first GEMM with bias + tanh-GELU in cuBLASLt's epilogue (CUBLASLT_EPILOGUE_
// GELU_BIAS): saves FastGelu's full read + write of the [rows, 4 * 512] activations per block.
//
// Everything launches on ONNX Runtime's stream with caller-provided scratch, so it is captured into CUDA graphs like
// ONNX Runtime's own kernels (cuBLAS is told to use that scratch as its workspace: no allocation inside a capture).
#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <initializer_list>
#include <map>
#include <mutex>
#include <tuple>

#include "f5tts_ops.h"

namespace f5tts_ops {
namespace {

constexpr size_t kAlign = 256;
constexpr size_t kBlasWorkspace = size_t{4} << 20;  // cuBLAS / cuBLASLt workspace per call (split-K and the like)

size_t Up(size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

struct GemmPlan {
  cublasLtMatmulDesc_t desc = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, c = nullptr;
  cublasLtMatmulAlgo_t algo{};
};

struct Blas {
  std::mutex mutex;
  cublasHandle_t blas = nullptr;
  cublasLtHandle_t lt = nullptr;
  std::map<std::tuple<int64_t, int64_t, int64_t, bool>, GemmPlan> plans;

  ~Blas() {
    for (auto& kv : plans) {
      cublasLtMatrixLayoutDestroy(kv.second.a);
      cublasLtMatrixLayoutDestroy(kv.second.b);
      cublasLtMatrixLayoutDestroy(kv.second.c);
      cublasLtMatmulDescDestroy(kv.second.desc);
    }
    if (lt != nullptr) cublasLtDestroy(lt);
    if (blas != nullptr) cublasDestroy(blas);
  }
};

const char* BlasError(cublasStatus_t s) {
  switch (s) {
    case CUBLAS_STATUS_NOT_INITIALIZED: return "cuBLAS: not initialised";
    case CUBLAS_STATUS_ALLOC_FAILED: return "cuBLAS: allocation failed";
    case CUBLAS_STATUS_INVALID_VALUE: return "cuBLAS: invalid value";
    case CUBLAS_STATUS_ARCH_MISMATCH: return "cuBLAS: architecture mismatch";
    case CUBLAS_STATUS_EXECUTION_FAILED: return "cuBLAS: execution failed";
    case CUBLAS_STATUS_NOT_SUPPORTED: return "cuBLAS: not supported";
    default: return "cuBLAS: error";
  }
}

template <typename T>
struct Io;
template <>
struct Io<float> {
  static constexpr cudaDataType_t kType = CUDA_R_32F;
  __device__ static float Get(float v) { return v; }
  __device__ static float Put(float v) { return v; }
};
template <>
struct Io<__half> {
  static constexpr cudaDataType_t kType = CUDA_R_16F;
  __device__ static float Get(__half v) { return __half2float(v); }
  __device__ static __half Put(float v) { return __float2half_rn(v); }
};

// PyTorch's softplus (threshold 20) inside mish.
__device__ float Mish(float t) { return t * tanhf(t > 20.f ? t : log1pf(expf(t))); }

struct ConvShape {
  int64_t items, frames, dim, groups, kernel, channels, pad;
  int64_t seg;    // S: padded frames per item
  int64_t rows;   // Lp: packed rows per group (items * S plus kernel - 1 rows of zeros that the last window reads)
  int64_t q;      // Q: GEMM rows per residue
  int64_t out;    // Ly: output rows per group (kernel * Q)
  explicit ConvShape(const ConvPosArgs& a)
      : items(a.items), frames(a.frames), dim(a.dim), groups(a.groups), kernel(a.kernel), channels(a.dim / a.groups),
        pad(a.kernel / 2), seg(a.frames + a.kernel - 1), rows(a.items * seg + a.kernel - 1),
        q((a.items * seg - (a.kernel - 1) + a.kernel - 1) / a.kernel), out(a.kernel * q) {}
};

// The three memory passes move V consecutive channels per thread (16-byte accesses when C allows: these passes run at
// memory speed only with wide accesses; one element per thread with 64-bit index arithmetic ran at ~0.4 TB/s).
template <typename T, int V>
struct alignas(sizeof(T) * V) Vec {
  T v[V];
};

// Where the i-th V-wide slot of the packed layout xp[g][row][c] lies: channel c, flat row t = g * rows + row, group g,
// item r and frame m of `row` (valid unless it is padding).
struct Packed {
  int64_t c, t, g, r, m;
  bool valid;
  __device__ Packed(int64_t i, int v, const ConvShape& s) {
    const int64_t cvs = s.channels / v, row = (i / cvs) % s.rows;
    c = (i % cvs) * v;
    t = i / cvs;
    g = t / s.rows;
    r = row / s.seg;
    m = row % s.seg - s.pad;
    valid = r < s.items && m >= 0 && m < s.frames;
  }
};

// xp[g][row][c] = keep * x at the frame of `row`, 0 in the padding rows.
template <typename T, int V>
__global__ void ConvPackKernel(const T* x, const T* keep, T* xp, ConvShape s) {
  const int64_t total = s.groups * s.rows * (s.channels / V);
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < total; i += int64_t{gridDim.x} * blockDim.x) {
    const Packed p(i, V, s);
    const int64_t c = p.c, t = p.t, g = p.g, r = p.r, m = p.m;
    Vec<T, V> out;
    if (p.valid) {
      const int64_t rn = r * s.frames + m;
      const auto in = *reinterpret_cast<const Vec<T, V>*>(x + rn * s.dim + g * s.channels + c);
      const float k = Io<T>::Get(keep[rn]);
#pragma unroll
      for (int e = 0; e < V; ++e) out.v[e] = Io<T>::Put(Io<T>::Get(in.v[e]) * k);
    } else {
#pragma unroll
      for (int e = 0; e < V; ++e) out.v[e] = Io<T>::Put(0.f);
    }
    *reinterpret_cast<Vec<T, V>*>(xp + t * s.channels + c) = out;
  }
}

// Between the layers: xp[g][row][c] = keep * mish(y1 + b1) at the frame of `row`, 0 in the padding rows.
template <typename T, int V>
__global__ void ConvMidKernel(const T* y, const T* bias, const T* keep, T* xp, ConvShape s) {
  const int64_t total = s.groups * s.rows * (s.channels / V);
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < total; i += int64_t{gridDim.x} * blockDim.x) {
    const Packed p(i, V, s);
    const int64_t c = p.c, t = p.t, g = p.g, r = p.r, m = p.m;
    Vec<T, V> out;
    if (p.valid) {
      const auto in = *reinterpret_cast<const Vec<T, V>*>(y + (g * s.out + r * s.seg + m) * s.channels + c);
      const auto b = *reinterpret_cast<const Vec<T, V>*>(bias + g * s.channels + c);
      const float k = Io<T>::Get(keep[r * s.frames + m]);
#pragma unroll
      for (int e = 0; e < V; ++e) out.v[e] = Io<T>::Put(k * Mish(Io<T>::Get(in.v[e]) + Io<T>::Get(b.v[e])));
    } else {
#pragma unroll
      for (int e = 0; e < V; ++e) out.v[e] = Io<T>::Put(0.f);
    }
    *reinterpret_cast<Vec<T, V>*>(xp + t * s.channels + c) = out;
  }
}

// out[r, n, d] = x + keep * mish(y2 + b2), back to channels-last rows.
template <typename T, int V>
__global__ void ConvOutKernel(const T* x, const T* y, const T* bias, const T* keep, T* out, ConvShape s) {
  const int64_t dvs = s.dim / V, total = s.items * s.frames * dvs;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < total; i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t d = (i % dvs) * V, rn = i / dvs, r = rn / s.frames, n = rn % s.frames;
    const int64_t g = d / s.channels, c = d % s.channels;
    const auto in = *reinterpret_cast<const Vec<T, V>*>(y + (g * s.out + r * s.seg + n) * s.channels + c);
    const auto b = *reinterpret_cast<const Vec<T, V>*>(bias + d);
    const auto res = *reinterpret_cast<const Vec<T, V>*>(x + rn * s.dim + d);
    const float k = Io<T>::Get(keep[rn]);
    Vec<T, V> o;
#pragma unroll
    for (int e = 0; e < V; ++e) {
      o.v[e] = Io<T>::Put(Io<T>::Get(res.v[e]) + k * Mish(Io<T>::Get(in.v[e]) + Io<T>::Get(b.v[e])));
    }
    *reinterpret_cast<Vec<T, V>*>(out + rn * s.dim + d) = o;
  }
}

// The GEMM operands of (group g, residue j), both layers: w1/w2 + g * C*K*C, xp + (g * Lp + j) * C, y + (g * Ly + j) * C.
template <typename T>
__global__ void ConvPointersKernel(const T* w1, const T* w2, const T* xp, T* y, const void** a1, const void** a2,
                                   const void** b, void** c, ConvShape s) {
  const int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x;
  if (i >= s.groups * s.kernel) return;
  const int64_t g = i / s.kernel, j = i % s.kernel, wsize = s.channels * s.kernel * s.channels;
  a1[i] = w1 + g * wsize;
  a2[i] = w2 + g * wsize;
  b[i] = xp + (g * s.rows + j) * s.channels;
  c[i] = y + (g * s.out + j) * s.channels;
}

unsigned GridFor(int64_t total) {
  const int64_t blocks = (total + 255) / 256;
  return static_cast<unsigned>(blocks < 65535 * 8 ? (blocks < 1 ? 1 : blocks) : 65535 * 8);
}

struct ConvScratch {
  size_t xp, y, pointers, workspace, total;
  ConvScratch(const ConvShape& s, size_t element) {
    xp = Up(static_cast<size_t>(s.groups * s.rows * s.channels) * element);
    y = Up(static_cast<size_t>(s.groups * s.out * s.channels) * element);
    pointers = Up(static_cast<size_t>(4 * s.groups * s.kernel) * sizeof(void*));
    workspace = kBlasWorkspace;
    total = xp + y + pointers + workspace;
  }
};

template <typename T, int V>
const char* LaunchConvPos(const ConvPosArgs& a, cudaStream_t stream, Blas& blas, void* scratch) {
  const ConvShape s(a);
  const ConvScratch sizes(s, sizeof(T));
  auto* base = static_cast<char*>(scratch);
  T* xp = reinterpret_cast<T*>(base);
  T* y = reinterpret_cast<T*>(base + sizes.xp);
  auto** ptr = reinterpret_cast<void**>(base + sizes.xp + sizes.y);
  const int64_t batch = s.groups * s.kernel;
  const void** a1 = const_cast<const void**>(ptr);
  const void** a2 = const_cast<const void**>(ptr + batch);
  const void** bp = const_cast<const void**>(ptr + 2 * batch);
  void** cp = ptr + 3 * batch;
  void* workspace = base + sizes.xp + sizes.y + sizes.pointers;
  const T* keep = static_cast<const T*>(a.keep);

  ConvPointersKernel<T><<<static_cast<unsigned>((batch + 127) / 128), 128, 0, stream>>>(
      static_cast<const T*>(a.w1), static_cast<const T*>(a.w2), xp, y, a1, a2, bp, cp, s);
  ConvPackKernel<T, V><<<GridFor(s.groups * s.rows * s.channels / V), 256, 0, stream>>>(static_cast<const T*>(a.x), keep, xp, s);
  if (cudaError_t e = cudaGetLastError(); e != cudaSuccess) return cudaGetErrorString(e);

  std::lock_guard<std::mutex> lock(blas.mutex);
  cublasStatus_t st = cublasSetStream(blas.blas, stream);
  if (st == CUBLAS_STATUS_SUCCESS) st = cublasSetWorkspace(blas.blas, workspace, sizes.workspace);
  if (st != CUBLAS_STATUS_SUCCESS) return BlasError(st);
  const float one = 1.f, zero = 0.f;
  const int m = static_cast<int>(s.channels), n = static_cast<int>(s.q), k = static_cast<int>(s.kernel * s.channels);
  const int batch_count = static_cast<int>(batch);
  // Column-major view: C(j)[o, q] = sum_kk W_g[kk, o] * X(j)[kk, q], W_g = w[g] as [K*C x C] (so op T), X(j) the
  // windows of residue j as [K*C x Q] with leading dimension K*C, C(j) the outputs of residue j likewise.
  for (const void** w : {a1, a2}) {
    st = cublasGemmBatchedEx(blas.blas, CUBLAS_OP_T, CUBLAS_OP_N, m, n, k, &one, w, Io<T>::kType, k, bp, Io<T>::kType, k,
                             &zero, cp, Io<T>::kType, k, batch_count, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
    if (st != CUBLAS_STATUS_SUCCESS) return BlasError(st);
    if (w == a1) {
      ConvMidKernel<T, V><<<GridFor(s.groups * s.rows * s.channels / V), 256, 0, stream>>>(y, static_cast<const T*>(a.b1), keep, xp, s);
    }
  }
  ConvOutKernel<T, V><<<GridFor(s.items * s.frames * s.dim / V), 256, 0, stream>>>(
      static_cast<const T*>(a.x), y, static_cast<const T*>(a.b2), keep, static_cast<T*>(a.y), s);
  const cudaError_t e = cudaGetLastError();
  return e == cudaSuccess ? nullptr : cudaGetErrorString(e);
}

const char* PlanFor(Blas& blas, const GemmGeluArgs& a, bool half, GemmPlan** out) {
  const auto key = std::make_tuple(a.rows, a.in, a.out, half);
  auto it = blas.plans.find(key);
  if (it != blas.plans.end()) {
    *out = &it->second;
    return nullptr;
  }
  const cudaDataType_t type = half ? CUDA_R_16F : CUDA_R_32F;
  GemmPlan p;
  cublasStatus_t st = cublasLtMatmulDescCreate(&p.desc, CUBLAS_COMPUTE_32F, CUDA_R_32F);
  const cublasLtEpilogue_t epilogue = CUBLASLT_EPILOGUE_GELU_BIAS;
  if (st == CUBLAS_STATUS_SUCCESS) st = cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_EPILOGUE, &epilogue, sizeof(epilogue));
  if (st == CUBLAS_STATUS_SUCCESS) st = cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE, &type, sizeof(type));
  // Column-major view of the row-major y = x . w: y^T [out x rows] = w^T [out x in] . x^T [in x rows], with w^T and
  // x^T exactly the bytes of w and x (no transposes).
  if (st == CUBLAS_STATUS_SUCCESS) st = cublasLtMatrixLayoutCreate(&p.a, type, static_cast<uint64_t>(a.out), static_cast<uint64_t>(a.in), a.out);
  if (st == CUBLAS_STATUS_SUCCESS) st = cublasLtMatrixLayoutCreate(&p.b, type, static_cast<uint64_t>(a.in), static_cast<uint64_t>(a.rows), a.in);
  if (st == CUBLAS_STATUS_SUCCESS) st = cublasLtMatrixLayoutCreate(&p.c, type, static_cast<uint64_t>(a.out), static_cast<uint64_t>(a.rows), a.out);
  cublasLtMatmulPreference_t pref = nullptr;
  if (st == CUBLAS_STATUS_SUCCESS) st = cublasLtMatmulPreferenceCreate(&pref);
  const size_t workspace = kBlasWorkspace;
  if (st == CUBLAS_STATUS_SUCCESS) st = cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &workspace, sizeof(workspace));
  cublasLtMatmulHeuristicResult_t result{};
  int found = 0;
  if (st == CUBLAS_STATUS_SUCCESS) st = cublasLtMatmulAlgoGetHeuristic(blas.lt, p.desc, p.a, p.b, p.c, p.c, pref, 1, &result, &found);
  if (pref != nullptr) cublasLtMatmulPreferenceDestroy(pref);
  if (st == CUBLAS_STATUS_SUCCESS && found == 0) st = CUBLAS_STATUS_NOT_SUPPORTED;
  if (st != CUBLAS_STATUS_SUCCESS) {
    if (p.a != nullptr) cublasLtMatrixLayoutDestroy(p.a);
    if (p.b != nullptr) cublasLtMatrixLayoutDestroy(p.b);
    if (p.c != nullptr) cublasLtMatrixLayoutDestroy(p.c);
    if (p.desc != nullptr) cublasLtMatmulDescDestroy(p.desc);
    return BlasError(st);
  }
  p.algo = result.algo;
  *out = &blas.plans.emplace(key, p).first->second;
  return nullptr;
}

}  // namespace

void* CreateBlas(const char** error) {
  auto* b = new Blas();
  cublasStatus_t st = cublasCreate(&b->blas);
  if (st == CUBLAS_STATUS_SUCCESS) st = cublasLtCreate(&b->lt);
  if (st != CUBLAS_STATUS_SUCCESS) {
    *error = BlasError(st);
    delete b;
    return nullptr;
  }
  return b;
}

void DestroyBlas(void* blas) { delete static_cast<Blas*>(blas); }

size_t ConvPosScratchBytes(const ConvPosArgs& args, bool half) {
  return ConvScratch(ConvShape(args), half ? sizeof(__half) : sizeof(float)).total;
}

const char* LaunchConvPosCuda(const ConvPosArgs& args, bool half, void* stream, void* blas, void* scratch) {
  if (args.items * args.frames == 0) return nullptr;
  const ConvShape s(args);
  if (s.q > INT32_MAX || s.kernel * s.channels > INT32_MAX) return "too large for one cuBLAS call";
  const auto st = static_cast<cudaStream_t>(stream);
  auto& b = *static_cast<Blas*>(blas);
  // 16-byte accesses when every channel run (C) and every tensor base allows them; else one element per thread
  bool wide = true;
  for (const void* p : {args.x, args.b1, args.b2, static_cast<const void*>(args.y), static_cast<const void*>(scratch)}) {
    wide = wide && (reinterpret_cast<uintptr_t>(p) & 15u) == 0;
  }
  if (half) {
    return wide && s.channels % 8 == 0 ? LaunchConvPos<__half, 8>(args, st, b, scratch) : LaunchConvPos<__half, 1>(args, st, b, scratch);
  }
  return wide && s.channels % 4 == 0 ? LaunchConvPos<float, 4>(args, st, b, scratch) : LaunchConvPos<float, 1>(args, st, b, scratch);
}

size_t GemmGeluScratchBytes(const GemmGeluArgs& /*args*/, bool /*half*/) { return kBlasWorkspace; }

const char* LaunchGemmGeluCuda(const GemmGeluArgs& args, bool half, void* stream, void* blas, void* scratch) {
  if (args.rows == 0) return nullptr;
  auto& b = *static_cast<Blas*>(blas);
  std::lock_guard<std::mutex> lock(b.mutex);
  GemmPlan* plan = nullptr;
  if (const char* e = PlanFor(b, args, half, &plan)) return e;
  const void* bias = args.bias;
  cublasStatus_t st = cublasLtMatmulDescSetAttribute(plan->desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &bias, sizeof(bias));
  const float one = 1.f, zero = 0.f;
  if (st == CUBLAS_STATUS_SUCCESS) {
    st = cublasLtMatmul(b.lt, plan->desc, &one, args.w, plan->a, args.x, plan->b, &zero, args.y, plan->c, args.y, plan->c,
                        &plan->algo, scratch, kBlasWorkspace, static_cast<cudaStream_t>(stream));
  }
  return st == CUBLAS_STATUS_SUCCESS ? nullptr : BlasError(st);
}

}  // namespace f5tts_ops
