// Native versions of the estimators' hot loops (the TypeScript in src/ stays the reference and
// the fallback). Each kernel mirrors its TypeScript original operation by operation, in double
// where the TypeScript computes in JS numbers and rounding to float where it stores into a
// Float32Array, and the build forbids FMA contraction (-ffp-contract=off), so both give the same
// bits (tested). Hot loops are compiled for AVX-512, AVX2 and baseline x86-64 (target_clones).
#include <napi.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define DILO_HOT __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define DILO_HOT
#endif

namespace {

template <typename T>
T* data(const Napi::Value& v, napi_typedarray_type type, const char* what, size_t need) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type)
    throw Napi::TypeError::New(v.Env(), std::string(what) + ": wrong typed array type");
  Napi::TypedArray a = v.As<Napi::TypedArray>();
  if (a.ElementLength() < need) throw Napi::RangeError::New(v.Env(), std::string(what) + ": too short");
  return reinterpret_cast<T*>(static_cast<uint8_t*>(a.ArrayBuffer().Data()) + a.ByteOffset());
}
#define F32(i, what, n) data<float>(info[i], napi_float32_array, what, n)
#define F64(i, what, n) data<double>(info[i], napi_float64_array, what, n)
#define I32(i, what, n) data<int32_t>(info[i], napi_int32_array, what, n)
#define U8(i, what, n) data<uint8_t>(info[i], napi_uint8_array, what, n)
inline int I(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().Int32Value(); }
inline double D(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().DoubleValue(); }

// ---- util/color.ts rgbToLab (tables passed in from TypeScript, so they are the same numbers) ----
constexpr double XR = 0.950456, ZR = 1.088754, EPS = 0.008856, KAPPA = 903.3;

inline double fSlow(double t) { return t > EPS ? std::cbrt(t) : (KAPPA * t + 16) / 116; }
inline double fFast(double t, const double* table, double steps, double scale) {
  const double u = t * scale;
  if (!(u >= 0 && u < steps)) return fSlow(t);
  const int i = static_cast<int>(u);
  const double r = u - i;
  return table[i] + r * (table[i + 1] - table[i]);
}

// fFast without its range branch: a t outside the table reads entry 0 (the caller redoes it)
inline double fTableUnchecked(double t, const double* table, double scale, double steps) {
  double u = t * scale;
  u = u >= 0 ? (u < steps ? u : 0) : 0;
  const int i = static_cast<int>(u);
  const double r = u - i;
  return table[i] + r * (table[i + 1] - table[i]);
}

// Lab of m planar linear-RGB pixels; returns how many t fell outside the table. Branch-free, so
// it vectorises (needs -fno-trapping-math); the same operations as fFast for in-range t.
DILO_HOT int labBlock(const double* R, const double* G, const double* B, float* L, float* A, float* Bb, size_t m, const double* ft, double steps, double scale, double invXr, double invZr) {
  int outside = 0;
  for (size_t q = 0; q < m; q++) {
    const double r = R[q], g = G[q], b = B[q];
    const double tx = (r * 0.4124564 + g * 0.3575761 + b * 0.1804375) * invXr;
    const double ty = r * 0.2126729 + g * 0.7151522 + b * 0.072175;
    const double tz = (r * 0.0193339 + g * 0.119192 + b * 0.9503041) * invZr;
    outside += !(tx * scale >= 0 && tx * scale < steps) + !(ty * scale >= 0 && ty * scale < steps) + !(tz * scale >= 0 && tz * scale < steps);
    const double fx = fTableUnchecked(tx, ft, scale, steps), fy = fTableUnchecked(ty, ft, scale, steps), fz = fTableUnchecked(tz, ft, scale, steps);
    L[q] = static_cast<float>(116 * fy - 16);
    A[q] = static_cast<float>(500 * (fx - fy));
    Bb[q] = static_cast<float>(200 * (fy - fz));
  }
  return outside;
}

struct LabTables {
  const double* lin;
  const double* ft;
  double steps, scale, invXr, invZr;
};

LabTables labTables(const Napi::CallbackInfo& info, size_t i) {
  LabTables t;
  t.lin = F64(i, "srgb table", 256);
  t.steps = D(info, i + 2);
  t.scale = t.steps / D(info, i + 3);
  t.ft = F64(i + 1, "f table", static_cast<size_t>(t.steps) + 2);
  t.invXr = 1 / XR;
  t.invZr = 1 / ZR;
  return t;
}

