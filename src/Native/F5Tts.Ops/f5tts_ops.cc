// ONNX Runtime glue and CPU kernels of F5Tts.Ops, the custom-op domain "f5tts.ops" (docs/custom-ops.md).
//
// Ops (all tensors of one element type T, float or float16; shapes checked at every call):
//   ModulatedNorm(x [R,N,D], scale1 [R,D], shift [R,D]) -> y [R,N,D]
//   GatedResidualNorm(x [R,N,D], delta [R,N,D], bias [D], gate [R,D], scale1 [R,D], shift [R,D]) -> (y, h) [R,N,D]
//   QkvRotary(qkv [R,N,3I], bias [3I], cos [M,Dh/2], sin [M,Dh/2]; num_heads, rotary_heads) -> (q, k, v) [R,N,I]
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
