// N-API addon: tfjs kernels as thin calls into ATen (libtorch's tensor library: oneDNN
// convolutions, BLAS matrix products, vectorised multi-threaded element-wise loops).
// Tensors stay in native memory: JS holds an External<Holder> per tfjs dataId and only
// copies data at write (fromArray) and read (toArray).
#include <napi.h>
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

// native/c10d.cc: process groups on the same tensor handles.
void InitC10d(Napi::Env env, Napi::Object exports, const at::Tensor& (*tensorOf)(const Napi::Value&),
              Napi::Value (*wrap)(Napi::Env, at::Tensor));

namespace {

// One tfjs dataId. `aux` carries data a later kernel can reuse (max-pool argmax indices).
struct Holder {
  at::Tensor t;
  at::Tensor aux;
};

// dtype codes shared with src/native.ts
enum DType { kF32 = 0, kI32 = 1, kBool = 2 };

at::ScalarType scalarType(int code) {
  switch (code) {
    case kF32: return at::kFloat;
    case kI32: return at::kInt;
    case kBool: return at::kBool;
  }
  throw std::runtime_error("unknown dtype code " + std::to_string(code));
}

int dtypeCode(const at::Tensor& t) {
  switch (t.scalar_type()) {
    case at::kFloat: return kF32;
    case at::kInt: return kI32;
    case at::kBool: return kBool;
    default: throw std::runtime_error(std::string("unsupported result dtype ") + c10::toString(t.scalar_type()));
  }
}

// tfjs knows float32/int32/bool only: ATen's int64 results (sums, argmax) and doubles are narrowed.
at::Tensor normalise(at::Tensor t) {
  switch (t.scalar_type()) {
    case at::kFloat: case at::kInt: case at::kBool: return t;
    case at::kLong: case at::kShort: case at::kChar: case at::kByte: return t.to(at::kInt);
    default: return t.to(at::kFloat);
  }
}

Holder* holder(const Napi::Value& v) {
  if (!v.IsExternal()) throw std::runtime_error("expected a tensor handle");
  Holder* h = v.As<Napi::External<Holder>>().Data();
  if (!h->t.defined()) throw std::runtime_error("tensor handle used after dispose");
  return h;
}
const at::Tensor& T(const Napi::Value& v) { return holder(v)->t; }

Napi::Value wrap(Napi::Env env, at::Tensor t, at::Tensor aux = at::Tensor()) {
  auto* h = new Holder{normalise(std::move(t)), std::move(aux)};
  return Napi::External<Holder>::New(env, h, [](Napi::Env, Holder* p) { delete p; });
}

std::vector<int64_t> ints(const Napi::Value& v) {
  auto a = v.As<Napi::Array>();
  std::vector<int64_t> out(a.Length());
  for (uint32_t i = 0; i < a.Length(); i++) out[i] = a.Get(i).As<Napi::Number>().Int64Value();
  return out;
}
int64_t I(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().Int64Value(); }
double D(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().DoubleValue(); }
bool B(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Boolean>().Value(); }

// Every exported function goes through this so ATen's c10::Error becomes a JS Error.
template <Napi::Value (*F)(const Napi::CallbackInfo&)>
Napi::Value guarded(const Napi::CallbackInfo& info) {
  try {
    return F(info);
  } catch (const Napi::Error&) {
    throw;
  } catch (const c10::Error& e) {
    throw Napi::Error::New(info.Env(), std::string("libtorch: ") + e.what_without_backtrace());
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), std::string("libtorch: ") + e.what());
  }
}

// ---- data in and out -------------------------------------------------------------------

Napi::Value FromArray(const Napi::CallbackInfo& info) {
  auto arr = info[0].As<Napi::TypedArray>();
  auto shape = ints(info[1]);
  at::ScalarType st = scalarType(static_cast<int>(I(info, 2)));
  at::Tensor t = at::empty(shape, at::TensorOptions().dtype(st));
  size_t bytes = static_cast<size_t>(t.numel()) * t.element_size();
  if (arr.ByteLength() != bytes) {
    throw std::runtime_error("fromArray: " + std::to_string(arr.ByteLength()) + " bytes for a tensor of " + std::to_string(bytes));
  }
  const uint8_t* src = static_cast<const uint8_t*>(arr.ArrayBuffer().Data()) + arr.ByteOffset();
  if (bytes) std::memcpy(t.data_ptr(), src, bytes);
  return wrap(info.Env(), t);
}

Napi::Value ToArray(const Napi::CallbackInfo& info) {
  at::Tensor t = T(info[0]).contiguous();
  Napi::Env env = info.Env();
  size_t n = static_cast<size_t>(t.numel());
  switch (dtypeCode(t)) {
    case kF32: { auto a = Napi::Float32Array::New(env, n); if (n) std::memcpy(a.Data(), t.data_ptr(), n * 4); return a; }
    case kI32: { auto a = Napi::Int32Array::New(env, n); if (n) std::memcpy(a.Data(), t.data_ptr(), n * 4); return a; }
    default: { auto a = Napi::Uint8Array::New(env, n); if (n) std::memcpy(a.Data(), t.data_ptr(), n); return a; }
  }
}

// [dtypeCode, ...shape]
Napi::Value Info(const Napi::CallbackInfo& info) {
  const at::Tensor& t = T(info[0]);
  auto a = Napi::Array::New(info.Env(), t.dim() + 1);
  a.Set(0u, dtypeCode(t));
  for (int64_t i = 0; i < t.dim(); i++) a.Set(static_cast<uint32_t>(i + 1), static_cast<double>(t.size(i)));
  return a;
}

