// FP8 (E4M3) against fp16 for the four GEMMs of one F5-TTS DiT block on this card, in one process: time per call and
// the error against an fp32 GEMM of the same (fp16-rounded) operands. It answers, before the exporter and the
// engine carry FP8, how much of the Transformer step FP8 can take away and at what error (issue #22;
// benchmarks/README.md "FP8 GEMMs").
//
// fp16: cuBLASLt, fp16 in and out, fp32 accumulation (what ONNX Runtime's MatMul and the f5tts.ops GemmBiasGelu run).
// fp8:  weights quantised per output channel (scale = row amax / 448), activations per row (per token, computed on
//       the device in one pass, timed with the GEMM), cuBLASLt E4M3 x E4M3 -> fp16 with both scale vectors applied
//       in the GEMM (CUBLASLT_MATMUL_MATRIX_SCALE_OUTER_VEC_32F); per-tensor scales where the card or library
//       refuses vectors (the output says which ran). With and without cuBLASLt's fast accumulation.
// Each variant takes the fastest of the heuristic's first candidates. Data: activations N(0, 1) (the LayerNorm
// outputs that feed the block's GEMMs), weights N(0, 0.02); random weights have no outlier channels, which trained
// weights may have, so the error here is a lower bound for a trained model's.
//
// Build and run on the GPU machine (benchmarks/plans/fp8.sh does both):
//   nvcc -std=c++17 -O3 -gencode arch=compute_90a,code=sm_90a fp8_gemm_bench.cu -lcublasLt -o fp8_gemm_bench
//   ./fp8_gemm_bench [ROWS...]      (rows = 2 * batch * frames; default 1408 and 22528: B = 1 and 16 at N = 704)
#include <cublasLt.h>
#include <cuda_fp16.h>
#include <cuda_fp8.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#define CK(x) check_cuda((x), #x, __LINE__)
#define LT(x) check_lt((x), #x, __LINE__)
static void check_cuda(cudaError_t e, const char* what, int line) {
  if (e != cudaSuccess) { std::fprintf(stderr, "line %d: %s: %s\n", line, what, cudaGetErrorString(e)); std::exit(1); }
}
static bool check_lt(cublasStatus_t s, const char* what, int line, bool fatal = true) {
  if (s == CUBLAS_STATUS_SUCCESS) return true;
  std::fprintf(stderr, "line %d: %s: cuBLAS status %d\n", line, what, static_cast<int>(s));
  if (fatal) std::exit(1);
  return false;
}

constexpr float kE4m3Max = 448.f;
constexpr size_t kWorkspace = size_t{32} << 20;

// One block per row: amax of the row, scale = amax / 448, q = x / scale rounded to E4M3 (saturating).
__global__ void RowQuantize(const __half* x, __nv_fp8_e4m3* q, float* scale, int cols) {
  const __half* row = x + static_cast<size_t>(blockIdx.x) * cols;
  float amax = 0.f;
  for (int c = threadIdx.x; c < cols; c += blockDim.x) amax = fmaxf(amax, fabsf(__half2float(row[c])));
  __shared__ float warp_max[32];
  for (int o = 16; o > 0; o >>= 1) amax = fmaxf(amax, __shfl_xor_sync(0xffffffffu, amax, o));
  if ((threadIdx.x & 31) == 0) warp_max[threadIdx.x >> 5] = amax;
  __syncthreads();
  if (threadIdx.x < 32) {
    amax = threadIdx.x < (blockDim.x >> 5) ? warp_max[threadIdx.x] : 0.f;
    for (int o = 16; o > 0; o >>= 1) amax = fmaxf(amax, __shfl_xor_sync(0xffffffffu, amax, o));
    if (threadIdx.x == 0) warp_max[0] = amax;
  }
  __syncthreads();
  const float s = fmaxf(warp_max[0], 1e-12f) / kE4m3Max;
  if (threadIdx.x == 0) scale[blockIdx.x] = s;
  const float inv = 1.f / s;
  __nv_fp8_e4m3* out = q + static_cast<size_t>(blockIdx.x) * cols;
  for (int c = threadIdx.x; c < cols; c += blockDim.x) out[c] = __nv_fp8_e4m3(__half2float(row[c]) * inv);
}

