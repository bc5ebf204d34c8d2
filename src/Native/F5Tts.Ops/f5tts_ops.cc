// ONNX Runtime glue and CPU kernels of F5Tts.Ops, the custom-op domain "f5tts.ops" (docs/custom-ops.md).
//
// Ops (all tensors of one element type T, float or float16; shapes checked at every call):
//   ModulatedNorm(x [R,N,D], scale1 [R,D], shift [R,D]) -> y [R,N,D]
//   GatedResidualNorm(x [R,N,D], delta [R,N,D], bias [D], gate [R,D], scale1 [R,D], shift [R,D]) -> (y, h) [R,N,D]
//   QkvRotary(qkv [R,N,3I], bias [3I], cos [M,Dh/2], sin [M,Dh/2]; num_heads, rotary_heads) -> (q, k, v) [R,N,I]
//   ConvPositionEmbedding(x [R,N,D], w1 [G,C,K,C], b1 [D], w2 [G,C,K,C], b2 [D], keep [R,N,1]) -> y [R,N,D]
//   GemmBiasGelu(x [R,N,I], w [I,F], bias [F]) -> y [R,N,F]
// Every op is registered for the CPU provider and, when built with CUDA, for the CUDA provider, so a graph that uses
// them runs wherever ONNX Runtime does; the CPU kernels are also the reference the CUDA ones are tested against.
#define ORT_API_MANUAL_INIT
#include <onnxruntime_cxx_api.h>
#undef ORT_API_MANUAL_INIT

#include <cmath>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "f5tts_ops.h"