Napi::Value Dispose(const Napi::CallbackInfo& info) {
  if (info[0].IsExternal()) {
    Holder* h = info[0].As<Napi::External<Holder>>().Data();
    h->t.reset();
    h->aux.reset();
  }
  return info.Env().Undefined();
}

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  at::set_num_threads(static_cast<int>(I(info, 0)));
  return info.Env().Undefined();
}
Napi::Value GetNumThreads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), at::get_num_threads()); }
Napi::Value Config(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), at::show_config()); }

// ---- element-wise ----------------------------------------------------------------------

// tfjs Step: 1 where x > 0, alpha elsewhere, NaN stays NaN; one pass (it is in every ReLU gradient)
at::Tensor step(const at::Tensor& x, float alpha) {
  if (x.scalar_type() != at::kFloat) {
    return at::where(at::isnan(x), x, at::where(x > 0, at::ones_like(x), at::full_like(x, alpha)));
  }
  at::Tensor xc = x.contiguous();
  at::Tensor y = at::empty_like(xc);
  const float* px = xc.data_ptr<float>();
  float* py = y.data_ptr<float>();
  at::parallel_for(0, xc.numel(), 32768, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i++) {
      float v = px[i];
      py[i] = v > 0.f ? 1.f : (v != v ? v : alpha);
    }
  });
  return y;
}

// codes shared with src/native.ts (UNARY)
Napi::Value Unary(const Napi::CallbackInfo& info) {
  int op = static_cast<int>(I(info, 0));
  const at::Tensor& x = T(info[1]);
  double a = info.Length() > 2 ? D(info, 2) : 0.0;
  at::Tensor y;
  switch (op) {
    case 0: y = at::neg(x); break;
    case 1: y = at::abs(x); break;
    case 2: y = at::exp(x); break;
    case 3: y = at::log(x); break;
    case 4: y = at::sqrt(x); break;
    case 5: y = at::rsqrt(x); break;
    case 6: y = at::square(x); break;
    case 7: y = at::relu(x); break;
    case 8: y = at::clamp(x, 0, 6); break;
    case 9: y = at::sigmoid(x); break;
    case 10: y = at::tanh(x); break;
    case 11: y = at::floor(x); break;
    case 12: y = at::ceil(x); break;
    case 13: y = at::round(x); break;  // half to even, like tfjs
    case 14: y = at::sign(x); break;
    case 15: y = at::reciprocal(x); break;
    // tfjs Step: 1 where x > 0, alpha elsewhere, NaN stays NaN
    case 16: y = step(x, static_cast<float>(a)); break;
    case 17: y = at::log1p(x); break;
    case 18: y = at::expm1(x); break;
    case 19: y = at::sin(x); break;
    case 20: y = at::cos(x); break;
    case 21: y = at::elu(x); break;
    case 22: y = at::softplus(x); break;
    case 23: y = at::logical_not(x); break;
    case 24: y = at::isnan(x); break;
    case 25: y = at::leaky_relu(x, a); break;
    case 26: y = at::erf(x); break;
    case 27: y = at::selu(x); break;
    case 28: y = at::isinf(x); break;
    case 29: y = at::isfinite(x); break;
    case 30: y = x; break;  // identity: an alias, tfjs never mutates tensor data
    default: throw std::runtime_error("unknown unary op " + std::to_string(op));
  }
  return wrap(info.Env(), y);
}

// codes shared with src/native.ts (BINARY); numpy broadcasting as in tfjs
Napi::Value Binary(const Napi::CallbackInfo& info) {
  int op = static_cast<int>(I(info, 0));
  const at::Tensor& a = T(info[1]);
  const at::Tensor& b = T(info[2]);
  at::Tensor y;
  switch (op) {
    case 0: y = at::add(a, b); break;
    case 1: y = at::sub(a, b); break;
    case 2: y = at::mul(a, b); break;
    case 3: y = at::div(a, b); break;
    case 4: y = at::maximum(a, b); break;
    case 5: y = at::minimum(a, b); break;
    case 6: y = at::pow(a, b); break;
    case 7: { at::Tensor d = at::sub(a, b); y = d.mul_(d); break; }
    case 8: y = at::div(a, b, "floor"); break;
    case 9: y = at::remainder(a, b); break;
    case 10: y = at::eq(a, b); break;
    case 11: y = at::ne(a, b); break;
    case 12: y = at::lt(a, b); break;
    case 13: y = at::le(a, b); break;
    case 14: y = at::gt(a, b); break;
    case 15: y = at::ge(a, b); break;
    case 16: y = at::logical_and(a, b); break;
    case 17: y = at::logical_or(a, b); break;
    case 18: y = at::atan2(a, b); break;
    // ReluGrad(dy, y): dy where y > 0
    case 19: y = at::where(b > 0, a, at::zeros({}, a.options())); break;
    // EluGrad(dy, y): dy * (y < 0 ? y + 1 : 1)
    case 20: y = at::where(b < 0, a * (b + 1), a); break;
    // Relu6Grad(dy, x)
    case 21: y = at::where((b > 0).logical_and_(b < 6), a, at::zeros({}, a.options())); break;
    // Prelu(x, alpha): x where x > 0, alpha * x elsewhere
    case 22: y = at::where(a > 0, a, a * b); break;
    default: throw std::runtime_error("unknown binary op " + std::to_string(op));
  }
  return wrap(info.Env(), y);
}

// AddN: one fresh sum, accumulated in place (no intermediate tensors)
Napi::Value AddN(const Napi::CallbackInfo& info) {
  auto a = info[0].As<Napi::Array>();
  at::Tensor y = at::add(T(a.Get(0u)), T(a.Get(1u)));
  for (uint32_t i = 2; i < a.Length(); i++) y.add_(T(a.Get(i)));
  return wrap(info.Env(), y);
}

