// Native kernels of the view pipeline: the same arithmetic as src/transforms/*.ts (which stay the
// reference and the fallback), in C++ so the compiler can vectorise the per-pixel loops.
// Internally a view is planar float (three S x S planes, 0-255 scale) so every colour op and the
// vertical blur passes run over contiguous arrays; only the crop reads the interleaved source.
// Hot loops are compiled for AVX-512, AVX2+FMA and baseline x86-64 and picked at load time
// (target_clones), so a binary built on one machine runs on any x86-64.
#include <napi.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define DILO_HOT __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#define DILO_HOT_INLINE inline __attribute__((always_inline))
#else
#define DILO_HOT
#define DILO_HOT_INLINE inline
#endif

namespace {

constexpr float GRAY_R = 0.2989f, GRAY_G = 0.587f, GRAY_B = 0.114f;
enum Op { BRIGHTNESS = 0, CONTRAST = 1, SATURATION = 2, HUE = 3, GRAYSCALE = 4, BLUR = 5 };

// ---- PIL BILINEAR resampling coefficients (transforms/resample.ts axisCoeffs) ----------------
struct Axis {
  std::vector<int> start, count;
  std::vector<float> w;
  int ksize = 0;
};

void axisCoeffs(double in0, double in1, double lo, double hi, int outSize, Axis& a) {
  const double scale = (in1 - in0) / outSize;
  const double filterscale = std::max(scale, 1.0);
  const double support = filterscale;
  a.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  a.start.assign(outSize, 0);
  a.count.assign(outSize, 0);
  a.w.assign(static_cast<size_t>(outSize) * a.ksize, 0.f);
  const double ss = 1.0 / filterscale;
  std::vector<double> tmp(a.ksize);
  for (int xx = 0; xx < outSize; xx++) {
    const double center = in0 + (xx + 0.5) * scale;
    double xmin = std::trunc(center - support + 0.5 - lo) + lo;
    if (xmin < lo) xmin = lo;
    double xmax = std::trunc(center + support + 0.5 - lo) + lo;
    if (xmax > hi) xmax = hi;
    const int n = std::max(0, static_cast<int>(xmax - xmin));
    double ww = 0;
    for (int x = 0; x < n; x++) {
      double t = (x + xmin - center + 0.5) * ss;
      if (t < 0) t = -t;
      tmp[x] = t < 1 ? 1 - t : 0;
      ww += tmp[x];
    }
    for (int x = 0; x < n; x++) a.w[static_cast<size_t>(xx) * a.ksize + x] = static_cast<float>(ww != 0 ? tmp[x] / ww : tmp[x]);
    a.start[xx] = static_cast<int>(xmin);
    a.count[xx] = n;
  }
}

// acc[q] += w * row[q] over one interleaved source row (uint8 or float)
DILO_HOT void rowAxpyU8(float* acc, const uint8_t* row, float w, int n) {
  for (int q = 0; q < n; q++) acc[q] += w * static_cast<float>(row[q]);
}
DILO_HOT void rowAxpyF32(float* acc, const float* row, float w, int n) {
  for (int q = 0; q < n; q++) acc[q] += w * row[q];
}

DILO_HOT void horizontalTwoTaps(const float* __restrict row, const int32_t* __restrict idx, const float* __restrict w0, const float* __restrict w1,
                                float* __restrict pr, float* __restrict pg, float* __restrict pb, int outW) {
  for (int x = 0; x < outW; x++) {
    const int s = idx[x];
    pr[x] = w0[x] * row[s] + w1[x] * row[s + 3];
    pg[x] = w0[x] * row[s + 1] + w1[x] * row[s + 4];
    pb[x] = w0[x] * row[s + 2] + w1[x] * row[s + 5];
  }
}

// Crop box (i, j, h, w) of an interleaved RGB source resampled to outW x outH planar float. The
// vertical taps run first (contiguous rows, vectorised), then the horizontal taps write planes.
template <typename T>
void cropResize(const T* src, int srcW, double bi, double bj, double bh, double bw, int outW, int outH, float* planes, std::vector<float>& row) {
  thread_local Axis cx, cy;
  axisCoeffs(bj, bj + bw, bj, bj + bw, outW, cx);
  axisCoeffs(bi, bi + bh, bi, bi + bh, outH, cy);
  // source columns the horizontal taps touch
  int c0 = cx.start[0], c1 = c0;
  for (int x = 0; x < outW; x++) c1 = std::max(c1, cx.start[x] + cx.count[x]);
  const int rowLen = (c1 - c0) * 3;
  row.resize(rowLen + 3);  // +3: the two-tap path reads tap 1 of an edge column whose weight is 0
  // upscaling (every output two taps, the common case): per-column indices and weights once,
  // so the horizontal pass is a gather loop the compiler vectorises
  thread_local std::vector<int32_t> idx;
  thread_local std::vector<float> w0, w1;
  bool twoTaps = true;
  for (int x = 0; x < outW && twoTaps; x++) twoTaps = cx.count[x] == 2 || cx.count[x] == 1;
  if (twoTaps) {
    idx.resize(outW);
    w0.resize(outW);
    w1.resize(outW);
    for (int x = 0; x < outW; x++) {
      idx[x] = (cx.start[x] - c0) * 3;
      w0[x] = cx.w[static_cast<size_t>(x) * cx.ksize];
      w1[x] = cx.count[x] == 2 ? cx.w[static_cast<size_t>(x) * cx.ksize + 1] : 0.f;
    }
  }
  const size_t plane = static_cast<size_t>(outW) * outH;
  for (int y = 0; y < outH; y++) {
    std::fill(row.begin(), row.begin() + rowLen + 3, 0.f);
    const float* wy = &cy.w[static_cast<size_t>(y) * cy.ksize];
    for (int k = 0; k < cy.count[y]; k++) {
      const T* s = src + (static_cast<size_t>(cy.start[y] + k) * srcW + c0) * 3;
      if constexpr (sizeof(T) == 1) rowAxpyU8(row.data(), reinterpret_cast<const uint8_t*>(s), wy[k], rowLen);
      else rowAxpyF32(row.data(), reinterpret_cast<const float*>(s), wy[k], rowLen);
    }
    float* pr = planes + static_cast<size_t>(y) * outW;
    float* pg = pr + plane;
    float* pb = pg + plane;
    if (twoTaps) {
      horizontalTwoTaps(row.data(), idx.data(), w0.data(), w1.data(), pr, pg, pb, outW);
      continue;
    }
    for (int x = 0; x < outW; x++) {
      const float* wx = &cx.w[static_cast<size_t>(x) * cx.ksize];
      const float* r = row.data() + (cx.start[x] - c0) * 3;
      float a0 = 0, a1 = 0, a2 = 0;
      for (int k = 0; k < cx.count[x]; k++, r += 3) {
        a0 += wx[k] * r[0];
        a1 += wx[k] * r[1];
        a2 += wx[k] * r[2];
      }
      pr[x] = a0;
      pg[x] = a1;
      pb[x] = a2;
    }
  }
}

// ---- ColorJitter ops with torchvision 0.14's float formulas (transforms/color-jitter.ts) -------
inline float clamp255(float v) { return v < 0.f ? 0.f : (v > 255.f ? 255.f : v); }

DILO_HOT void brightness(float* r, float* g, float* b, size_t n, float f) {
  for (size_t q = 0; q < n; q++) {
    r[q] = std::min(f * r[q], 255.f);
    g[q] = std::min(f * g[q], 255.f);
    b[q] = std::min(f * b[q], 255.f);
  }
}

DILO_HOT double graySum(const float* r, const float* g, const float* b, size_t n) {
  // float partial sums per block, summed in double: vectorised and without drift
  double total = 0;
  for (size_t q0 = 0; q0 < n; q0 += 4096) {
    const size_t q1 = std::min(n, q0 + 4096);
    float s = 0;
    for (size_t q = q0; q < q1; q++) s += GRAY_R * r[q] + GRAY_G * g[q] + GRAY_B * b[q];
    total += s;
  }
  return total;
}

DILO_HOT void contrast(float* r, float* g, float* b, size_t n, float f, float cm) {
  for (size_t q = 0; q < n; q++) {
    r[q] = clamp255(f * r[q] + cm);
    g[q] = clamp255(f * g[q] + cm);
    b[q] = clamp255(f * b[q] + cm);
  }
}

DILO_HOT void saturation(float* r, float* g, float* b, size_t n, float f) {
  const float f1 = 1.f - f;
  for (size_t q = 0; q < n; q++) {
    const float l = f1 * (GRAY_R * r[q] + GRAY_G * g[q] + GRAY_B * b[q]);
    r[q] = clamp255(f * r[q] + l);
    g[q] = clamp255(f * g[q] + l);
    b[q] = clamp255(f * b[q] + l);
  }
}

DILO_HOT void grayscale(float* r, float* g, float* b, size_t n) {
  for (size_t q = 0; q < n; q++) {
    const float l = GRAY_R * r[q] + GRAY_G * g[q] + GRAY_B * b[q];
    r[q] = l;
    g[q] = l;
    b[q] = l;
  }
}

// torchvision's _rgb2hsv, H' = (H + hue) mod 1, _hsv2rgb: value and the min stay, only the
// middle channel moves (see color-jitter.ts). No branches, so the loop vectorises.
DILO_HOT void hue(float* r, float* g, float* b, size_t n, float fh) {
  // no branches and no short-circuit logic, so the loop vectorises
  for (size_t q = 0; q < n; q++) {
    const float R = r[q], G = g[q], B = b[q];
    const float mgb = G > B ? G : B, ngb = G < B ? G : B;
    const float maxc = R > mgb ? R : mgb;
    const float minc = R < ngb ? R : ngb;
    const float cr = maxc - minc;
    const float inv = 1.f / (cr > 0.f ? cr : 1.f);
    const float hr = (G - B) * inv, hg = 2.f + (B - R) * inv, hb = 4.f + (R - G) * inv;
    float h = maxc == R ? hr : (maxc == G ? hg : hb);
    h = h / 6.f + 1.f;
    h -= std::floor(h);
    h += fh;
    h -= std::floor(h);
    h *= 6.f;
    // the sector table of _hsv2rgb as one expression per channel: maxc - cr * clamp(min(k, 4 - k), 0, 1)
    // with k = (n + h) mod 6, n = 5, 3, 1 for r, g, b (same values; selects instead of a switch)
    auto channel = [maxc, cr, h](float nn) {
      float k = nn + h;
      k = k >= 6.f ? k - 6.f : k;
      float t = k < 4.f - k ? k : 4.f - k;
      t = t < 0.f ? 0.f : (t > 1.f ? 1.f : t);
      return maxc - cr * t;
    };
    const float nr = channel(5.f), ng = channel(3.f), nb = channel(1.f);
    const bool grey = !(cr > 0.f);
    r[q] = grey ? R : nr;
    g[q] = grey ? G : ng;
    b[q] = grey ? B : nb;
  }
}

// ---- Gaussian blur, PIL's extended box blur, three passes per axis (transforms/box-blur.ts) ----
double boxRadius(double sigma, int passes) {
  const double sigma2 = sigma * sigma / passes;
  const double L = std::sqrt(12 * sigma2 + 1);
  const double l = std::floor((L - 1) / 2);
  const double a = ((2 * l + 1) * (l * (l + 1) - 3 * sigma2)) / (6 * (sigma2 - (l + 1) * (l + 1)));
  return l + a;
}

// out[i] = ww * sum(a[i + k * stride], |k| <= ri) + fw * (a[i - (ri + 1) * stride] + a[i + (ri + 1) * stride])
// for i in [0, n): one box pass over a long flat range (rows: stride 1; columns: stride = row
// length); a must be readable (ri + 1) * stride before and after. RI > 0 fixes the radius at
// compile time, so the taps unroll and each output is one read and one write.
template <int RI>
DILO_HOT_INLINE void boxFlatFixed(const float* __restrict a, float* __restrict out, size_t n, size_t stride, float ww, float fw) {
  for (size_t i = 0; i < n; i++) {
    float sum = a[i];
    for (int k = 1; k <= RI; k++) sum += a[i - k * stride] + a[i + k * stride];
    out[i] = sum * ww + (a[i - (RI + 1) * stride] + a[i + (RI + 1) * stride]) * fw;
  }
}

DILO_HOT void boxFlat(const float* a, float* out, size_t n, int ri, size_t stride, float ww, float fw) {
  switch (ri) {
    case 0: return boxFlatFixed<0>(a, out, n, stride, ww, fw);
    case 1: return boxFlatFixed<1>(a, out, n, stride, ww, fw);
    case 2: return boxFlatFixed<2>(a, out, n, stride, ww, fw);
    case 3: return boxFlatFixed<3>(a, out, n, stride, ww, fw);
    case 4: return boxFlatFixed<4>(a, out, n, stride, ww, fw);
    default: break;
  }
  // larger radii (sigma above ~6): accumulate tap by tap
  for (size_t i = 0; i < n; i++) out[i] = a[i];
  for (int k = 1; k <= ri; k++) {
    const float* lo = a - k * stride;
    const float* hi = a + k * stride;
    for (size_t i = 0; i < n; i++) out[i] += lo[i] + hi[i];
  }
  const float* lo = a - (ri + 1) * stride;
  const float* hi = a + (ri + 1) * stride;
  for (size_t i = 0; i < n; i++) out[i] = out[i] * ww + (lo[i] + hi[i]) * fw;
}

// One vertical pass over a plane, edges replicated: the rows whose taps stay inside the plane
// in one flat loop, the border rows with clamped row indices.
void boxColumns(const float* src, float* dst, int width, int height, int ri, float ww, float fw) {
  const int last = height - 1, pad = ri + 1;
  auto clampedRow = [&](int y) {
    float* o = dst + static_cast<size_t>(y) * width;
    const float* lo = src + static_cast<size_t>(std::max(0, std::min(last, y - pad))) * width;
    const float* hi = src + static_cast<size_t>(std::max(0, std::min(last, y + pad))) * width;
    for (int x = 0; x < width; x++) {
      float s = 0.f;
      for (int k = -ri; k <= ri; k++) s += src[static_cast<size_t>(std::min(last, std::max(0, y + k))) * width + x];
      o[x] = s * ww + (lo[x] + hi[x]) * fw;
    }
  };
  const int y0 = std::min(pad, height), y1 = std::max(y0, height - pad);
  for (int y = 0; y < y0; y++) clampedRow(y);
  if (y1 > y0) boxFlat(src + static_cast<size_t>(y0) * width, dst + static_cast<size_t>(y0) * width, static_cast<size_t>(y1 - y0) * width, ri, width, ww, fw);
  for (int y = y1; y < height; y++) clampedRow(y);
}

// Blur one plane in place: three horizontal passes over all rows at once (rows laid out with
// ri + 1 replicated pixels each side, refreshed before each pass), then three vertical passes.
void blurPlane(float* p, int width, int height, double sigma, std::vector<float>& tmp) {
  constexpr int passes = 3;
  const double r = boxRadius(sigma, passes);
  const int ri = static_cast<int>(std::floor(r));
  const float ww = static_cast<float>(1 / (2 * r + 1));
  const float fw = static_cast<float>((r - ri) * ww);
  const int pad = ri + 1;
  const size_t pw = static_cast<size_t>(width) + 2 * pad;
  const size_t total = pw * height;
  thread_local std::vector<float> la, lb;
  la.assign(total + 2 * pad, 0.f);
  lb.assign(total + 2 * pad, 0.f);
  float* a = la.data() + pad;  // slack of pad floats before and after, so every read is in bounds
  float* b = lb.data() + pad;
  for (int y = 0; y < height; y++) std::memcpy(a + y * pw + pad, p + static_cast<size_t>(y) * width, width * sizeof(float));
  for (int pass = 0; pass < passes; pass++) {
    for (int y = 0; y < height; y++) {
      float* row = a + y * pw;
      std::fill(row, row + pad, row[pad]);
      std::fill(row + pad + width, row + pw, row[pad + width - 1]);
    }
    boxFlat(a, b, total, ri, 1, ww, fw);
    std::swap(a, b);
  }
  for (int y = 0; y < height; y++) std::memcpy(p + static_cast<size_t>(y) * width, a + y * pw + pad, width * sizeof(float));
  tmp.resize(static_cast<size_t>(width) * height);
  float* c = p;
  float* d = tmp.data();
  for (int pass = 0; pass < passes; pass++) {
    boxColumns(c, d, width, height, ri, ww, fw);
    std::swap(c, d);
  }
  if (c != p) std::memcpy(p, c, static_cast<size_t>(width) * height * sizeof(float));
}

// ---- N-API entry points ------------------------------------------------------------------------
float* f32(const Napi::Value& v, const char* what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throw Napi::TypeError::New(v.Env(), std::string(what) + " must be a Float32Array");
  return v.As<Napi::Float32Array>().Data();
}

/**
 * renderView(src, srcW, srcH, box[i, j, h, w], size, ops Int32Array, params Float64Array
 * [brightness, contrast, saturation, hue, blurSigma, flip, mean0..2, std0..2], out, offset):
 * crop + resize, the ops in order (0-3 jitter, 4 grayscale, 5 blur), flip and normalise into
 * out[offset ..] as CHW float32. src is interleaved RGB, Uint8Array (0-255) or Float32Array.
 */
Napi::Value RenderView(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 9) throw Napi::TypeError::New(env, "renderView: 9 arguments expected");
  const Napi::TypedArray src = info[0].As<Napi::TypedArray>();
  const int srcW = info[1].As<Napi::Number>().Int32Value();
  const int srcH = info[2].As<Napi::Number>().Int32Value();
  const Napi::Float64Array box = info[3].As<Napi::Float64Array>();
  const int S = info[4].As<Napi::Number>().Int32Value();
  const Napi::Int32Array ops = info[5].As<Napi::Int32Array>();
  const Napi::Float64Array prm = info[6].As<Napi::Float64Array>();
  float* out = f32(info[7], "out");
  const size_t offset = info[8].As<Napi::Number>().Int64Value();
  if (S <= 0 || box.ElementLength() != 4 || prm.ElementLength() != 12) throw Napi::RangeError::New(env, "renderView: bad size, box or params");
  const double bi = box[0], bj = box[1], bh = box[2], bw = box[3];
  if (bi < 0 || bj < 0 || bh <= 0 || bw <= 0 || bi + bh > srcH || bj + bw > srcW) throw Napi::RangeError::New(env, "renderView: crop box outside the image");
  const size_t plane = static_cast<size_t>(S) * S;
  if (offset + 3 * plane > info[7].As<Napi::Float32Array>().ElementLength()) throw Napi::RangeError::New(env, "renderView: out too short");
  const size_t need = static_cast<size_t>(srcW) * srcH * 3;
  if (src.ElementLength() < need) throw Napi::RangeError::New(env, "renderView: src shorter than srcW x srcH x 3");