// Lab of n interleaved 8-bit pixels into out (interleaved float), as util/color.ts rgbToLab: in
// blocks of 256, a branch-free vectorised pass that assumes every t is inside the table (true for
// 8-bit sRGB), and any block where one is not redone with the exact fallback
void labPixels(const uint8_t* d, size_t n, float* out, const LabTables& t) {
  constexpr size_t BLOCK = 256;
  double R[BLOCK], G[BLOCK], B[BLOCK];
  float L[BLOCK], A[BLOCK], Bb[BLOCK];
  for (size_t p0 = 0; p0 < n; p0 += BLOCK) {
    const size_t m = std::min(BLOCK, n - p0);
    const uint8_t* px = d + 3 * p0;
    for (size_t q = 0; q < m; q++) {
      R[q] = t.lin[px[3 * q]];
      G[q] = t.lin[px[3 * q + 1]];
      B[q] = t.lin[px[3 * q + 2]];
    }
    float* o = out + 3 * p0;
    if (labBlock(R, G, B, L, A, Bb, m, t.ft, t.steps, t.scale, t.invXr, t.invZr) == 0) {
      for (size_t q = 0; q < m; q++) {
        o[3 * q] = L[q];
        o[3 * q + 1] = A[q];
        o[3 * q + 2] = Bb[q];
      }
      continue;
    }
    for (size_t q = 0; q < m; q++) {
      const double r = R[q], g = G[q], b = B[q];
      const double fx = fFast((r * 0.4124564 + g * 0.3575761 + b * 0.1804375) * t.invXr, t.ft, t.steps, t.scale);
      const double fy = fFast(r * 0.2126729 + g * 0.7151522 + b * 0.072175, t.ft, t.steps, t.scale);
      const double fz = fFast((r * 0.0193339 + g * 0.119192 + b * 0.9503041) * t.invZr, t.ft, t.steps, t.scale);
      o[3 * q] = static_cast<float>(116 * fy - 16);
      o[3 * q + 1] = static_cast<float>(500 * (fx - fy));
      o[3 * q + 2] = static_cast<float>(200 * (fy - fz));
    }
  }
}

/** rgbToLab(rgb Uint8Array, n, out Float32Array, srgbToLinear Float64Array(256), fTable Float64Array, fSteps, fMax) */
Napi::Value RgbToLab(const Napi::CallbackInfo& info) {
  const size_t n = static_cast<size_t>(D(info, 1));
  labPixels(U8(0, "rgbToLab rgb", 3 * n), n, F32(2, "rgbToLab out", 3 * n), labTables(info, 3));
  return info.Env().Undefined();
}

// ---- superpixel/slic.ts assign ----------------------------------------------------------------
DILO_HOT void assignRow(const float* L, const float* A, const float* B, int x1, int x2, double cx, double cl, double ca, double cb, double invwt, double dyw, int32_t c, int32_t* labels, double* dist) {
  for (int x = x1; x < x2; x++) {
    const double dl = L[x] - cl, da = A[x] - ca, db = B[x] - cb, dx = x - cx;
    const double d = dl * dl + da * da + db * db + dx * dx * invwt + dyw;
    const bool closer = d < dist[x];
    dist[x] = closer ? d : dist[x];
    labels[x] = closer ? c : labels[x];
  }
}