Napi::Value Cast(const Napi::CallbackInfo& info) {
  const at::Tensor& x = T(info[0]);
  at::ScalarType st = scalarType(static_cast<int>(I(info, 1)));
  if (x.scalar_type() == st) return wrap(info.Env(), x);
  // tfjs casts float to int by truncation, as ATen does
  return wrap(info.Env(), x.to(st));
}

Napi::Value Where(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::where(T(info[0]).to(at::kBool), T(info[1]), T(info[2])));
}

Napi::Value Clip(const Napi::CallbackInfo& info) { return wrap(info.Env(), at::clamp(T(info[0]), D(info, 1), D(info, 2))); }

Napi::Value Fill(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::full(ints(info[0]), D(info, 1), at::TensorOptions().dtype(scalarType(static_cast<int>(I(info, 2))))));
}

// ZerosLike / OnesLike: fresh contiguous tensors
Napi::Value FillLike(const Napi::CallbackInfo& info) {
  const at::Tensor& x = T(info[0]);
  return wrap(info.Env(), at::full(x.sizes(), D(info, 1), x.options()));
}

// ---- reductions ------------------------------------------------------------------------

Napi::Value Reduce(const Napi::CallbackInfo& info) {
  int op = static_cast<int>(I(info, 0));
  at::Tensor x = T(info[1]);
  auto axes = ints(info[2]);
  bool keep = B(info, 3);
  if (axes.empty()) return wrap(info.Env(), x);  // ATen reads an empty list as "all axes"
  at::Tensor y;
  switch (op) {
    case 0: y = x.scalar_type() == at::kFloat ? at::sum(x, axes, keep) : at::sum(x, axes, keep, at::kInt); break;
    case 1: y = at::mean(x.scalar_type() == at::kFloat ? x : x.to(at::kFloat), axes, keep); break;
    case 2: y = at::amax(x, axes, keep); break;
    case 3: y = at::amin(x, axes, keep); break;
    case 4: case 5: case 6: {
      // single-axis only in ATen: reduce the highest axis first so indices stay valid
      std::sort(axes.begin(), axes.end(), std::greater<int64_t>());
      y = x;
      for (int64_t ax : axes) {
        y = op == 4 ? at::prod(y, ax, keep, x.scalar_type() == at::kFloat ? at::kFloat : at::kInt)
          : op == 5 ? at::any(y, ax, keep) : at::all(y, ax, keep);
      }
      break;
    }
    case 7: y = at::argmax(x, axes[0], keep); break;
    case 8: y = at::argmin(x, axes[0], keep); break;
    default: throw std::runtime_error("unknown reduction " + std::to_string(op));
  }
  return wrap(info.Env(), y);
}

Napi::Value Softmax(const Napi::CallbackInfo& info) { return wrap(info.Env(), at::softmax(T(info[0]), I(info, 1))); }
Napi::Value LogSoftmax(const Napi::CallbackInfo& info) { return wrap(info.Env(), at::log_softmax(T(info[0]), I(info, 1))); }

// ---- shapes and data movement (views where ATen allows) ---------------------------------

Napi::Value Reshape(const Napi::CallbackInfo& info) { return wrap(info.Env(), T(info[0]).reshape(ints(info[1]))); }
Napi::Value Transpose(const Napi::CallbackInfo& info) { return wrap(info.Env(), T(info[0]).permute(ints(info[1]))); }

Napi::Value Slice(const Napi::CallbackInfo& info) {
  at::Tensor y = T(info[0]);
  auto begin = ints(info[1]);
  auto size = ints(info[2]);
  for (size_t d = 0; d < begin.size(); d++) {
    if (begin[d] != 0 || size[d] != y.size(static_cast<int64_t>(d))) y = y.narrow(static_cast<int64_t>(d), begin[d], size[d]);
  }
  return wrap(info.Env(), y);
}

// begin, end, strides already normalised by tfjs' sliceInfo (positive strides only here)
Napi::Value StridedSlice(const Napi::CallbackInfo& info) {
  at::Tensor y = T(info[0]);
  auto begin = ints(info[1]);
  auto end = ints(info[2]);
  auto strides = ints(info[3]);
  for (size_t d = 0; d < begin.size(); d++) y = y.slice(static_cast<int64_t>(d), begin[d], end[d], strides[d]);
  return wrap(info.Env(), y.reshape(ints(info[4])));
}

std::vector<at::Tensor> tensorList(const Napi::Value& v) {
  auto a = v.As<Napi::Array>();
  std::vector<at::Tensor> ts;
  ts.reserve(a.Length());
  for (uint32_t i = 0; i < a.Length(); i++) ts.push_back(T(a.Get(i)));
  return ts;
}

Napi::Value Concat(const Napi::CallbackInfo& info) { return wrap(info.Env(), at::cat(tensorList(info[0]), I(info, 1))); }
Napi::Value Stack(const Napi::CallbackInfo& info) { return wrap(info.Env(), at::stack(tensorList(info[0]), I(info, 1))); }
Napi::Value Unstack(const Napi::CallbackInfo& info) {
  auto parts = at::unbind(T(info[0]), I(info, 1));
  auto out = Napi::Array::New(info.Env(), parts.size());
  for (size_t i = 0; i < parts.size(); i++) out.Set(static_cast<uint32_t>(i), wrap(info.Env(), parts[i]));
  return out;
}
Napi::Value Split(const Napi::CallbackInfo& info) {
  auto parts = at::split_with_sizes(T(info[0]), ints(info[1]), I(info, 2));
  auto out = Napi::Array::New(info.Env(), parts.size());
  for (size_t i = 0; i < parts.size(); i++) out.Set(static_cast<uint32_t>(i), wrap(info.Env(), parts[i]));
  return out;
}