  thread_local std::vector<float> planes, row, tmp;
  planes.resize(3 * plane);
  if (src.TypedArrayType() == napi_uint8_array)
    cropResize(src.As<Napi::Uint8Array>().Data(), srcW, bi, bj, bh, bw, S, S, planes.data(), row);
  else if (src.TypedArrayType() == napi_float32_array)
    cropResize(src.As<Napi::Float32Array>().Data(), srcW, bi, bj, bh, bw, S, S, planes.data(), row);
  else
    throw Napi::TypeError::New(env, "renderView: src must be a Uint8Array or Float32Array");

  float* r = planes.data();
  float* g = r + plane;
  float* b = g + plane;
  for (size_t k = 0; k < ops.ElementLength(); k++) {
    switch (ops[k]) {
      case BRIGHTNESS: brightness(r, g, b, plane, static_cast<float>(prm[0])); break;
      case CONTRAST: {
        const double mean = graySum(r, g, b, plane) / plane;
        contrast(r, g, b, plane, static_cast<float>(prm[1]), static_cast<float>((1 - prm[1]) * mean));
        break;
      }
      case SATURATION: saturation(r, g, b, plane, static_cast<float>(prm[2])); break;
      case HUE: hue(r, g, b, plane, static_cast<float>(prm[3])); break;
      case GRAYSCALE: grayscale(r, g, b, plane); break;
      case BLUR:
        if (!(prm[4] > 0)) throw Napi::RangeError::New(env, "renderView: blur needs sigma > 0");
        for (int c = 0; c < 3; c++) blurPlane(planes.data() + c * plane, S, S, prm[4], tmp);
        break;
      default: throw Napi::RangeError::New(env, "renderView: unknown op " + std::to_string(ops[k]));
    }
  }
  const bool flip = prm[5] != 0;
  for (int c = 0; c < 3; c++) {
    const float a = static_cast<float>(1 / (255 * prm[9 + c]));
    const float bb = static_cast<float>(-prm[6 + c] / prm[9 + c]);
    const float* p = planes.data() + c * plane;
    float* o = out + offset + c * plane;
    for (int y = 0; y < S; y++) {
      const float* pr = p + static_cast<size_t>(y) * S;
      float* orow = o + static_cast<size_t>(y) * S;
      if (flip)
        for (int x = 0; x < S; x++) orow[x] = pr[S - 1 - x] * a + bb;
      else
        for (int x = 0; x < S; x++) orow[x] = pr[x] * a + bb;
    }
  }
  return env.Undefined();
}