// Per-tensor variant for libraries without vector scales: the max of the row scales, applied to every row.
__global__ void TensorRequantize(const __half* x, __nv_fp8_e4m3* q, const float* row_scale, int rows, float* scale,
                                 size_t n, int cols) {
  __shared__ float s;
  if (threadIdx.x == 0) {
    float m = 0.f;
    for (int r = 0; r < rows; ++r) m = fmaxf(m, row_scale[r]);
    s = m;
    if (blockIdx.x == 0) *scale = m;
  }
  __syncthreads();
  const float inv = 1.f / s;
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n; i += static_cast<size_t>(gridDim.x) * blockDim.x)
    q[i] = __nv_fp8_e4m3(__half2float(x[i]) * inv);
  (void)cols;
}

__global__ void HalfToFloat(const __half* x, float* y, size_t n) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n; i += static_cast<size_t>(gridDim.x) * blockDim.x)
    y[i] = __half2float(x[i]);
}

struct Gemm {
  const char* name;
  int in, out;
  bool gelu;  // bias + tanh-GELU epilogue (the feed-forward's first GEMM)
};

// y [rows, out] = x [rows, in] . w[out, in]^T (+ bias, GELU): cuBLASLt's column-major D[out x rows] = W^T' X, "TN".
struct LtGemm {
  cublasLtMatmulDesc_t desc = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, c = nullptr, d = nullptr;
  std::vector<cublasLtMatmulHeuristicResult_t> algos;
  ~LtGemm() {
    for (auto l : {a, b, c, d}) if (l) cublasLtMatrixLayoutDestroy(l);
    if (desc) cublasLtMatmulDescDestroy(desc);
  }
};

enum class Kind { Fp16, Fp32, Fp8Vector, Fp8Tensor };

static bool MakeGemm(cublasLtHandle_t lt, LtGemm& g, Kind kind, const Gemm& s, int rows, bool fast_accum,
                     const void* bias, const float* a_scale, const float* b_scale) {
  const bool fp8 = kind == Kind::Fp8Vector || kind == Kind::Fp8Tensor;
  const cudaDataType_t in_t = fp8 ? CUDA_R_8F_E4M3 : kind == Kind::Fp32 ? CUDA_R_32F : CUDA_R_16F;
  const cudaDataType_t out_t = kind == Kind::Fp32 ? CUDA_R_32F : CUDA_R_16F;
  LT(cublasLtMatmulDescCreate(&g.desc, CUBLAS_COMPUTE_32F, CUDA_R_32F));
  const cublasOperation_t t = CUBLAS_OP_T, n = CUBLAS_OP_N;
  LT(cublasLtMatmulDescSetAttribute(g.desc, CUBLASLT_MATMUL_DESC_TRANSA, &t, sizeof(t)));
  LT(cublasLtMatmulDescSetAttribute(g.desc, CUBLASLT_MATMUL_DESC_TRANSB, &n, sizeof(n)));
  if (s.gelu && bias != nullptr) {
    const cublasLtEpilogue_t e = CUBLASLT_EPILOGUE_GELU_BIAS;
    LT(cublasLtMatmulDescSetAttribute(g.desc, CUBLASLT_MATMUL_DESC_EPILOGUE, &e, sizeof(e)));
    LT(cublasLtMatmulDescSetAttribute(g.desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &bias, sizeof(bias)));
    const cudaDataType_t bt = kind == Kind::Fp32 ? CUDA_R_32F : CUDA_R_16F;
    LT(cublasLtMatmulDescSetAttribute(g.desc, CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE, &bt, sizeof(bt)));
  }
  if (fp8) {
    const int8_t fa = fast_accum ? 1 : 0;
    LT(cublasLtMatmulDescSetAttribute(g.desc, CUBLASLT_MATMUL_DESC_FAST_ACCUM, &fa, sizeof(fa)));
    LT(cublasLtMatmulDescSetAttribute(g.desc, CUBLASLT_MATMUL_DESC_A_SCALE_POINTER, &a_scale, sizeof(a_scale)));
    LT(cublasLtMatmulDescSetAttribute(g.desc, CUBLASLT_MATMUL_DESC_B_SCALE_POINTER, &b_scale, sizeof(b_scale)));
    if (kind == Kind::Fp8Vector) {
      const int32_t mode = CUBLASLT_MATMUL_MATRIX_SCALE_OUTER_VEC_32F;
      if (!check_lt(cublasLtMatmulDescSetAttribute(g.desc, CUBLASLT_MATMUL_DESC_A_SCALE_MODE, &mode, sizeof(mode)), "A_SCALE_MODE", __LINE__, false) ||
          !check_lt(cublasLtMatmulDescSetAttribute(g.desc, CUBLASLT_MATMUL_DESC_B_SCALE_MODE, &mode, sizeof(mode)), "B_SCALE_MODE", __LINE__, false))
        return false;
    }
  }
  LT(cublasLtMatrixLayoutCreate(&g.a, in_t, s.in, s.out, s.in));    // W [out, in] row-major = [in x out] col-major
  LT(cublasLtMatrixLayoutCreate(&g.b, in_t, s.in, rows, s.in));     // X [rows, in]
  LT(cublasLtMatrixLayoutCreate(&g.c, out_t, s.out, rows, s.out));  // Y [rows, out]
  LT(cublasLtMatrixLayoutCreate(&g.d, out_t, s.out, rows, s.out));
  cublasLtMatmulPreference_t pref;
  LT(cublasLtMatmulPreferenceCreate(&pref));
  LT(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &kWorkspace, sizeof(kWorkspace)));
  g.algos.resize(8);
  int found = 0;
  const bool ok = check_lt(cublasLtMatmulAlgoGetHeuristic(lt, g.desc, g.a, g.b, g.c, g.d, pref, 8, g.algos.data(), &found),
                           "heuristic", __LINE__, false);
  cublasLtMatmulPreferenceDestroy(pref);
  g.algos.resize(ok ? found : 0);
  return !g.algos.empty();
}