// paddings as tfjs gives them: [[before, after], ...] flattened, first axis first
Napi::Value Pad(const Napi::CallbackInfo& info) {
  auto p = ints(info[1]);
  std::vector<int64_t> ap;  // ATen: last axis first
  for (size_t d = p.size() / 2; d-- > 0;) { ap.push_back(p[2 * d]); ap.push_back(p[2 * d + 1]); }
  return wrap(info.Env(), at::constant_pad_nd(T(info[0]), ap, D(info, 2)));
}

Napi::Value Tile(const Napi::CallbackInfo& info) { return wrap(info.Env(), T(info[0]).repeat(ints(info[1]))); }
Napi::Value Reverse(const Napi::CallbackInfo& info) { return wrap(info.Env(), at::flip(T(info[0]), ints(info[1]))); }

Napi::Value Gather(const Napi::CallbackInfo& info) {
  const at::Tensor& x = T(info[0]);
  const at::Tensor& idx = T(info[1]);
  int64_t axis = I(info, 2);
  at::Tensor flat = at::index_select(x, axis, idx.reshape({-1}).to(at::kLong));
  std::vector<int64_t> shape(x.sizes().begin(), x.sizes().begin() + axis);
  for (auto s : idx.sizes()) shape.push_back(s);
  for (int64_t d = axis + 1; d < x.dim(); d++) shape.push_back(x.size(d));
  return wrap(info.Env(), flat.reshape(shape));
}

// UnsortedSegmentSum(x [n, ...], segmentIds [n], numSegments)
Napi::Value SegmentSum(const Napi::CallbackInfo& info) {
  const at::Tensor& x = T(info[0]);
  at::Tensor ids = T(info[1]).reshape({-1}).to(at::kLong);
  int64_t n = I(info, 2);
  at::Tensor xs = x.reshape({ids.size(0), -1});
  std::vector<int64_t> shape{n};
  for (int64_t d = T(info[1]).dim(); d < x.dim(); d++) shape.push_back(x.size(d));
  at::Tensor out = at::zeros({n, xs.size(1)}, x.options());
  out.index_add_(0, ids, xs);
  return wrap(info.Env(), out.reshape(shape));
}

Napi::Value OneHot(const Napi::CallbackInfo& info) {
  at::Tensor idx = T(info[0]).to(at::kLong);
  int64_t depth = I(info, 1);
  double on = D(info, 2), off = D(info, 3);
  at::ScalarType st = scalarType(static_cast<int>(I(info, 4)));
  // out-of-range indices give an all-`off` row, as in tfjs
  at::Tensor valid = (idx >= 0).logical_and_(idx < depth);
  at::Tensor oh = at::one_hot(at::where(valid, idx, at::zeros_like(idx)), depth).to(at::kBool).logical_and_(valid.unsqueeze(-1));
  return wrap(info.Env(), at::where(oh, at::scalar_tensor(on, st), at::scalar_tensor(off, st)));
}

Napi::Value Range(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::arange(D(info, 0), D(info, 1), D(info, 2), at::TensorOptions().dtype(scalarType(static_cast<int>(I(info, 3))))));
}

// ---- matrix products -------------------------------------------------------------------

// BatchMatMul(a [..., m, k], b [..., k, n]) with optional transposes; batch dims broadcast
Napi::Value MatMul(const Napi::CallbackInfo& info) {
  at::Tensor a = T(info[0]);
  at::Tensor b = T(info[1]);
  if (B(info, 2)) a = a.transpose(-1, -2);
  if (B(info, 3)) b = b.transpose(-1, -2);
  return wrap(info.Env(), at::matmul(a, b));
}

// ---- convolutions and pooling (tfjs NHWC/HWIO viewed as ATen NCHW/OIHW, no copies) --------

at::Tensor nchw(const at::Tensor& nhwc) { return nhwc.permute({0, 3, 1, 2}); }
at::Tensor nhwc(const at::Tensor& nchw) { return nchw.permute({0, 2, 3, 1}); }
// HWIO [kh, kw, in, out] -> OIHW; depthwise filters [kh, kw, c, m] -> [c*m, 1, kh, kw]
at::Tensor oihw(const at::Tensor& hwio, bool depthwise) {
  if (!depthwise) return hwio.permute({3, 2, 0, 1});
  return hwio.reshape({hwio.size(0), hwio.size(1), 1, hwio.size(2) * hwio.size(3)}).permute({3, 2, 0, 1});
}
// convolution memory: channels-last (what tfjs holds) so oneDNN needs no layout change
at::Tensor clInput(const at::Tensor& x) { return nchw(x).contiguous(at::MemoryFormat::ChannelsLast); }

// A channels-last convolution wants its filter as channels-last OIHW (memory order O, H, W, I). A
// tfjs HWIO filter viewed as OIHW has the output channel innermost, and ATen would transpose it
// into that order at every call (a strided copy: about a third of a ResNet-18 step at 32 px). So
// the first convolution that uses a filter re-lays out the holder's tensor once: same values
// (tfjs sees no change), physical order O, H, W, I. Element-wise results (SGD, lerp) and the
// filter gradient (channels-last from oneDNN) keep that order, so it is paid about once per tensor.
at::Tensor convFilter(const Napi::Value& v, bool depthwise) {
  Holder* h = holder(v);
  if (depthwise || h->t.dim() != 4) return oihw(h->t, depthwise);
  at::Tensor o = oihw(h->t, false);
  if (!o.is_contiguous(at::MemoryFormat::ChannelsLast)) {
    // a fresh tensor with HWIO sizes and O,H,W,I strides, not a permuted view: a view would keep
    // its base alive, and the in-place updates below need to see one owner
    int64_t H = h->t.size(0), W = h->t.size(1), I = h->t.size(2);
    at::Tensor r = at::empty_strided(h->t.sizes(), {W * I, I, 1, H * W * I}, h->t.options());
    r.copy_(h->t);
    h->t = r;
    o = oihw(h->t, false);
  }
  return o;
}