/** slicAssign(L, A, B, w, h, sl, sa, sb, sx, sy, offset, invwt, labels Int32Array, dist Float64Array) */
Napi::Value SlicAssign(const Napi::CallbackInfo& info) {
  const int w = I(info, 3), h = I(info, 4);
  const size_t n = static_cast<size_t>(w) * h;
  const float* L = F32(0, "slicAssign L", n);
  const float* A = F32(1, "slicAssign A", n);
  const float* B = F32(2, "slicAssign B", n);
  const size_t ns = info[5].As<Napi::Float64Array>().ElementLength();
  const double* sl = F64(5, "slicAssign sl", ns);
  const double* sa = F64(6, "slicAssign sa", ns);
  const double* sb = F64(7, "slicAssign sb", ns);
  const double* sx = F64(8, "slicAssign sx", ns);
  const double* sy = F64(9, "slicAssign sy", ns);
  const double offset = D(info, 10), invwt = D(info, 11);
  int32_t* labels = I32(12, "slicAssign labels", n);
  double* dist = F64(13, "slicAssign dist", n);
  std::fill(dist, dist + n, 3.4e38);
  for (size_t c = 0; c < ns; c++) {
    const double cx = sx[c], cy = sy[c];
    const int y1 = static_cast<int>(std::max(0.0, std::floor(cy - offset)));
    const int y2 = static_cast<int>(std::min(static_cast<double>(h), std::ceil(cy + offset)));
    const int x1 = static_cast<int>(std::max(0.0, std::floor(cx - offset)));
    const int x2 = static_cast<int>(std::min(static_cast<double>(w), std::ceil(cx + offset)));
    for (int y = y1; y < y2; y++) {
      const double dy = y - cy;
      const double dyw = dy * dy * invwt;
      const size_t row = static_cast<size_t>(y) * w;
      assignRow(L + row, A + row, B + row, x1, x2, cx, sl[c], sa[c], sb[c], invwt, dyw, static_cast<int32_t>(c), labels + row, dist + row);
    }
  }
  return info.Env().Undefined();
}

// ---- methods/ft.ts: [1 4 6 4 1]/16 blur of the Lab image, distance to the mean colour ---------
inline float binomial5(double a, double b, double c, double d, double e) { return static_cast<float>((a + 4.0 * b + 6.0 * c + 4.0 * d + e) * 0.0625); }

// horizontal pass over one interleaved row: the interior is one flat loop over all channels
DILO_HOT void ftRow(const float* in, float* out, int w) {
  const int len = 3 * w;
  auto at = [&](int x, int k) { return static_cast<double>(in[3 * std::min(std::max(x, 0), w - 1) + k]); };
  for (int x = 0; x < w && x < 2; x++)
    for (int k = 0; k < 3; k++) out[3 * x + k] = binomial5(at(x - 2, k), at(x - 1, k), at(x, k), at(x + 1, k), at(x + 2, k));
  for (int c = 6; c < len - 6; c++) out[c] = binomial5(in[c - 6], in[c - 3], in[c], in[c + 3], in[c + 6]);
  for (int x = std::max(2, w - 2); x < w; x++)
    for (int k = 0; k < 3; k++) out[3 * x + k] = binomial5(at(x - 2, k), at(x - 1, k), at(x, k), at(x + 1, k), at(x + 2, k));
}

// vertical pass of one output row minus the mean colour (mrow: the mean repeated per pixel),
// squared, then summed per pixel in the order l^2 + a^2 + b^2 and square-rooted
DILO_HOT void ftColumn(const float* a, const float* b, const float* c, const float* d, const float* e, const double* mrow, double* sq, float* sal, int w) {
  const int len = 3 * w;
  for (int o = 0; o < len; o++) {
    const double v = (static_cast<double>(a[o]) + 4.0 * b[o] + 6.0 * c[o] + 4.0 * d[o] + e[o]) * 0.0625 - mrow[o];
    sq[o] = v * v;
  }
  for (int x = 0; x < w; x++) sal[x] = static_cast<float>(std::sqrt(sq[3 * x] + sq[3 * x + 1] + sq[3 * x + 2]));
}

// the vertical pass and the distance to the mean colour
void ftVertical(const float* tmp, int w, int h, const double m[3], float* sal) {
  thread_local std::vector<double> sq, mrow;
  sq.resize(3 * static_cast<size_t>(w));
  mrow.resize(3 * static_cast<size_t>(w));
  for (int x = 0; x < w; x++) {
    mrow[3 * x] = m[0];
    mrow[3 * x + 1] = m[1];
    mrow[3 * x + 2] = m[2];
  }
  const size_t row = 3 * static_cast<size_t>(w);
  for (int y = 0; y < h; y++) {
    const float* ra = tmp + row * (y < 2 ? 0 : y - 2);
    const float* rb = tmp + row * (y < 1 ? 0 : y - 1);
    const float* rc = tmp + row * y;
    const float* rd = tmp + row * (y + 1 < h ? y + 1 : h - 1);
    const float* re = tmp + row * (y + 2 < h ? y + 2 : h - 1);
    ftColumn(ra, rb, rc, rd, re, mrow.data(), sq.data(), sal + static_cast<size_t>(y) * w, w);
  }
}