namespace f5tts_ops {
namespace {

constexpr const char* kDomain = "f5tts.ops";
// The custom-op ABI version these ops declare: 16 is the first with KernelComputeV2 (errors as statuses). Every
// OrtApi function this file calls exists from 1.16 on (tensor data is read through GetTensorMutableData, not the
// 1.23 GetTensorData the C++ wrapper's GetTensorRawData uses), so the library loads in any ONNX Runtime from 1.16 on,
// including Python wheels older than the C# package.
constexpr uint32_t kOpApiVersion = 16;
// The general CUDA norm kernel keeps one fp32 row in shared memory: 8192 floats = 32 KiB, under the 48 KiB a kernel
// gets without opting in (the fast path for D = 256·k ≤ 2048 uses registers).
constexpr int64_t kMaxDim = 8192;

// Data pointer of an input: the OrtApi 1.0 call (ORT does not modify or own anything through it here).
const void* Data(const Ort::ConstValue& v) {
  void* out = nullptr;
  Ort::ThrowOnError(Ort::GetApi().GetTensorMutableData(const_cast<OrtValue*>(static_cast<const OrtValue*>(v)), &out));
  return out;
}

template <typename T>
float ToF(T v) {
  return static_cast<float>(v);
}
template <>
float ToF(Ort::Float16_t v) {
  return v.ToFloat();
}
template <typename T>
T FromF(float v) {
  return static_cast<T>(v);
}
template <>
Ort::Float16_t FromF(float v) {
  return Ort::Float16_t(v);
}

void NormCpu(const NormArgs& a, bool half);
void QkvCpu(const QkvArgs& a, bool half);

template <typename T>
void NormCpuT(const NormArgs& a) {
  const int64_t d = a.dim;
  std::vector<float> row(static_cast<size_t>(d));
  for (int64_t r = 0; r < a.rows; ++r) {
    const int64_t item = r / a.frames;
    const T* x = static_cast<const T*>(a.x) + r * d;
    double sum = 0;
    for (int64_t c = 0; c < d; ++c) {
      float h = ToF(x[c]);
      if (a.delta != nullptr) {
        const float delta = ToF(static_cast<const T*>(a.delta)[r * d + c]);
        const float bias = ToF(static_cast<const T*>(a.bias)[c]);
        const float gate = ToF(static_cast<const T*>(a.gate)[item * d + c]);
        h += gate * (delta + bias);
        static_cast<T*>(a.h)[r * d + c] = FromF<T>(h);
      }
      row[c] = h;
      sum += h;
    }
    const float mean = static_cast<float>(sum / static_cast<double>(d));
    double sq = 0;
    for (int64_t c = 0; c < d; ++c) sq += (row[c] - mean) * (row[c] - mean);
    const float rstd = 1.f / std::sqrt(static_cast<float>(sq / static_cast<double>(d)) + a.epsilon);
    for (int64_t c = 0; c < d; ++c) {
      const float s = ToF(static_cast<const T*>(a.scale1)[item * d + c]);
      const float b = ToF(static_cast<const T*>(a.shift)[item * d + c]);
      static_cast<T*>(a.y)[r * d + c] = FromF<T>((row[c] - mean) * rstd * s + b);
    }
  }
}

template <typename T>
void QkvCpuT(const QkvArgs& a) {
  const int64_t inner = a.inner, half_head = a.dim_head / 2, rotated = a.rotary_heads * a.dim_head;
  const T* bias = static_cast<const T*>(a.bias);
  const T* cos = static_cast<const T*>(a.cos);
  const T* sin = static_cast<const T*>(a.sin);
  for (int64_t r = 0; r < a.rows; ++r) {
    const int64_t n = r % a.frames;
    const T* src = static_cast<const T*>(a.qkv) + r * 3 * inner;
    for (int64_t c = 0; c < 3 * inner; c += 2) {
      float u = ToF(src[c]) + ToF(bias[c]);
      float w = ToF(src[c + 1]) + ToF(bias[c + 1]);
      const int64_t part = c / inner, cc = c - part * inner;
      if (part < 2 && cc < rotated) {
        const int64_t i = (cc % a.dim_head) / 2;
        const float cs = ToF(cos[n * half_head + i]), sn = ToF(sin[n * half_head + i]);
        const float ru = u * cs - w * sn, rw = w * cs + u * sn;
        u = ru;
        w = rw;
      }
      T* out = static_cast<T*>(part == 0 ? a.q : part == 1 ? a.k : a.v) + r * inner + cc;
      out[0] = FromF<T>(u);
      out[1] = FromF<T>(w);
    }
  }
}

// PyTorch's softplus (threshold 20) inside mish.
float Mish(float t) { return t * std::tanh(t > 20.f ? t : std::log1p(std::exp(t))); }

// One grouped layer on one item, channels-last: out[n, g*C+o] = b + sum_k,c w[g,o,k,c] * in[n+k-K/2, g*C+c].
void GroupedConv(const std::vector<float>& in, const std::vector<float>& w, const std::vector<float>& b, int64_t frames,
                 int64_t dim, int64_t groups, int64_t kernel, std::vector<float>& out) {
  const int64_t c_per = dim / groups, pad = kernel / 2;
  for (int64_t n = 0; n < frames; ++n) {
    for (int64_t d = 0; d < dim; ++d) {
      const int64_t g = d / c_per;
      const float* wrow = w.data() + d * kernel * c_per;  // w[g, o, :, :] with d = g*C + o
      float sum = b[d];
      for (int64_t k = 0; k < kernel; ++k) {
        const int64_t m = n + k - pad;
        if (m < 0 || m >= frames) continue;
        const float* src = in.data() + m * dim + g * c_per;
        for (int64_t c = 0; c < c_per; ++c) sum += wrow[k * c_per + c] * src[c];
      }
      out[n * dim + d] = sum;
    }
  }
}

template <typename T>
std::vector<float> ToFloats(const void* p, int64_t count) {
  std::vector<float> v(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) v[i] = ToF(static_cast<const T*>(p)[i]);
  return v;
}

template <typename T>
void ConvPosCpuT(const ConvPosArgs& a) {
  const int64_t n_frames = a.frames, d = a.dim, wsize = d * a.kernel * (d / a.groups);
  const auto w1 = ToFloats<T>(a.w1, wsize), w2 = ToFloats<T>(a.w2, wsize);
  const auto b1 = ToFloats<T>(a.b1, d), b2 = ToFloats<T>(a.b2, d);
  std::vector<float> u(static_cast<size_t>(n_frames * d)), v(u.size());
  for (int64_t r = 0; r < a.items; ++r) {
    const T* x = static_cast<const T*>(a.x) + r * n_frames * d;
    const T* keep = static_cast<const T*>(a.keep) + r * n_frames;
    for (int64_t i = 0; i < n_frames * d; ++i) u[i] = ToF(x[i]) * ToF(keep[i / d]);
    GroupedConv(u, w1, b1, n_frames, d, a.groups, a.kernel, v);
    // the middle activations are stored in T between the layers, as on the GPU
    for (int64_t i = 0; i < n_frames * d; ++i) v[i] = ToF(FromF<T>(ToF(keep[i / d]) * Mish(v[i])));
    GroupedConv(v, w2, b2, n_frames, d, a.groups, a.kernel, u);
    T* y = static_cast<T*>(a.y) + r * n_frames * d;
    for (int64_t i = 0; i < n_frames * d; ++i) y[i] = FromF<T>(ToF(x[i]) + ToF(keep[i / d]) * Mish(u[i]));
  }
}

template <typename T>
void GemmGeluCpuT(const GemmGeluArgs& a) {
  const auto bias = ToFloats<T>(a.bias, a.out);
  const T* w = static_cast<const T*>(a.w);
  std::vector<float> acc(static_cast<size_t>(a.out));
  for (int64_t m = 0; m < a.rows; ++m) {
    acc = bias;
    const T* x = static_cast<const T*>(a.x) + m * a.in;
    for (int64_t i = 0; i < a.in; ++i) {
      const float xv = ToF(x[i]);
      const T* wrow = w + i * a.out;
      for (int64_t f = 0; f < a.out; ++f) acc[f] += xv * ToF(wrow[f]);
    }
    T* y = static_cast<T*>(a.y) + m * a.out;
    for (int64_t f = 0; f < a.out; ++f) {
      const float t = acc[f];
      y[f] = FromF<T>(0.5f * t * (1.f + std::tanh(0.7978845608028654f * (t + 0.044715f * t * t * t))));
    }
  }
}

void NormCpu(const NormArgs& a, bool half) { half ? NormCpuT<Ort::Float16_t>(a) : NormCpuT<float>(a); }
void QkvCpu(const QkvArgs& a, bool half) { half ? QkvCpuT<Ort::Float16_t>(a) : QkvCpuT<float>(a); }

[[noreturn]] void Fail(const std::string& op, const std::string& what) {
  throw std::invalid_argument(std::string(kDomain) + "::" + op + ": " + what);
}

std::string ShapeText(const std::vector<int64_t>& s) {
  std::string t = "[";
  for (size_t i = 0; i < s.size(); ++i) t += (i ? "," : "") + std::to_string(s[i]);
  return t + "]";
}

void Expect(const std::string& op, const char* name, const std::vector<int64_t>& got, const std::vector<int64_t>& want) {
  if (got != want) Fail(op, std::string(name) + " has shape " + ShapeText(got) + ", expected " + ShapeText(want));
}

// Kernel of ModulatedNorm (Gated = false) and GatedResidualNorm (Gated = true).
template <bool Gated>
struct NormKernel {
  NormKernel(const OrtKernelInfo* info, bool cuda) : cuda_(cuda) {
    Ort::ConstKernelInfo ki(info);
    epsilon_ = 1e-6f;
    try {
      epsilon_ = ki.GetAttribute<float>("epsilon");
    } catch (const Ort::Exception&) {
      // optional attribute: keep the default
    }
  }