struct ConvArgs {
  std::vector<int64_t> stride, dilation, pad;  // pad = [top, bottom, left, right]
  int64_t groups = 1;
  bool depthwise = false;
  bool symmetric() const { return pad[0] == pad[1] && pad[2] == pad[3]; }
  std::vector<int64_t> atenPad() const { return symmetric() ? std::vector<int64_t>{pad[0], pad[2]} : std::vector<int64_t>{0, 0}; }
};

// args: strides, dilations, pads, depthwise
ConvArgs convArgs(const Napi::CallbackInfo& info, size_t i) {
  ConvArgs c;
  c.stride = ints(info[i]);
  c.dilation = ints(info[i + 1]);
  c.pad = ints(info[i + 2]);
  c.depthwise = B(info, i + 3);
  return c;
}

// asymmetric 'same' padding (tfjs puts the extra row at the bottom): pad explicitly
at::Tensor padNchw(const at::Tensor& x, const ConvArgs& c, double value = 0) {
  if (c.symmetric()) return x;
  return at::constant_pad_nd(x, {c.pad[2], c.pad[3], c.pad[0], c.pad[1]}, value);
}

// a data gradient computed on the explicitly padded input, cut back to the input's [H, W]
at::Tensor unpadGrad(const at::Tensor& dx, const ConvArgs& c, int64_t h, int64_t w) {
  return c.symmetric() ? dx : dx.narrow(2, c.pad[0], h).narrow(3, c.pad[2], w);
}
// an OIHW filter gradient as tfjs' HWIO (depthwise: [kh, kw, c, m])
at::Tensor hwioGrad(const at::Tensor& dw, const ConvArgs& c, at::IntArrayRef fShape) {
  return c.depthwise ? dw.permute({2, 3, 1, 0}).reshape(fShape) : dw.permute({2, 3, 1, 0});
}

Napi::Value Conv2D(const Napi::CallbackInfo& info) {
  const at::Tensor& x = T(info[0]);
  ConvArgs c = convArgs(info, 2);
  at::Tensor w = convFilter(info[1], c.depthwise);
  at::Tensor bias = info.Length() > 6 && info[6].IsExternal() ? T(info[6]) : at::Tensor();
  at::Tensor xi = padNchw(clInput(x), c);
  int64_t groups = c.depthwise ? x.size(3) : 1;
  at::Tensor y = at::convolution(xi, w, bias, c.stride, c.atenPad(), c.dilation, false, {0, 0}, groups);
  return wrap(info.Env(), nhwc(y));
}

// Conv2DBackpropInput(dy, filter, inputShape NHWC, ...)
Napi::Value Conv2DBackpropInput(const Napi::CallbackInfo& info) {
  const at::Tensor& dy = T(info[0]);
  auto inShape = ints(info[2]);
  ConvArgs c = convArgs(info, 3);
  at::Tensor w = convFilter(info[1], c.depthwise);
  int64_t H = inShape[1] + (c.symmetric() ? 0 : c.pad[0] + c.pad[1]);
  int64_t W = inShape[2] + (c.symmetric() ? 0 : c.pad[2] + c.pad[3]);
  // only the input's sizes and layout matter to the data gradient
  at::Tensor xShape = at::empty({inShape[0], inShape[3], H, W}, dy.options().memory_format(at::MemoryFormat::ChannelsLast));
  int64_t groups = c.depthwise ? inShape[3] : 1;
  auto r = at::convolution_backward(clInput(dy), xShape, w, c10::nullopt, c.stride, c.atenPad(), c.dilation, false, {0, 0}, groups, {true, false, false});
  return wrap(info.Env(), nhwc(unpadGrad(std::get<0>(r), c, inShape[1], inShape[2])));
}

// Conv2DBackpropFilter(x, dy, filterShape HWIO, ...)
Napi::Value Conv2DBackpropFilter(const Napi::CallbackInfo& info) {
  const at::Tensor& x = T(info[0]);
  const at::Tensor& dy = T(info[1]);
  auto fShape = ints(info[2]);
  ConvArgs c = convArgs(info, 3);
  at::Tensor xi = padNchw(clInput(x), c);
  int64_t groups = c.depthwise ? x.size(3) : 1;
  std::vector<int64_t> wSizes = c.depthwise ? std::vector<int64_t>{fShape[2] * fShape[3], 1, fShape[0], fShape[1]}
                                            : std::vector<int64_t>{fShape[3], fShape[2], fShape[0], fShape[1]};
  at::Tensor wShape = at::empty(wSizes, dy.options());
  auto r = at::convolution_backward(clInput(dy), xi, wShape, c10::nullopt, c.stride, c.atenPad(), c.dilation, false, {0, 0}, groups, {false, true, false});
  return wrap(info.Env(), hwioGrad(std::get<1>(r), c, fShape));
}

// Both gradients of a convolution in one oneDNN backward call, as PyTorch's autograd computes
// them: Conv2DBackprop(x, dy, filter, ...) -> [dx, dfilter]
Napi::Value Conv2DBackprop(const Napi::CallbackInfo& info) {
  const at::Tensor& x = T(info[0]);
  const at::Tensor& dy = T(info[1]);
  ConvArgs c = convArgs(info, 3);
  at::Tensor w = convFilter(info[2], c.depthwise);
  std::vector<int64_t> fShape = T(info[2]).sizes().vec();
  at::Tensor xi = padNchw(clInput(x), c);
  int64_t groups = c.depthwise ? x.size(3) : 1;
  auto r = at::convolution_backward(clInput(dy), xi, w, c10::nullopt, c.stride, c.atenPad(), c.dilation, false, {0, 0}, groups, {true, true, false});
  Napi::Env env = info.Env();
  auto out = Napi::Array::New(env, 2);
  out.Set(0u, wrap(env, nhwc(unpadGrad(std::get<0>(r), c, x.size(1), x.size(2)))));
  out.Set(1u, wrap(env, hwioGrad(std::get<1>(r), c, fShape)));
  return out;
}