/**
 * ftSaliencyRgb(rgb Uint8Array, w, h, srgbToLinear, fTable, fSteps, fMax, sal Float32Array): the
 * same from the 8-bit image, one row of Lab at a time (no full Lab image is written or read back;
 * the mean is summed in the same pixel order)
 */
Napi::Value FtSaliencyRgb(const Napi::CallbackInfo& info) {
  const int w = I(info, 1), h = I(info, 2);
  const size_t n = static_cast<size_t>(w) * h;
  const uint8_t* rgb = U8(0, "ftSaliencyRgb rgb", 3 * n);
  const LabTables t = labTables(info, 3);
  float* sal = F32(7, "ftSaliencyRgb sal", n);
  thread_local std::vector<float> tmp, labRow;
  tmp.resize(3 * n);
  labRow.resize(3 * static_cast<size_t>(w));
  double m[3] = {0, 0, 0};
  for (int y = 0; y < h; y++) {
    labPixels(rgb + 3 * static_cast<size_t>(y) * w, w, labRow.data(), t);
    for (int i = 0; i < 3 * w; i += 3) {
      m[0] += labRow[i];
      m[1] += labRow[i + 1];
      m[2] += labRow[i + 2];
    }
    ftRow(labRow.data(), tmp.data() + 3 * static_cast<size_t>(y) * w, w);
  }
  for (double& v : m) v /= n;
  ftVertical(tmp.data(), w, h, m, sal);
  return info.Env().Undefined();
}

// ---- methods/mbd.ts fastMbd ---------------------------------------------------------------------
void fastMbd(const float* img, int w, int h, int passes, float* Dm) {
  const size_t n = static_cast<size_t>(w) * h;
  std::vector<float> U(img, img + n), Lo(img, img + n);
  std::fill(Dm, Dm + n, 3.4e38f);
  for (int x = 0; x < w; x++) Dm[x] = Dm[static_cast<size_t>(h - 1) * w + x] = 0;
  for (int y = 0; y < h; y++) Dm[static_cast<size_t>(y) * w] = Dm[static_cast<size_t>(y) * w + w - 1] = 0;
  for (int pass = 0; pass < passes; pass++) {
    const long step = pass % 2 == 0 ? 1 : -1;
    const long y0 = step > 0 ? 1 : h - 2, x0 = step > 0 ? 1 : w - 2;
    const long rowOff = step * w;
    for (long yy = 0; yy < h - 2; yy++) {
      const long y = y0 + step * yy;
      long i = y * w + x0;
      for (long xx = 0; xx < w - 2; xx++, i += step) {
        const float v = img[i];
        double d = Dm[i];
        long j = i - rowOff;
        float u = U[j] > v ? U[j] : v;
        float l = Lo[j] < v ? Lo[j] : v;
        if (static_cast<double>(u) - l < d) {
          d = static_cast<double>(u) - l;
          Dm[i] = static_cast<float>(d);
          U[i] = u;
          Lo[i] = l;
        }
        j = i - step;
        u = U[j] > v ? U[j] : v;
        l = Lo[j] < v ? Lo[j] : v;
        if (static_cast<double>(u) - l < d) {
          Dm[i] = static_cast<float>(static_cast<double>(u) - l);
          U[i] = u;
          Lo[i] = l;
        }
      }
    }
  }
}

/** fastMbd(img Float32Array, w, h, passes, D Float32Array out) */
Napi::Value FastMbd(const Napi::CallbackInfo& info) {
  const int w = I(info, 1), h = I(info, 2), passes = I(info, 3);
  const size_t n = static_cast<size_t>(w) * h;
  fastMbd(F32(0, "fastMbd img", n), w, h, passes, F32(4, "fastMbd D", n));
  return info.Env().Undefined();
}

