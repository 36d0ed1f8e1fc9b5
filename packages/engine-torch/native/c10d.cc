// c10d process groups (PyTorch's own distributed runtime, in libtorch_cpu.so): a TCPStore
// rendezvous (rank 0 hosts it) and ProcessGroupGloo collectives on the engine's tensors.
// Calls block the JS thread until the collective completes (an all-reduce can also be started and
// finished later, to overlap it with the backward pass as DDP does); every wait carries the group's
// timeout so a dead peer surfaces as an error, never a hang.
// The header only declares the Gloo group under the define PyTorch builds c10d with.
#ifndef USE_C10D_GLOO
#define USE_C10D_GLOO
#endif
#include <napi.h>
#include <ATen/ATen.h>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace dilo_c10d {

using TensorOf = const at::Tensor& (*)(const Napi::Value&);
using Wrap = Napi::Value (*)(Napi::Env, at::Tensor);
TensorOf tensorOf = nullptr;
Wrap wrapTensor = nullptr;

struct Group {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> pg;
  std::chrono::milliseconds timeout;
  // reused flat buffers of the in-place all-reduce, one per bucket slot: a fresh 40 MB buffer per
  // step costs its page faults under the socket copies (measured: 250 ms vs 35 ms for
  // ResNet-18's gradients), which is why DDP keeps its buckets too
  std::vector<at::Tensor> scratch;
  // the all-reduce each slot's buffer is in (null when none): a slot is not refilled under it
  std::vector<c10::intrusive_ptr<c10d::Work>> inflight;
};

Group* group(const Napi::Value& v) {
  if (!v.IsExternal()) throw std::runtime_error("expected a process group handle");
  Group* g = v.As<Napi::External<Group>>().Data();
  if (!g->pg) throw std::runtime_error("process group used after destroy");
  return g;
}

void waitFor(Group* g, const c10::intrusive_ptr<c10d::Work>& work, const char* what) {
  try {
    work->wait(g->timeout);
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("c10d ") + what + " failed (a peer died or timed out): " + e.what());
  }
}

// (rank, worldSize, masterAddr, masterPort, timeoutMs, iface?) -> group
Napi::Value Create(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int rank = info[0].As<Napi::Number>().Int32Value();
  int world = info[1].As<Napi::Number>().Int32Value();
  std::string addr = info[2].As<Napi::String>().Utf8Value();
  int port = info[3].As<Napi::Number>().Int32Value();
  auto timeout = std::chrono::milliseconds(info[4].As<Napi::Number>().Int64Value());
  std::string iface = info.Length() > 5 && info[5].IsString() ? info[5].As<Napi::String>().Utf8Value() : "";
  c10d::TCPStoreOptions so;
  so.port = static_cast<std::uint16_t>(port);
  so.isServer = rank == 0;
  so.numWorkers = world;
  so.waitWorkers = true;
  so.timeout = timeout;
  auto* g = new Group();
  try {
    g->store = c10::make_intrusive<c10d::PrefixStore>("dilo", c10::make_intrusive<c10d::TCPStore>(addr, so));
    auto opts = c10d::ProcessGroupGloo::Options::create(timeout);
    opts->devices.push_back(iface.empty() ? c10d::ProcessGroupGloo::createDeviceForHostname(addr)
                                          : c10d::ProcessGroupGloo::createDeviceForInterface(iface));
    opts->threads = 1;
    g->pg = c10::make_intrusive<c10d::ProcessGroupGloo>(g->store, rank, world, opts);
    g->timeout = timeout;
  } catch (...) {
    delete g;
    throw;
  }
  return Napi::External<Group>::New(env, g, [](Napi::Env, Group* p) { delete p; });
}

std::vector<at::Tensor> tensors(const Napi::Value& v) {
  auto a = v.As<Napi::Array>();
  std::vector<at::Tensor> out;
  for (uint32_t i = 0; i < a.Length(); i++) out.push_back(tensorOf(a.Get(i)));
  return out;
}