/** pasteAlpha(map Uint8Array, width, height, blurSigma (0: none), alpha Float32Array): a = map / 255, blurred. */
Napi::Value PasteAlpha(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Napi::Uint8Array map = info[0].As<Napi::Uint8Array>();
  const int W = info[1].As<Napi::Number>().Int32Value();
  const int H = info[2].As<Napi::Number>().Int32Value();
  const double sigma = info[3].As<Napi::Number>().DoubleValue();
  float* alpha = f32(info[4], "alpha");
  const size_t n = static_cast<size_t>(W) * H;
  if (map.ElementLength() < n || info[4].As<Napi::Float32Array>().ElementLength() < n) throw Napi::RangeError::New(env, "pasteAlpha: buffers shorter than width x height");
  const uint8_t* m = map.Data();
  for (size_t q = 0; q < n; q++) alpha[q] = m[q] * (1.f / 255.f);
  thread_local std::vector<float> tmp;
  if (sigma > 0) blurPlane(alpha, W, H, sigma, tmp);
  return env.Undefined();
}

DILO_HOT void compositeLevel(const uint8_t* img, const float* alpha, float level, float* out, size_t n) {
  for (size_t q = 0; q < n; q++) {
    const float a = alpha[q];
    out[3 * q] = level + a * (img[3 * q] - level);
    out[3 * q + 1] = level + a * (img[3 * q + 1] - level);
    out[3 * q + 2] = level + a * (img[3 * q + 2] - level);
  }
}