  void Compute(OrtKernelContext* context) {
    const char* op = Gated ? "GatedResidualNorm" : "ModulatedNorm";
    Ort::KernelContext ctx(context);
    auto x = ctx.GetInput(0);
    const auto info = x.GetTensorTypeAndShapeInfo();
    const auto shape = info.GetShape();
    if (shape.size() != 3) Fail(op, "x must be [R, N, D], got " + ShapeText(shape));
    const int64_t items = shape[0], frames = shape[1], dim = shape[2];
    if (dim % 2 != 0 || dim > kMaxDim) Fail(op, "D must be even and at most " + std::to_string(kMaxDim));
    const bool half = info.GetElementType() == ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16;
    NormArgs a{};
    a.x = Data(x);
    size_t next = 1;
    if (Gated) {
      auto delta = ctx.GetInput(1), bias = ctx.GetInput(2), gate = ctx.GetInput(3);
      Expect(op, "delta", delta.GetTensorTypeAndShapeInfo().GetShape(), shape);
      Expect(op, "bias", bias.GetTensorTypeAndShapeInfo().GetShape(), {dim});
      Expect(op, "gate", gate.GetTensorTypeAndShapeInfo().GetShape(), {items, dim});
      a.delta = Data(delta);
      a.bias = Data(bias);
      a.gate = Data(gate);
      next = 4;
    }
    auto scale1 = ctx.GetInput(next), shift = ctx.GetInput(next + 1);
    Expect(op, "scale1", scale1.GetTensorTypeAndShapeInfo().GetShape(), {items, dim});
    Expect(op, "shift", shift.GetTensorTypeAndShapeInfo().GetShape(), {items, dim});
    a.scale1 = Data(scale1);
    a.shift = Data(shift);
    a.y = ctx.GetOutput(0, shape).GetTensorMutableRawData();
    if (Gated) a.h = ctx.GetOutput(1, shape).GetTensorMutableRawData();
    a.rows = items * frames;
    a.frames = frames;
    a.dim = dim;
    a.epsilon = epsilon_;
    Run(op, a, half, ctx);
  }