// Mean time (ms) of `iters` launches of `work` on the stream.
template <typename Work>
static float TimeWork(cudaStream_t st, int iters, Work work) {
  cudaEvent_t e0, e1;
  CK(cudaEventCreate(&e0));
  CK(cudaEventCreate(&e1));
  for (int k = 0; k < 3; ++k) work();
  CK(cudaEventRecord(e0, st));
  for (int k = 0; k < iters; ++k) work();
  CK(cudaEventRecord(e1, st));
  CK(cudaEventSynchronize(e1));
  float ms = 0.f;
  CK(cudaEventElapsedTime(&ms, e0, e1));
  cudaEventDestroy(e0);
  cudaEventDestroy(e1);
  return ms / iters;
}

// Mean time of one call (ms) of the fastest candidate; `before` runs ahead of each GEMM and is timed with it.
template <typename Before>
static float TimeGemm(cublasLtHandle_t lt, LtGemm& g, const void* w, const void* x, void* y, void* ws, cudaStream_t st,
                      int iters, Before before, int* chosen) {
  const float one = 1.f, zero = 0.f;
  float best = 1e30f;
  for (size_t i = 0; i < g.algos.size(); ++i) {
    auto run = [&] {
      before();
      return cublasLtMatmul(lt, g.desc, &one, w, g.a, x, g.b, &zero, y, g.c, y, g.d, &g.algos[i].algo, ws, kWorkspace, st);
    };
    if (run() != CUBLAS_STATUS_SUCCESS) continue;
    const float ms = TimeWork(st, iters, [&] { run(); });
    if (ms < best) { best = ms; *chosen = static_cast<int>(i); }
  }
  // Leave y holding the chosen algorithm's result.
  before();
  LT(cublasLtMatmul(lt, g.desc, &one, w, g.a, x, g.b, &zero, y, g.c, y, g.d, &g.algos[*chosen].algo, ws, kWorkspace, st));
  CK(cudaStreamSynchronize(st));
  return best;
}

struct Err { double max_abs, mean_abs, rel; };

static Err Compare(const std::vector<__half>& y, const std::vector<float>& ref) {
  double max_abs = 0, sum_abs = 0, num = 0, den = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    const double d = static_cast<double>(__half2float(y[i])) - ref[i];
    max_abs = std::max(max_abs, std::fabs(d));
    sum_abs += std::fabs(d);
    num += d * d;
    den += static_cast<double>(ref[i]) * ref[i];
  }
  return {max_abs, sum_abs / ref.size(), std::sqrt(num / std::max(den, 1e-30))};
}