// ---- util/resize.ts ----------------------------------------------------------------------------
struct Taps {
  std::vector<int> start, count;
  std::vector<float> w;
  int stride = 0;
};
Taps areaTaps(int n, int m) {
  Taps t;
  const double scale = static_cast<double>(n) / m;
  t.stride = static_cast<int>(std::ceil(scale)) + 1;
  t.start.resize(m);
  t.count.resize(m);
  t.w.assign(static_cast<size_t>(m) * t.stride, 0.f);
  for (int o = 0; o < m; o++) {
    const double a = o * scale, b = a + scale;
    const int i0 = static_cast<int>(std::floor(a));
    const int i1 = static_cast<int>(std::min(static_cast<double>(n), std::ceil(b)));
    t.start[o] = i0;
    t.count[o] = i1 - i0;
    for (int i = i0; i < i1; i++) t.w[static_cast<size_t>(o) * t.stride + i - i0] = static_cast<float>((std::min(b, i + 1.0) - std::max(a, static_cast<double>(i))) / scale);
  }
  return t;
}

DILO_HOT void rowAccumulate(float* out, const float* in, double wk, size_t len) {
  for (size_t j = 0; j < len; j++) out[j] = static_cast<float>(out[j] + in[j] * wk);
}

template <typename T>
void areaDown(const T* src, int w, int h, int ch, int dw, int dh, float* out) {
  const Taps tx = areaTaps(w, dw), ty = areaTaps(h, dh);
  std::vector<float> tmp(static_cast<size_t>(h) * dw * ch);
  for (int y = 0; y < h; y++) {
    const size_t row = static_cast<size_t>(y) * w * ch, orow = static_cast<size_t>(y) * dw * ch;
    for (int x = 0; x < dw; x++) {
      const int s0 = tx.start[x], cnt = tx.count[x];
      const float* wt = &tx.w[static_cast<size_t>(x) * tx.stride];
      for (int c = 0; c < ch; c++) {
        double acc = 0;
        for (int k = 0; k < cnt; k++) acc += static_cast<double>(src[row + static_cast<size_t>(s0 + k) * ch + c]) * wt[k];
        tmp[orow + static_cast<size_t>(x) * ch + c] = static_cast<float>(acc);
      }
    }
  }
  const size_t rowLen = static_cast<size_t>(dw) * ch;
  std::fill(out, out + rowLen * dh, 0.f);
  for (int y = 0; y < dh; y++) {
    for (int k = 0; k < ty.count[y]; k++)
      rowAccumulate(out + y * rowLen, tmp.data() + static_cast<size_t>(ty.start[y] + k) * rowLen, ty.w[static_cast<size_t>(y) * ty.stride + k], rowLen);
  }
}

/** resizeAreaDown(src Float32Array | Uint8Array, w, h, ch, dw, dh, out): area-average downscale (dw < w and dh < h) */
Napi::Value ResizeAreaDown(const Napi::CallbackInfo& info) {
  const int w = I(info, 1), h = I(info, 2), ch = I(info, 3), dw = I(info, 4), dh = I(info, 5);
  if (!(dw < w && dh < h)) throw Napi::RangeError::New(info.Env(), "resizeAreaDown: only downscaling");
  const size_t n = static_cast<size_t>(w) * h * ch;
  float* out = F32(6, "resizeAreaDown out", static_cast<size_t>(dw) * dh * ch);
  if (info[0].IsTypedArray() && info[0].As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array)
    areaDown(U8(0, "resizeAreaDown src", n), w, h, ch, dw, dh, out);
  else
    areaDown(F32(0, "resizeAreaDown src", n), w, h, ch, dw, dh, out);
  return info.Env().Undefined();
}

// pixel-centre aligned bilinear; store(o, value) receives each output value as a double
template <typename Store>
void bilinear(const float* src, int w, int h, int ch, int dw, int dh, Store store) {
  const double sx = static_cast<double>(w) / dw, sy = static_cast<double>(h) / dh;
  std::vector<int> x0s(dw), x1s(dw);
  std::vector<float> fxs(dw);
  for (int x = 0; x < dw; x++) {
    const double fx = std::min(std::max((x + 0.5) * sx - 0.5, 0.0), static_cast<double>(w - 1));
    x0s[x] = static_cast<int>(std::floor(fx));
    x1s[x] = std::min(w - 1, x0s[x] + 1);
    fxs[x] = static_cast<float>(fx - x0s[x]);
  }
  for (int y = 0; y < dh; y++) {
    const double fy = std::min(std::max((y + 0.5) * sy - 0.5, 0.0), static_cast<double>(h - 1));
    const int y0 = static_cast<int>(std::floor(fy));
    const int y1 = std::min(h - 1, y0 + 1);
    const double ty = fy - y0;
    for (int x = 0; x < dw; x++) {
      const size_t a = (static_cast<size_t>(y0) * w + x0s[x]) * ch, b = (static_cast<size_t>(y0) * w + x1s[x]) * ch;
      const size_t c = (static_cast<size_t>(y1) * w + x0s[x]) * ch, d = (static_cast<size_t>(y1) * w + x1s[x]) * ch;
      const double tx = fxs[x];
      const size_t o = (static_cast<size_t>(y) * dw + x) * ch;
      for (int k = 0; k < ch; k++) {
        const double top = src[a + k] + (static_cast<double>(src[b + k]) - src[a + k]) * tx;
        const double bot = src[c + k] + (static_cast<double>(src[d + k]) - src[c + k]) * tx;
        store(o + k, top + (bot - top) * ty);
      }
    }
  }
}