  OrtStatusPtr ComputeV2(OrtKernelContext* context) { return Guard([&] { Compute(context); }); }

  template <typename Args>
  void Run(const char* op, const Args& a, bool half, Ort::KernelContext& ctx) {
    if (!cuda_) {
      NormCpu(a, half);
      return;
    }
#ifdef F5TTS_OPS_CUDA
    if (const char* e = LaunchNormCuda(a, half, ctx.GetGPUComputeStream())) Fail(op, e);
#else
    (void)ctx;
    Fail(op, "built without CUDA");
#endif
  }

  template <typename F>
  static OrtStatusPtr Guard(F&& f) {
    try {
      f();
      return nullptr;
    } catch (const std::exception& e) {
      return Ort::GetApi().CreateStatus(ORT_RUNTIME_EXCEPTION, e.what());
    }
  }

  bool cuda_;
  float epsilon_;
};

struct QkvKernel {
  QkvKernel(const OrtKernelInfo* info, bool cuda) : cuda_(cuda) {
    Ort::ConstKernelInfo ki(info);
    heads_ = ki.GetAttribute<int64_t>("num_heads");
    rotary_heads_ = heads_;
    try {
      rotary_heads_ = ki.GetAttribute<int64_t>("rotary_heads");
    } catch (const Ort::Exception&) {
      // optional attribute: all heads rotate (F5-TTS v1)
    }
    if (heads_ <= 0 || rotary_heads_ < 0 || rotary_heads_ > heads_) Fail("QkvRotary", "bad num_heads/rotary_heads");
  }

  void Compute(OrtKernelContext* context) {
    const char* op = "QkvRotary";
    Ort::KernelContext ctx(context);
    auto qkv = ctx.GetInput(0), bias = ctx.GetInput(1), cos = ctx.GetInput(2), sin = ctx.GetInput(3);
    const auto info = qkv.GetTensorTypeAndShapeInfo();
    const auto shape = info.GetShape();
    if (shape.size() != 3 || shape[2] % (3 * heads_) != 0) Fail(op, "qkv must be [R, N, 3 * num_heads * Dh], got " + ShapeText(shape));
    const int64_t inner = shape[2] / 3, dim_head = inner / heads_;
    if (dim_head % 2 != 0) Fail(op, "the head size must be even");
    Expect(op, "bias", bias.GetTensorTypeAndShapeInfo().GetShape(), {3 * inner});
    const auto table = cos.GetTensorTypeAndShapeInfo().GetShape();
    if (table.size() != 2 || table[1] != dim_head / 2 || table[0] < shape[1]) {
      Fail(op, "cos must be [M >= N, Dh/2] = [>= " + std::to_string(shape[1]) + ", " + std::to_string(dim_head / 2) + "], got " + ShapeText(table));
    }
    Expect(op, "sin", sin.GetTensorTypeAndShapeInfo().GetShape(), table);
    const std::vector<int64_t> out_shape{shape[0], shape[1], inner};
    QkvArgs a{};
    a.qkv = Data(qkv);
    a.bias = Data(bias);
    a.cos = Data(cos);
    a.sin = Data(sin);
    a.q = ctx.GetOutput(0, out_shape).GetTensorMutableRawData();
    a.k = ctx.GetOutput(1, out_shape).GetTensorMutableRawData();
    a.v = ctx.GetOutput(2, out_shape).GetTensorMutableRawData();
    a.rows = shape[0] * shape[1];
    a.frames = shape[1];
    a.inner = inner;
    a.dim_head = dim_head;
    a.rotary_heads = rotary_heads_;
    const bool half = info.GetElementType() == ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16;
    if (!cuda_) {
      QkvCpu(a, half);
      return;
    }
#ifdef F5TTS_OPS_CUDA
    if (const char* e = LaunchQkvCuda(a, half, ctx.GetGPUComputeStream())) Fail(op, e);
#else
    Fail(op, "built without CUDA");
#endif
  }