// One flat float bucket per call: cat the flattened tensors, collective, narrow back out.
at::Tensor flatten(const std::vector<at::Tensor>& ts) {
  std::vector<at::Tensor> flat;
  for (const auto& t : ts) flat.push_back(t.to(at::kFloat).contiguous().reshape({-1}));
  return at::cat(flat);
}
Napi::Value unflatten(Napi::Env env, const at::Tensor& bucket, const std::vector<at::Tensor>& like, double scale) {
  if (scale != 1) bucket.mul_(scale);
  auto out = Napi::Array::New(env, like.size());
  int64_t at = 0;
  for (size_t i = 0; i < like.size(); i++) {
    int64_t n = like[i].numel();
    out.Set(i, wrapTensor(env, bucket.narrow(0, at, n).view(like[i].sizes())));
    at += n;
  }
  return out;
}

// (group, tensors[], scale) -> new tensors: scale * sum over ranks (scale 1/N gives DDP's mean)
Napi::Value AllReduce(const Napi::CallbackInfo& info) {
  Group* g = group(info[0]);
  auto ts = tensors(info[1]);
  double scale = info.Length() > 2 ? info[2].As<Napi::Number>().DoubleValue() : 1.0;
  std::vector<at::Tensor> bucket{flatten(ts)};
  waitFor(g, g->pg->allreduce(bucket), "allreduce");
  return unflatten(info.Env(), bucket[0], ts, scale);
}

// An all-reduce in flight: the collective's work and the bucket it reduces (one of the group's
// reused slots), so the JS thread can go on (e.g. with the rest of the backward pass) meanwhile.
struct Pending {
  c10::intrusive_ptr<c10d::Work> work;
  at::Tensor bucket;
  double scale;
  size_t slot = 0;
  bool finished = false;
};

// (group, tensors[], scale, slot) -> pending: copies the tensors into the group's reused flat
// buffer number `slot` and starts the all-reduce on Gloo's worker thread; returns at once.
Napi::Value AllReduceStart(const Napi::CallbackInfo& info) {
  Group* g = group(info[0]);
  auto ts = tensors(info[1]);
  double scale = info.Length() > 2 ? info[2].As<Napi::Number>().DoubleValue() : 1.0;
  size_t slot = info.Length() > 3 ? info[3].As<Napi::Number>().Uint32Value() : 0;
  int64_t total = 0;
  for (const auto& t : ts) total += t.numel();
  if (g->scratch.size() <= slot) {
    g->scratch.resize(slot + 1);
    g->inflight.resize(slot + 1);
  }
  if (g->inflight[slot]) waitFor(g, g->inflight[slot], "allreduce (a slot still in flight)");
  at::Tensor& buf = g->scratch[slot];
  if (!buf.defined() || buf.numel() < total) buf = at::empty({total}, at::kFloat);
  auto* p = new Pending();
  p->bucket = buf.narrow(0, 0, total);
  p->scale = scale;
  int64_t at = 0;
  for (const auto& t : ts) {
    p->bucket.narrow(0, at, t.numel()).copy_(t.reshape({-1}));  // converts dtype, gathers strides
    at += t.numel();
  }
  std::vector<at::Tensor> b{p->bucket};
  p->work = g->pg->allreduce(b);
  p->slot = slot;
  g->inflight[slot] = p->work;
  return Napi::External<Pending>::New(info.Env(), p, [](Napi::Env, Pending* q) { delete q; });
}

// (group, pending, tensors[], overwrite[]) -> array: waits for the all-reduce, then each tensor
// <- scale * sum over ranks. A tensor the caller allows to overwrite, contiguous float32 and
// whose storage no other tensor shares, is overwritten (undefined in the result); any other
// gets a new tensor there. `tensors` are the ones given to AllReduceStart, in the same order.
Napi::Value AllReduceFinish(const Napi::CallbackInfo& info) {
  Group* g = group(info[0]);
  if (!info[1].IsExternal()) throw std::runtime_error("expected a pending all-reduce");
  Pending* p = info[1].As<Napi::External<Pending>>().Data();
  if (p->finished) throw std::runtime_error("all-reduce already finished");
  p->finished = true;
  auto ts = tensors(info[2]);
  auto allow = info[3].As<Napi::Array>();
  waitFor(g, p->work, "allreduce");
  if (p->slot < g->inflight.size() && g->inflight[p->slot] == p->work) g->inflight[p->slot].reset();
  p->work.reset();
  at::Tensor bucket = p->bucket;
  p->bucket = at::Tensor();
  if (p->scale != 1) bucket.mul_(p->scale);
  auto out = Napi::Array::New(info.Env(), ts.size());
  int64_t at = 0;
  for (size_t i = 0; i < ts.size(); i++) {
    // overwrite only memory no other tensor sees: another tfjs dataId may hold the same
    // TensorImpl (a clone) or a libtorch view of the same storage (a reshape); the handles here
    // are the engine's holder and this function's copy in `ts`
    bool sole = allow.Get(i).ToBoolean().Value() && ts[i].use_count() <= 2 && ts[i].storage().use_count() == 1;
    at::Tensor dst = ts[i];  // shares the input's storage
    at::Tensor src = bucket.narrow(0, at, dst.numel());
    if (sole && dst.scalar_type() == at::kFloat && dst.is_contiguous()) {
      dst.view({-1}).copy_(src);
      out.Set(i, info.Env().Undefined());
    } else {
      out.Set(i, wrapTensor(info.Env(), src.clone().view(dst.sizes())));
    }
    at += dst.numel();
  }
  return out;
}