/** resizeBilinear(src, w, h, ch, dw, dh, out) */
Napi::Value ResizeBilinear(const Napi::CallbackInfo& info) {
  const int w = I(info, 1), h = I(info, 2), ch = I(info, 3), dw = I(info, 4), dh = I(info, 5);
  const float* src = F32(0, "resizeBilinear src", static_cast<size_t>(w) * h * ch);
  float* out = F32(6, "resizeBilinear out", static_cast<size_t>(dw) * dh * ch);
  bilinear(src, w, h, ch, dw, dh, [out](size_t o, double v) { out[o] = static_cast<float>(v); });
  return info.Env().Undefined();
}

/** upscaleToUint8(src Float32Array, w, h, dw, dh, out Uint8Array): min-max to 0-255, bilinear, truncated (util/resize.ts) */
Napi::Value UpscaleToUint8(const Napi::CallbackInfo& info) {
  const int w = I(info, 1), h = I(info, 2), dw = I(info, 3), dh = I(info, 4);
  const size_t n = static_cast<size_t>(w) * h;
  const float* src = F32(0, "upscaleToUint8 src", n);
  uint8_t* out = U8(5, "upscaleToUint8 out", static_cast<size_t>(dw) * dh);
  double lo = INFINITY, hi = -INFINITY;
  for (size_t i = 0; i < n; i++) {
    if (src[i] < lo) lo = src[i];
    if (src[i] > hi) hi = src[i];
  }
  std::fill(out, out + static_cast<size_t>(dw) * dh, 0);
  if (!(hi > lo)) return info.Env().Undefined();
  const double s = 255 / (hi - lo);
  std::vector<float> norm(n);
  for (size_t i = 0; i < n; i++) norm[i] = static_cast<float>((src[i] - lo) * s + 0.5);
  bilinear(norm.data(), w, h, 1, dw, dh, [out](size_t o, double v) { out[o] = static_cast<uint8_t>(static_cast<int>(static_cast<float>(v))); });
  return info.Env().Undefined();
}

// ---- methods/mbd.ts: FastMBD of each Lab channel, summed, normalised, centre bias ---------------
/** mbdCombine(lab Float32Array interleaved, w, h, passes, centreBias 0/1, sal Float32Array out) */
Napi::Value MbdCombine(const Napi::CallbackInfo& info) {
  const int w = I(info, 1), h = I(info, 2), passes = I(info, 3);
  const bool centre = info[4].As<Napi::Number>().Int32Value() != 0;
  const size_t n = static_cast<size_t>(w) * h;
  const float* lab = F32(0, "mbdCombine lab", 3 * n);
  float* sal = F32(5, "mbdCombine sal", n);
  std::fill(sal, sal + n, 0.f);
  std::vector<float> chan(n), d(n);
  for (int c = 0; c < 3; c++) {
    for (size_t i = 0; i < n; i++) chan[i] = lab[3 * i + c];
    fastMbd(chan.data(), w, h, passes, d.data());
    for (size_t i = 0; i < n; i++) sal[i] = static_cast<float>(static_cast<double>(sal[i]) + d[i]);
  }
  auto normalise = [&]() {
    double hi = 0;
    for (size_t i = 0; i < n; i++) if (sal[i] > hi) hi = sal[i];
    if (hi > 0) for (size_t i = 0; i < n; i++) sal[i] = static_cast<float>(sal[i] / hi);
  };
  normalise();
  if (centre) {
    const double cx = (w - 1) / 2.0, cy = (h - 1) / 2.0;
    double r = std::sqrt(cx * cx + cy * cy);
    if (r == 0) r = 1;
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++) {
        const size_t i = static_cast<size_t>(y) * w + x;
        sal[i] = static_cast<float>(sal[i] * (1 - std::sqrt((x - cx) * (x - cx) + (y - cy) * (y - cy)) / r));
      }
    normalise();
  }
  return info.Env().Undefined();
}