  OrtStatusPtr ComputeV2(OrtKernelContext* context) { return NormKernel<false>::Guard([&] { Compute(context); }); }

  bool cuda_;
  int64_t heads_;
  int64_t rotary_heads_;
};

// Shared part of the kernels built on cuBLAS (ConvPositionEmbedding, GemmBiasGelu): on the CUDA provider they own
// the cuBLAS state (created with the session, on the thread that builds it) and take their scratch memory per call
// from ONNX Runtime's allocator of the input's device, so concurrent runs never share it and CUDA-graph replays see the
// same addresses that ONNX Runtime's own kernels do.
struct BlasKernel {
  BlasKernel(const char* op, bool cuda) : cuda_(cuda) {
#ifdef F5TTS_OPS_CUDA
    if (cuda_) {
      const char* error = "unknown";
      blas_ = CreateBlas(&error);
      if (blas_ == nullptr) Fail(op, std::string("cannot create the cuBLAS handles: ") + error);
    }
#else
    (void)op;
#endif
  }
  ~BlasKernel() {
#ifdef F5TTS_OPS_CUDA
    if (blas_ != nullptr) DestroyBlas(blas_);
#endif
  }
  BlasKernel(const BlasKernel&) = delete;
  BlasKernel& operator=(const BlasKernel&) = delete;

#ifdef F5TTS_OPS_CUDA
  // Runs launch(scratch) with `bytes` of device scratch on the device of `like`, released once launch returns.
  template <typename F>
  void WithScratch(Ort::KernelContext& ctx, const Ort::ConstValue& like, size_t bytes, const char* op, F&& launch) {
    const OrtMemoryInfo* device = like.GetTensorMemoryInfo();
    Ort::Allocator allocator = ctx.GetAllocator(*device);
    void* scratch = allocator.Alloc(bytes);
    const char* e = launch(scratch);
    allocator.Free(scratch);
    if (e != nullptr) Fail(op, e);
  }
#endif

  bool cuda_;
  void* blas_ = nullptr;
};

struct ConvPosKernel : BlasKernel {
  ConvPosKernel(const OrtKernelInfo* /*info*/, bool cuda) : BlasKernel("ConvPositionEmbedding", cuda) {}