DILO_HOT void compositeBg(const uint8_t* img, const float* alpha, const float* bg, float* out, size_t n) {
  for (size_t q = 0; q < n; q++) {
    const float a = alpha[q];
    for (int c = 0; c < 3; c++) out[3 * q + c] = bg[3 * q + c] + a * (img[3 * q + c] - bg[3 * q + c]);
  }
}

/** composite(image Uint8Array HWC, alpha, background: number (grey level) | Float32Array HWC, out Float32Array HWC). */
Napi::Value Composite(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Napi::Uint8Array img = info[0].As<Napi::Uint8Array>();
  const Napi::Float32Array alpha = info[1].As<Napi::Float32Array>();
  float* out = f32(info[3], "out");
  const size_t n = img.ElementLength() / 3;
  if (alpha.ElementLength() < n || info[3].As<Napi::Float32Array>().ElementLength() < 3 * n) throw Napi::RangeError::New(env, "composite: alpha or out too short");
  if (info[2].IsNumber()) {
    compositeLevel(img.Data(), alpha.Data(), info[2].As<Napi::Number>().FloatValue(), out, n);
  } else {
    const Napi::Float32Array bg = info[2].As<Napi::Float32Array>();
    if (bg.ElementLength() < 3 * n) throw Napi::RangeError::New(env, "composite: background too short");
    compositeBg(img.Data(), alpha.Data(), bg.Data(), out, n);
  }
  return env.Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("renderView", Napi::Function::New(env, RenderView));
  exports.Set("pasteAlpha", Napi::Function::New(env, PasteAlpha));
  exports.Set("composite", Napi::Function::New(env, Composite));
  return exports;
}

}  // namespace

NODE_API_MODULE(dilo_augment, Init)