int main(int argc, char** argv) {
  std::vector<int> row_counts;
  for (int i = 1; i < argc; ++i) row_counts.push_back(std::atoi(argv[i]));
  if (row_counts.empty()) row_counts = {1408, 22528};
  const Gemm gemms[] = {{"qkv", 1024, 3072, false}, {"out", 1024, 1024, false}, {"ffn1+gelu", 1024, 2048, true},
                        {"ffn2", 2048, 1024, false}};
  cudaDeviceProp prop;
  CK(cudaGetDeviceProperties(&prop, 0));
  int lt_version = static_cast<int>(cublasLtGetVersion());
  std::printf("# %s, sm %d%d, cuBLASLt %d\n", prop.name, prop.major, prop.minor, lt_version);
  cublasLtHandle_t lt;
  LT(cublasLtCreate(&lt));
  cudaStream_t st;
  CK(cudaStreamCreateWithFlags(&st, cudaStreamNonBlocking));
  void* ws;
  CK(cudaMalloc(&ws, kWorkspace));
  std::mt19937 rng(0);
  std::normal_distribution<float> normal(0.f, 1.f);
  std::printf("| rows | GEMM | fp16 ms | fp8 ms (GEMM + row quantise) | fp8/fp16 | fp8 fast-accum ms | ratio | fp8 scales |"
              " fp16 err max / mean / rel | fp8 err max / mean / rel | fast-accum rel |\n|---|---|---:|---:|---:|---:|---:|---|---|---|---:|\n");
  double step16 = 0, step8 = 0, step8f = 0;
  for (int rows : row_counts) {
    step16 = step8 = step8f = 0;
    for (const Gemm& s : gemms) {
      const size_t nx = static_cast<size_t>(rows) * s.in, nw = static_cast<size_t>(s.out) * s.in, ny = static_cast<size_t>(rows) * s.out;
      std::vector<__half> hx(nx), hw(nw), hb(s.out);
      for (auto& v : hx) v = __float2half(normal(rng));
      for (auto& v : hw) v = __float2half(0.02f * normal(rng));
      for (auto& v : hb) v = __float2half(0.02f * normal(rng));
      __half *x, *w, *b, *y;
      float *xf, *wf, *bf, *yf, *sx, *sw, *tx, *tw;
      __nv_fp8_e4m3 *qx, *qw;
      CK(cudaMalloc(&x, nx * 2)); CK(cudaMalloc(&w, nw * 2)); CK(cudaMalloc(&b, s.out * 2)); CK(cudaMalloc(&y, ny * 2));
      CK(cudaMalloc(&xf, nx * 4)); CK(cudaMalloc(&wf, nw * 4)); CK(cudaMalloc(&bf, s.out * 4)); CK(cudaMalloc(&yf, ny * 4));
      CK(cudaMalloc(&qx, nx)); CK(cudaMalloc(&qw, nw)); CK(cudaMalloc(&sx, rows * 4)); CK(cudaMalloc(&sw, s.out * 4));
      CK(cudaMalloc(&tx, 4)); CK(cudaMalloc(&tw, 4));
      CK(cudaMemcpy(x, hx.data(), nx * 2, cudaMemcpyHostToDevice));
      CK(cudaMemcpy(w, hw.data(), nw * 2, cudaMemcpyHostToDevice));
      CK(cudaMemcpy(b, hb.data(), s.out * 2, cudaMemcpyHostToDevice));
      HalfToFloat<<<1024, 256, 0, st>>>(x, xf, nx);
      HalfToFloat<<<1024, 256, 0, st>>>(w, wf, nw);
      HalfToFloat<<<64, 256, 0, st>>>(b, bf, s.out);
      RowQuantize<<<s.out, 256, 0, st>>>(w, qw, sw, s.in);  // weights: once, per output channel (the exporter's job)
      CK(cudaStreamSynchronize(st));

      // Reference: fp32 GEMM (no TF32) of the fp16-rounded operands.
      std::vector<float> ref(ny);
      {
        LtGemm g;
        MakeGemm(lt, g, Kind::Fp32, s, rows, false, bf, nullptr, nullptr);
        int c = 0;
        TimeGemm(lt, g, wf, xf, yf, ws, st, 1, [] {}, &c);
        CK(cudaMemcpy(ref.data(), yf, ny * 4, cudaMemcpyDeviceToHost));
      }
      std::vector<__half> out(ny);
      const int iters = rows > 8192 ? 50 : 200;
      LtGemm g16;
      MakeGemm(lt, g16, Kind::Fp16, s, rows, false, b, nullptr, nullptr);
      int c16 = 0;
      const float t16 = TimeGemm(lt, g16, w, x, y, ws, st, iters, [] {}, &c16);
      CK(cudaMemcpy(out.data(), y, ny * 2, cudaMemcpyDeviceToHost));
      const Err e16 = Compare(out, ref);

      float t8[2] = {0, 0};
      Err e8[2] = {};
      std::string scales = "row x channel vectors";
      for (int fast = 0; fast < 2; ++fast) {
        LtGemm g8, gt;
        int c8 = 0;
        if (MakeGemm(lt, g8, Kind::Fp8Vector, s, rows, fast, b, sw, sx)) {
          t8[fast] = TimeGemm(lt, g8, qw, qx, y, ws, st, iters, [&] { RowQuantize<<<rows, 256, 0, st>>>(x, qx, sx, s.in); }, &c8);
        } else {
          // Per-tensor scales: W requantised once with its largest channel scale, activations with their largest row
          // scale per call (a serial max over the rows: slower than a real per-tensor path would be).
          scales = "per tensor (vectors refused)";
          TensorRequantize<<<1024, 256, 0, st>>>(w, qw, sw, s.out, tw, nw, s.in);
          if (!MakeGemm(lt, gt, Kind::Fp8Tensor, s, rows, fast, b, tw, tx)) {
            std::printf("| %d | %s | %.4f | no fp8 algorithm (fast accumulation %d) |\n", rows, s.name, t16, fast);
            RowQuantize<<<s.out, 256, 0, st>>>(w, qw, sw, s.in);
            continue;
          }
          t8[fast] = TimeGemm(lt, gt, qw, qx, y, ws, st, iters, [&] {
            RowQuantize<<<rows, 256, 0, st>>>(x, qx, sx, s.in);
            TensorRequantize<<<1024, 256, 0, st>>>(x, qx, sx, rows, tx, nx, s.in);
          }, &c8);
          RowQuantize<<<s.out, 256, 0, st>>>(w, qw, sw, s.in);  // back to per channel for the next variant
        }
        CK(cudaMemcpy(out.data(), y, ny * 2, cudaMemcpyDeviceToHost));
        e8[fast] = Compare(out, ref);
      }
      // Where the fp8 time goes (fast accumulation off): the row quantise alone, the GEMM alone with the scale vectors,
      // and the GEMM alone with one scale per tensor (operands requantised once with the largest row / channel scale).
      const float tq = TimeWork(st, iters, [&] { RowQuantize<<<rows, 256, 0, st>>>(x, qx, sx, s.in); });
      float tv = 0.f, tt = 0.f;
      Err et{};
      {
        LtGemm gv, gt;
        int c = 0;
        if (MakeGemm(lt, gv, Kind::Fp8Vector, s, rows, false, b, sw, sx)) tv = TimeGemm(lt, gv, qw, qx, y, ws, st, iters, [] {}, &c);
        TensorRequantize<<<1024, 256, 0, st>>>(w, qw, sw, s.out, tw, nw, s.in);
        TensorRequantize<<<1024, 256, 0, st>>>(x, qx, sx, rows, tx, nx, s.in);
        if (MakeGemm(lt, gt, Kind::Fp8Tensor, s, rows, false, b, tw, tx)) {
          tt = TimeGemm(lt, gt, qw, qx, y, ws, st, iters, [] {}, &c);
          CK(cudaMemcpy(out.data(), y, ny * 2, cudaMemcpyDeviceToHost));
          et = Compare(out, ref);
        }
      }
      std::printf("| %d | %s: parts | quantise %.4f | GEMM, vectors %.4f (%.3f of fp16) | GEMM, per tensor %.4f (%.3f of fp16) |"
                  " per-tensor rel err %.2e | | | | |\n", rows, s.name, tq, tv, tv / t16, tt, tt / t16, et.rel);
      step16 += t16; step8 += t8[0]; step8f += t8[1];
      std::printf("| %d | %s | %.4f | %.4f | %.3f | %.4f | %.3f | %s | %.2e / %.2e / %.2e | %.2e / %.2e / %.2e | %.2e |\n", rows,
                  s.name, t16, t8[0], t8[0] / t16, t8[1], t8[1] / t16, scales.c_str(), e16.max_abs, e16.mean_abs, e16.rel,
                  e8[0].max_abs, e8[0].mean_abs, e8[0].rel, e8[1].rel);
      for (void* p : {(void*)x, (void*)w, (void*)b, (void*)y, (void*)xf, (void*)wf, (void*)bf, (void*)yf, (void*)qx,
                      (void*)qw, (void*)sx, (void*)sw, (void*)tx, (void*)tw}) cudaFree(p);
    }
    std::printf("| %d | **one block (x 22 = the step's GEMMs)** | %.4f | %.4f | **%.3f** | %.4f | **%.3f** | | | | |\n", rows,
                step16, step8, step8 / step16, step8f, step8f / step16);
  }
  cudaFree(ws);
  cublasLtDestroy(lt);
  return 0;
}