  void Compute(OrtKernelContext* context) {
    const char* op = "ConvPositionEmbedding";
    Ort::KernelContext ctx(context);
    auto x = ctx.GetInput(0), w1 = ctx.GetInput(1), b1 = ctx.GetInput(2), w2 = ctx.GetInput(3), b2 = ctx.GetInput(4),
         keep = ctx.GetInput(5);
    const auto info = x.GetTensorTypeAndShapeInfo();
    const auto shape = info.GetShape();
    if (shape.size() != 3) Fail(op, "x must be [R, N, D], got " + ShapeText(shape));
    const auto wshape = w1.GetTensorTypeAndShapeInfo().GetShape();
    if (wshape.size() != 4 || wshape[1] != wshape[3] || wshape[0] * wshape[1] != shape[2] || wshape[2] % 2 == 0) {
      Fail(op, "w1 must be [G, C, K, C] with G*C = D = " + std::to_string(shape[2]) + " and K odd, got " + ShapeText(wshape));
    }
    Expect(op, "w2", w2.GetTensorTypeAndShapeInfo().GetShape(), wshape);
    Expect(op, "b1", b1.GetTensorTypeAndShapeInfo().GetShape(), {shape[2]});
    Expect(op, "b2", b2.GetTensorTypeAndShapeInfo().GetShape(), {shape[2]});
    Expect(op, "keep", keep.GetTensorTypeAndShapeInfo().GetShape(), {shape[0], shape[1], 1});
    ConvPosArgs a{};
    a.x = Data(x);
    a.w1 = Data(w1);
    a.b1 = Data(b1);
    a.w2 = Data(w2);
    a.b2 = Data(b2);
    a.keep = Data(keep);
    a.y = ctx.GetOutput(0, shape).GetTensorMutableRawData();
    a.items = shape[0];
    a.frames = shape[1];
    a.dim = shape[2];
    a.groups = wshape[0];
    a.kernel = wshape[2];
    const bool half = info.GetElementType() == ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16;
    if (!cuda_) {
      half ? ConvPosCpuT<Ort::Float16_t>(a) : ConvPosCpuT<float>(a);
      return;
    }
#ifdef F5TTS_OPS_CUDA
    void* stream = ctx.GetGPUComputeStream();
    WithScratch(ctx, x, ConvPosScratchBytes(a, half), op,
                [&](void* scratch) { return LaunchConvPosCuda(a, half, stream, blas_, scratch); });
#else
    Fail(op, "built without CUDA");
#endif
  }

  OrtStatusPtr ComputeV2(OrtKernelContext* context) { return NormKernel<false>::Guard([&] { Compute(context); }); }
};

struct GemmGeluKernel : BlasKernel {
  GemmGeluKernel(const OrtKernelInfo* /*info*/, bool cuda) : BlasKernel("GemmBiasGelu", cuda) {}

  void Compute(OrtKernelContext* context) {
    const char* op = "GemmBiasGelu";
    Ort::KernelContext ctx(context);
    auto x = ctx.GetInput(0), w = ctx.GetInput(1), bias = ctx.GetInput(2);
    const auto info = x.GetTensorTypeAndShapeInfo();
    auto shape = info.GetShape();
    const auto wshape = w.GetTensorTypeAndShapeInfo().GetShape();
    if (shape.size() < 2) Fail(op, "x must be [..., I], got " + ShapeText(shape));
    if (wshape.size() != 2 || wshape[0] != shape.back()) {
      Fail(op, "w must be [I, F] with I = " + std::to_string(shape.back()) + ", got " + ShapeText(wshape));
    }
    Expect(op, "bias", bias.GetTensorTypeAndShapeInfo().GetShape(), {wshape[1]});
    GemmGeluArgs a{};
    a.x = Data(x);
    a.w = Data(w);
    a.bias = Data(bias);
    a.in = wshape[0];
    a.out = wshape[1];
    a.rows = 1;
    for (size_t i = 0; i + 1 < shape.size(); ++i) a.rows *= shape[i];
    shape.back() = a.out;
    a.y = ctx.GetOutput(0, shape).GetTensorMutableRawData();
    const bool half = info.GetElementType() == ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16;
    if (!cuda_) {
      half ? GemmGeluCpuT<Ort::Float16_t>(a) : GemmGeluCpuT<float>(a);
      return;
    }
#ifdef F5TTS_OPS_CUDA
    void* stream = ctx.GetGPUComputeStream();
    WithScratch(ctx, x, GemmGeluScratchBytes(a, half), op,
                [&](void* scratch) { return LaunchGemmGeluCuda(a, half, stream, blas_, scratch); });
#else
    Fail(op, "built without CUDA");
#endif
  }

  OrtStatusPtr ComputeV2(OrtKernelContext* context) { return NormKernel<false>::Guard([&] { Compute(context); }); }
};

// One registration of an op: name, provider and element type. ONNX Runtime merges the registrations of one name into
// one schema whose type constraint is the union of their types.
template <typename TKernel, int Inputs, int Outputs>
struct Op : Ort::CustomOpBase<Op<TKernel, Inputs, Outputs>, TKernel, true> {
  Op(const char* name, bool cuda, ONNXTensorElementDataType type) : name_(name), cuda_(cuda), type_(type) {
    OrtCustomOp::version = kOpApiVersion;
  }