// (group, tensors[], root) -> root's values
Napi::Value Broadcast(const Napi::CallbackInfo& info) {
  Group* g = group(info[0]);
  auto ts = tensors(info[1]);
  c10d::BroadcastOptions o;
  o.rootRank = info[2].As<Napi::Number>().Int32Value();
  std::vector<at::Tensor> bucket{flatten(ts)};
  waitFor(g, g->pg->broadcast(bucket, o), "broadcast");
  return unflatten(info.Env(), bucket[0], ts, 1.0);
}

// (group, tensor) -> the ranks' tensors concatenated along dim 0 (MoCo's concat_all_gather)
Napi::Value AllGather(const Napi::CallbackInfo& info) {
  Group* g = group(info[0]);
  at::Tensor x = tensorOf(info[1]).contiguous();
  int world = g->pg->getSize();
  std::vector<std::vector<at::Tensor>> outs(1);
  for (int r = 0; r < world; r++) outs[0].push_back(at::empty_like(x));
  std::vector<at::Tensor> in{x};
  waitFor(g, g->pg->allgather(outs, in), "allgather");
  return wrapTensor(info.Env(), at::cat(outs[0], 0));
}

Napi::Value Barrier(const Napi::CallbackInfo& info) {
  Group* g = group(info[0]);
  waitFor(g, g->pg->barrier(), "barrier");
  return info.Env().Undefined();
}

Napi::Value Destroy(const Napi::CallbackInfo& info) {
  if (!info[0].IsExternal()) throw std::runtime_error("expected a process group handle");
  Group* g = info[0].As<Napi::External<Group>>().Data();
  g->pg.reset();
  g->store.reset();
  g->scratch.clear();
  return info.Env().Undefined();
}

template <Napi::Value (*F)(const Napi::CallbackInfo&)>
Napi::Value guardedC10d(const Napi::CallbackInfo& info) {
  try {
    return F(info);
  } catch (const std::exception& e) {
    Napi::Error::New(info.Env(), e.what()).ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
}

}  // namespace dilo_c10d

// Called from addon.cc's Init with its tensor accessors (Holder stays private there).
void InitC10d(Napi::Env env, Napi::Object exports, dilo_c10d::TensorOf tensorOf, dilo_c10d::Wrap wrap) {
  using namespace dilo_c10d;
  dilo_c10d::tensorOf = tensorOf;
  dilo_c10d::wrapTensor = wrap;
  exports.Set("PgCreate", Napi::Function::New(env, guardedC10d<Create>, "PgCreate"));
  exports.Set("PgAllReduce", Napi::Function::New(env, guardedC10d<AllReduce>, "PgAllReduce"));
  exports.Set("PgAllReduceStart", Napi::Function::New(env, guardedC10d<AllReduceStart>, "PgAllReduceStart"));
  exports.Set("PgAllReduceFinish", Napi::Function::New(env, guardedC10d<AllReduceFinish>, "PgAllReduceFinish"));
  exports.Set("PgBroadcast", Napi::Function::New(env, guardedC10d<Broadcast>, "PgBroadcast"));
  exports.Set("PgAllGather", Napi::Function::New(env, guardedC10d<AllGather>, "PgAllGather"));
  exports.Set("PgBarrier", Napi::Function::New(env, guardedC10d<Barrier>, "PgBarrier"));
  exports.Set("PgDestroy", Napi::Function::New(env, guardedC10d<Destroy>, "PgDestroy"));
}