/** greyBinned(rgb Uint8Array, w, h, sw, sh, out Float32Array): mean grey (0-1) of each of sw x sh bins */
Napi::Value GreyBinned(const Napi::CallbackInfo& info) {
  const int w = I(info, 1), h = I(info, 2), sw = I(info, 3), sh = I(info, 4);
  const uint8_t* d = U8(0, "greyBinned rgb", static_cast<size_t>(w) * h * 3);
  float* out = F32(5, "greyBinned out", static_cast<size_t>(sw) * sh);
  std::vector<int> xbin(w);
  for (int x = 0; x < w; x++) xbin[x] = std::min(sw - 1, static_cast<int>(std::floor(static_cast<double>(x) * sw / w)));
  std::vector<double> acc(static_cast<size_t>(sw) * sh, 0.0), cnt(static_cast<size_t>(sw) * sh, 0.0);
  for (int y = 0; y < h; y++) {
    const size_t row = static_cast<size_t>(std::min(sh - 1, static_cast<int>(std::floor(static_cast<double>(y) * sh / h)))) * sw;
    const uint8_t* p = d + 3 * static_cast<size_t>(y) * w;
    for (int x = 0; x < w; x++, p += 3) {
      const size_t b = row + xbin[x];
      acc[b] += 0.2989 * p[0] + 0.587 * p[1] + 0.114 * p[2];
      cnt[b]++;
    }
  }
  for (size_t i = 0; i < acc.size(); i++) out[i] = static_cast<float>(acc[i] / (255 * cnt[i]));
  return info.Env().Undefined();
}

// ---- util/map.ts toUint8: min-max to 0-255, rounded half up --------------------------------------
// min and max of floats (as the TypeScript's comparisons: a NaN is skipped)
DILO_HOT void minMax(const float* v, size_t n, float& lo, float& hi) {
  float a = INFINITY, b = -INFINITY;
  for (size_t i = 0; i < n; i++) {
    a = v[i] < a ? v[i] : a;
    b = v[i] > b ? v[i] : b;
  }
  lo = a;
  hi = b;
}

DILO_HOT void scaleToU8(const float* v, size_t n, double lo, double s, uint8_t* out) {
  for (size_t i = 0; i < n; i++) out[i] = static_cast<uint8_t>(static_cast<int>((v[i] - lo) * s + 0.5));
}

/** toUint8(values Float32Array, n, out Uint8Array) */
Napi::Value ToUint8(const Napi::CallbackInfo& info) {
  const size_t n = static_cast<size_t>(D(info, 1));
  const float* v = F32(0, "toUint8 values", n);
  uint8_t* out = U8(2, "toUint8 out", n);
  float flo, fhi;
  minMax(v, n, flo, fhi);
  const double lo = flo, hi = fhi;
  std::fill(out, out + n, 0);
  if (hi > lo && std::isfinite(hi - lo)) scaleToU8(v, n, lo, 255 / (hi - lo), out);
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("toUint8", Napi::Function::New(env, ToUint8));
  exports.Set("rgbToLab", Napi::Function::New(env, RgbToLab));
  exports.Set("slicAssign", Napi::Function::New(env, SlicAssign));
  exports.Set("ftSaliencyRgb", Napi::Function::New(env, FtSaliencyRgb));
  exports.Set("fastMbd", Napi::Function::New(env, FastMbd));
  exports.Set("resizeAreaDown", Napi::Function::New(env, ResizeAreaDown));
  exports.Set("resizeBilinear", Napi::Function::New(env, ResizeBilinear));
  exports.Set("upscaleToUint8", Napi::Function::New(env, UpscaleToUint8));
  exports.Set("mbdCombine", Napi::Function::New(env, MbdCombine));
  exports.Set("greyBinned", Napi::Function::New(env, GreyBinned));
  return exports;
}

}  // namespace

NODE_API_MODULE(dilo_saliency, Init)