  OrtStatusPtr CreateKernelV2(const OrtApi& /*api*/, const OrtKernelInfo* info, void** kernel) const {
    try {
      *kernel = new TKernel(info, cuda_);
      return nullptr;
    } catch (const std::exception& e) {
      return Ort::GetApi().CreateStatus(ORT_INVALID_ARGUMENT, e.what());
    }
  }

  const char* GetName() const { return name_; }
  const char* GetExecutionProviderType() const { return cuda_ ? "CUDAExecutionProvider" : "CPUExecutionProvider"; }
  size_t GetInputTypeCount() const { return Inputs; }
  ONNXTensorElementDataType GetInputType(size_t) const { return type_; }
  size_t GetOutputTypeCount() const { return Outputs; }
  ONNXTensorElementDataType GetOutputType(size_t) const { return type_; }

  const char* name_;
  bool cuda_;
  ONNXTensorElementDataType type_;
};

using ModulatedNormOp = Op<NormKernel<false>, 3, 1>;
using GatedResidualNormOp = Op<NormKernel<true>, 6, 2>;
using QkvRotaryOp = Op<QkvKernel, 4, 3>;
using ConvPositionEmbeddingOp = Op<ConvPosKernel, 6, 1>;
using GemmBiasGeluOp = Op<GemmGeluKernel, 3, 1>;

// Every op object of one registration, kept alive with its domain: ONNX Runtime holds raw pointers to both for the
// lifetime of every session created from the options, so they are owned here until the library is unloaded.
struct Registration {
  std::vector<std::unique_ptr<OrtCustomOp>> ops;
  Ort::CustomOpDomain domain{kDomain};
};

std::mutex g_mutex;
std::vector<std::unique_ptr<Registration>> g_registrations;

template <typename TOp>
void Add(Registration& reg, const char* name, bool cuda, ONNXTensorElementDataType type) {
  auto op = std::make_unique<TOp>(name, cuda, type);
  reg.domain.Add(op.get());
  reg.ops.push_back(std::move(op));
}

}  // namespace
}  // namespace f5tts_ops

extern "C" {

// The entry point ONNX Runtime calls (SessionOptions.RegisterCustomOpLibrary / register_custom_ops_library).
__attribute__((visibility("default"))) OrtStatus* ORT_API_CALL RegisterCustomOps(OrtSessionOptions* options,
                                                                               const OrtApiBase* api_base) {
  using namespace f5tts_ops;
  const OrtApi* api = api_base->GetApi(kOpApiVersion);
  if (api == nullptr) {
    // This ONNX Runtime predates the ABI the ops need; report it through the oldest API, which every version serves.
    const OrtApi* oldest = api_base->GetApi(1);
    return oldest == nullptr ? nullptr : oldest->CreateStatus(ORT_FAIL, "f5tts.ops needs ONNX Runtime 1.16 or newer");
  }
  Ort::InitApi(api);
  try {
    auto reg = std::make_unique<Registration>();
    std::vector<bool> providers{false};
#ifdef F5TTS_OPS_CUDA
    providers.push_back(true);
#endif
    for (const bool cuda : providers) {
      for (const auto type : {ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT, ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16}) {
        Add<ModulatedNormOp>(*reg, "ModulatedNorm", cuda, type);
        Add<GatedResidualNormOp>(*reg, "GatedResidualNorm", cuda, type);
        Add<QkvRotaryOp>(*reg, "QkvRotary", cuda, type);
        Add<ConvPositionEmbeddingOp>(*reg, "ConvPositionEmbedding", cuda, type);
        Add<GemmBiasGeluOp>(*reg, "GemmBiasGelu", cuda, type);
      }
    }
    Ort::UnownedSessionOptions(options).Add(reg->domain);
    std::lock_guard<std::mutex> lock(g_mutex);
    g_registrations.push_back(std::move(reg));
    return nullptr;
  } catch (const std::exception& e) {
    return api->CreateStatus(ORT_FAIL, e.what());
  }
}

// For callers that want to know what they loaded: "cuda" when the CUDA kernels are compiled in, else "cpu".
__attribute__((visibility("default"))) const char* F5TtsOpsProviders() {
#ifdef F5TTS_OPS_CUDA
  return "cpu,cuda";
#else
  return "cpu";
#endif
}

}  // extern "C"