// MaxPool(x, [kh, kw], strides, pads): keeps argmax indices for MaxPoolGrad
Napi::Value MaxPool(const Napi::CallbackInfo& info) {
  const at::Tensor& x = T(info[0]);
  auto k = ints(info[1]);
  ConvArgs c;
  c.stride = ints(info[2]);
  c.pad = ints(info[3]);
  c.dilation = {1, 1};
  at::Tensor xi = padNchw(clInput(x), c, -std::numeric_limits<double>::infinity());
  auto r = at::max_pool2d_with_indices(xi, k, c.stride, c.atenPad(), {1, 1}, false);
  return wrap(info.Env(), nhwc(std::get<0>(r)), std::get<1>(r));
}

// MaxPoolGrad(dy, x, y, [kh, kw], strides, pads)
Napi::Value MaxPoolGrad(const Napi::CallbackInfo& info) {
  const at::Tensor& dy = T(info[0]);
  const at::Tensor& x = T(info[1]);
  Holder* yh = holder(info[2]);
  auto k = ints(info[3]);
  ConvArgs c;
  c.stride = ints(info[4]);
  c.pad = ints(info[5]);
  c.dilation = {1, 1};
  at::Tensor xi = padNchw(clInput(x), c, -std::numeric_limits<double>::infinity());
  at::Tensor idx = yh->aux;
  if (!idx.defined()) idx = std::get<1>(at::max_pool2d_with_indices(xi, k, c.stride, c.atenPad(), {1, 1}, false));
  at::Tensor dx = at::max_pool2d_with_indices_backward(clInput(dy), xi, k, c.stride, c.atenPad(), {1, 1}, false, idx);
  if (!c.symmetric()) dx = dx.narrow(2, c.pad[0], x.size(1)).narrow(3, c.pad[2], x.size(2));
  return wrap(info.Env(), nhwc(dx));
}

// AvgPool(x, [kh, kw], strides, pads): tfjs averages over the in-bounds window only
Napi::Value AvgPool(const Napi::CallbackInfo& info) {
  const at::Tensor& x = T(info[0]);
  auto k = ints(info[1]);
  auto s = ints(info[2]);
  auto p = ints(info[3]);
  if (p[0] != p[1] || p[2] != p[3]) throw std::runtime_error("AvgPool: asymmetric padding is not supported");
  at::Tensor y = at::avg_pool2d(clInput(x), k, s, {p[0], p[2]}, false, false);
  return wrap(info.Env(), nhwc(y));
}

Napi::Value AvgPoolGrad(const Napi::CallbackInfo& info) {
  const at::Tensor& dy = T(info[0]);
  const at::Tensor& x = T(info[1]);
  auto k = ints(info[2]);
  auto s = ints(info[3]);
  auto p = ints(info[4]);
  if (p[0] != p[1] || p[2] != p[3]) throw std::runtime_error("AvgPoolGrad: asymmetric padding is not supported");
  at::Tensor dx = at::avg_pool2d_backward(clInput(dy), clInput(x), k, s, {p[0], p[2]}, false, false, c10::nullopt);
  return wrap(info.Env(), nhwc(dx));
}

// FusedBatchNorm (inference form): (x - mean) * rsqrt(var + eps) * scale + offset,
// parameters broadcast along the last axis; scale/offset may be absent (undefined).
// Per-channel [C] parameters: one pass of ATen's batch-norm kernel; other shapes: the formula.
Napi::Value BatchNorm(const Napi::CallbackInfo& info) {
  const at::Tensor& x = T(info[0]);
  const at::Tensor& mean = T(info[1]);
  const at::Tensor& var = T(info[2]);
  at::Tensor scale = info[3].IsExternal() ? T(info[3]) : at::Tensor();
  at::Tensor offset = info[4].IsExternal() ? T(info[4]) : at::Tensor();
  double eps = D(info, 5);
  int64_t c = x.dim() > 0 ? x.size(-1) : 1;
  auto perChannel = [c](const at::Tensor& t) { return !t.defined() || (t.dim() == 1 && t.size(0) == c); };
  if (x.dim() >= 2 && x.scalar_type() == at::kFloat && perChannel(mean) && perChannel(var) && perChannel(scale) && perChannel(offset)) {
    at::Tensor y = at::batch_norm(x.reshape({-1, c, 1, 1}), scale, offset, mean, var, false, 0.0, eps, false);
    return wrap(info.Env(), y.reshape(x.sizes()));
  }
  at::Tensor inv = at::rsqrt(var + eps);
  if (scale.defined()) inv = inv * scale;
  at::Tensor y = (x - mean) * inv;
  if (offset.defined()) y.add_(offset);
  return wrap(info.Env(), y);
}

// Inference batch norm folded into a per-channel scale and shift, plus the ResNet block tail:
// (x, scale, shift, residual|undefined, relu) -> relu?(x * scale + shift + residual?). One output
// tensor, updated in place, instead of one per tfjs op; the same ATen kernels and order as the
// op chain mul, add, add, relu, so the same bits.
Napi::Value ScaleShift(const Napi::CallbackInfo& info) {
  at::Tensor y = at::mul(T(info[0]), T(info[1]));
  y.add_(T(info[2]));
  if (info[3].IsExternal()) y.add_(T(info[3]));
  if (B(info, 4)) y.relu_();
  return wrap(info.Env(), y);
}

// Training-mode batch norm over all axes but the last (channels), as one ATen kernel, with an
// optional residual added and ReLU applied in place (the ResNet block tail):
// (x, scale, offset, eps, residual|undefined, relu, groups = 1) -> [y, batch mean, 1/sqrt(batch var + eps)],
// the statistics [C], or [groups, C] with groups > 1
Napi::Value BatchNormTrain(const Napi::CallbackInfo& info) {
  const at::Tensor& x = T(info[0]);
  int64_t c = x.size(-1);
  int64_t groups = info.Length() > 6 ? I(info, 6) : 1;
  // [..., C] viewed as [M, C, 1, 1]: ATen's CPU kernel treats N,C,1,1 as channels-last (vectorised over C)
  at::Tensor x4 = x.reshape({-1, c, 1, 1});
  at::Tensor y, mean, invstd;
  if (groups == 1) {
    auto r = at::native_batch_norm(x4, T(info[1]), T(info[2]), at::Tensor(), at::Tensor(), true, 0.0, D(info, 3));
    y = std::get<0>(r).reshape(x.sizes());
    mean = std::get<1>(r);
    invstd = std::get<2>(r);
  } else {
    // shuffle-BN groups: consecutive batch slices (contiguous row ranges of x4, no copy), each
    // normalised with its own statistics (libtorch 1.13 has no CPU native_batch_norm.out, so the
    // slices' outputs are concatenated)
    int64_t rows = x4.size(0) / groups;
    std::vector<at::Tensor> ys, means, invstds;
    for (int64_t g = 0; g < groups; g++) {
      auto r = at::native_batch_norm(x4.narrow(0, g * rows, rows), T(info[1]), T(info[2]), at::Tensor(), at::Tensor(), true, 0.0, D(info, 3));
      ys.push_back(std::get<0>(r));
      means.push_back(std::get<1>(r));
      invstds.push_back(std::get<2>(r));
    }
    y = at::cat(ys, 0).reshape(x.sizes());
    mean = at::stack(means);
    invstd = at::stack(invstds);
  }
  if (info[4].IsExternal()) y.add_(T(info[4]));
  if (B(info, 5)) y.relu_();
  Napi::Env env = info.Env();
  auto out = Napi::Array::New(env, 3);
  out.Set(0u, wrap(env, y));
  out.Set(1u, wrap(env, mean));
  out.Set(2u, wrap(env, invstd));
  return out;
}

// gradient of BatchNormTrain: (dy, x, scale, mean, invstd, eps, y|undefined when no ReLU, groups = 1)
// -> [dx, dscale, doffset, gradient at the pre-ReLU sum (= the residual's gradient)]
Napi::Value BatchNormTrainGrad(const Napi::CallbackInfo& info) {
  at::Tensor g = T(info[0]);
  const at::Tensor& x = T(info[1]);
  if (info[6].IsExternal()) g = at::threshold_backward(g, T(info[6]), 0);
  int64_t c = x.size(-1);
  int64_t groups = info.Length() > 7 ? I(info, 7) : 1;
  at::Tensor dx, dscale, doffset;
  if (groups == 1) {
    auto r = at::native_batch_norm_backward(g.reshape({-1, c, 1, 1}), x.reshape({-1, c, 1, 1}), T(info[2]), at::Tensor(), at::Tensor(), T(info[3]), T(info[4]), true, D(info, 5), {true, true, true});
    dx = std::get<0>(r).reshape(x.sizes());
    dscale = std::get<1>(r);
    doffset = std::get<2>(r);
  } else {
    // per group (mean and invstd are [groups, C]); scale and offset gradients summed over groups
    at::Tensor g4 = g.reshape({-1, c, 1, 1});
    at::Tensor x4 = x.reshape({-1, c, 1, 1});
    int64_t rows = x4.size(0) / groups;
    std::vector<at::Tensor> dxs;
    for (int64_t k = 0; k < groups; k++) {
      auto r = at::native_batch_norm_backward(g4.narrow(0, k * rows, rows), x4.narrow(0, k * rows, rows), T(info[2]), at::Tensor(), at::Tensor(),
                                              T(info[3]).select(0, k), T(info[4]).select(0, k), true, D(info, 5), {true, true, true});
      dxs.push_back(std::get<0>(r));
      dscale = k == 0 ? std::get<1>(r) : dscale + std::get<1>(r);
      doffset = k == 0 ? std::get<2>(r) : doffset + std::get<2>(r);
    }
    dx = at::cat(dxs, 0).reshape(x.sizes());
  }
  Napi::Env env = info.Env();
  auto out = Napi::Array::New(env, 4);
  out.Set(0u, wrap(env, dx));
  out.Set(1u, wrap(env, dscale));
  out.Set(2u, wrap(env, doffset));
  out.Set(3u, wrap(env, g));
  return out;
}

// One SGD step with momentum and weight decay, torch.optim.SGD's update (no dampening, no
// Nesterov): d = g + wd * p; buf' = momentum * buf + d; p' = p - lr * buf'. New tensors (tfjs
// tensors are immutable), three fused ATen passes instead of six tfjs ops.
// (p, g, buf, lr, momentum, wd) -> [p', buf']
Napi::Value SgdMomentum(const Napi::CallbackInfo& info) {
  const at::Tensor& p = T(info[0]);
  const at::Tensor& g = T(info[1]);
  const at::Tensor& buf = T(info[2]);
  double lr = D(info, 3), momentum = D(info, 4), wd = D(info, 5);
  at::Tensor d = wd != 0 ? at::add(g, p, wd) : g;
  at::Tensor nb = at::add(d, buf, momentum);
  at::Tensor np = at::sub(p, nb, lr);
  Napi::Env env = info.Env();
  auto out = Napi::Array::New(env, 2);
  out.Set(0u, wrap(env, np));
  out.Set(1u, wrap(env, nb));
  return out;
}

// a + w * (b - a) in one pass (MoCo's key encoder: lerp(key, query, 1 - m))
Napi::Value Lerp(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::lerp(T(info[0]), T(info[1]), D(info, 2)));
}

// True when nothing but this holder sees the tensor's memory: no other holder shares its
// TensorImpl (an identity alias) or its storage (a view). JS checks the tfjs side (one dataId
// reference) before calling the in-place updates below.
bool owned(const at::Tensor& t) { return t.use_count() == 1 && t.storage().use_count() == 1; }

// The update of SgdMomentum, element by element, with ATen's rounding: its vectorised add with
// alpha is one fused multiply-add (a + alpha * b), so the in-place and allocating paths, and
// PyTorch, give the same bits. Compiled for AVX-512 and AVX2+FMA with a portable fallback.
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
void sgdMomentumLoop(float* p, float* buf, const float* g, int64_t n, float lr, float momentum, float wd) {
  if (wd != 0.f) {
    for (int64_t i = 0; i < n; i++) {
      float nb = std::fma(buf[i], momentum, std::fma(p[i], wd, g[i]));
      buf[i] = nb;
      p[i] = std::fma(nb, -lr, p[i]);
    }
  } else {
    for (int64_t i = 0; i < n; i++) {
      float nb = std::fma(buf[i], momentum, g[i]);
      buf[i] = nb;
      p[i] = std::fma(nb, -lr, p[i]);
    }
  }
}

// SgdMomentum in place, as torch.optim.SGD does it: p and buf are overwritten, nothing is
// allocated, one pass over memory. (p, g, buf, lr, momentum, wd) -> false (and nothing changed)
// when p or buf is shared, so the caller takes the allocating path.
Napi::Value SgdMomentumInPlace(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Holder* hp = holder(info[0]);
  Holder* hb = holder(info[2]);
  const at::Tensor& g = T(info[1]);
  float lr = static_cast<float>(D(info, 3)), momentum = static_cast<float>(D(info, 4)), wd = static_cast<float>(D(info, 5));
  at::Tensor& p = hp->t;
  if (hp == hb || !owned(p) || !owned(hb->t) || p.scalar_type() != at::kFloat || hb->t.scalar_type() != at::kFloat ||
      g.scalar_type() != at::kFloat || !p.sizes().equals(g.sizes()) || !p.sizes().equals(hb->t.sizes())) {
    return Napi::Boolean::New(env, false);
  }
  // buf takes p's memory order once (a filter's O,H,W,I), so later steps run the fused loop
  if (!hb->t.strides().equals(p.strides()) && p.is_non_overlapping_and_dense()) {
    at::Tensor nb = at::empty_strided(p.sizes(), p.strides(), p.options());
    nb.copy_(hb->t);
    hb->t = nb;
  }
  at::Tensor& buf = hb->t;
  if (p.is_non_overlapping_and_dense() && buf.strides().equals(p.strides()) && g.strides().equals(p.strides())) {
    float* pp = p.data_ptr<float>();
    float* pb = buf.data_ptr<float>();
    const float* pg = g.data_ptr<float>();
    at::parallel_for(0, p.numel(), 16384, [&](int64_t b, int64_t e) { sgdMomentumLoop(pp + b, pb + b, pg + b, e - b, lr, momentum, wd); });
  } else {
    // the allocating path's ATen calls, writing into p and buf
    at::Tensor d = wd != 0 ? at::add(g, p, wd) : g;
    at::add_out(buf, d, buf, momentum);
    at::add_out(p, p, buf, -lr);
  }
  return Napi::Boolean::New(env, true);
}

// a <- a + w * (b - a) in place; false (nothing changed) when a's memory is shared
Napi::Value LerpInPlace(const Napi::CallbackInfo& info) {
  Holder* ha = holder(info[0]);
  const at::Tensor& b = T(info[1]);
  if (!owned(ha->t) || ha->t.scalar_type() != at::kFloat || b.scalar_type() != at::kFloat || !ha->t.sizes().equals(b.sizes()) ||
      ha->t.is_same(b)) {
    return Napi::Boolean::New(info.Env(), false);
  }
  ha->t.lerp_(b, D(info, 2));
  return Napi::Boolean::New(info.Env(), true);
}

#define FN(name) exports.Set(#name, Napi::Function::New(env, guarded<name>, #name))

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  FN(FromArray); FN(ToArray); FN(Info); FN(Dispose);
  FN(SetNumThreads); FN(GetNumThreads); FN(Config);
  FN(Unary); FN(Binary); FN(AddN); FN(Cast); FN(Where); FN(Clip); FN(Fill); FN(FillLike);
  FN(Reduce); FN(Softmax); FN(LogSoftmax);
  FN(Reshape); FN(Transpose); FN(Slice); FN(StridedSlice); FN(Concat); FN(Stack); FN(Unstack); FN(Split);
  FN(Pad); FN(Tile); FN(Reverse); FN(Gather); FN(SegmentSum); FN(OneHot); FN(Range);
  FN(MatMul);
  FN(Conv2D); FN(Conv2DBackpropInput); FN(Conv2DBackpropFilter); FN(Conv2DBackprop);
  FN(MaxPool); FN(MaxPoolGrad); FN(AvgPool); FN(AvgPoolGrad); FN(BatchNorm); FN(BatchNormTrain); FN(BatchNormTrainGrad); FN(ScaleShift);
  FN(SgdMomentum); FN(Lerp); FN(SgdMomentumInPlace); FN(LerpInPlace);
  InitC10d(env, exports, T, [](Napi::Env e, at::Tensor t) { return wrap(e, std::move(t)); });
  return exports;
}

}  // namespace

NODE_API_MODULE(dilo_torch, Init)
