/* Tangled from chapters/04-nn.nw by tangle/tangle.sh: edit the chapter, not this file. */
/* vector.c: exponentials, row maxima and the GELU on 4, 8 or 16 lanes (Chapter 4). */
#include <stdint.h>
#include <string.h>
#include "pt_nn.h"

/* <Compile the kernels at 4, 8 and 16 lanes> */
#define LANES 4
#define VEC(name) name##_4
#define fv fv_4
#define iv iv_4
#define dv dv_4
/* <Kernels on vectors of LANES floats> */
typedef float   fv __attribute__((vector_size(4 * LANES)));
typedef int32_t iv __attribute__((vector_size(4 * LANES)));
typedef double  dv __attribute__((vector_size(8 * LANES)));

/* (through pointers: vectors wider than the machine's registers may not be
   passed by value without a warning about the calling convention) */
static inline void VEC(expv)(fv *v)
{
    fv x = *v;
    iv big = x > 88.37f, tiny = x < -87.33f, nan = x != x, ok = ~(big | tiny | nan);
    fv xc = (fv)((iv)x & ok);                        /* the other lanes: 0 */
    fv t = xc * 1.44269504088896341f + 0.5f;         /* x / ln 2 + 1/2 */
    iv n = __builtin_convertvector(t, iv);           /* toward zero ... */
    n += (iv)(__builtin_convertvector(n, fv) > t);   /* ... then down */
    fv fn = __builtin_convertvector(n, fv);
    fv r = (xc - fn * 0.693359375f) + fn * 2.12194440e-4f;
    fv r2 = r * r, r4 = r2 * r2;                     /* P(r) by Estrin's scheme */
    fv p = (r * 1.6666665459e-1f + 5.0000001201e-1f)
         + r2 * (r * 8.3334519073e-3f + 4.1665795894e-2f)
         + r4 * (r * 1.9875691500e-4f + 1.3981999507e-3f);
    fv y = (p * r2 + r + 1.0f) * (fv)((n + 127) << 23);
    *v = (fv)(((iv)y & ok) | (big & 0x7f800000) | (nan & (iv)x));
}

/* the first m <= LANES floats at p; unused lanes 0 */
static inline void VEC(loadv)(fv *v, const float *p, size_t m)
{
    if (m == LANES) { memcpy(v, p, sizeof *v); return; }
    *v = (fv){ 0 };
    memcpy(v, p, m * sizeof(float));
}
static inline void VEC(storev)(float *p, const fv *v, size_t m)
{
    memcpy(p, v, m == LANES ? sizeof *v : m * sizeof(float));
}

static double VEC(exp_sum)(float *y, const float *x, float shift, size_t n)
{
    iv lane;
    for (int l = 0; l < LANES; l++) lane[l] = l;
    dv s = { 0 };
    for (size_t j = 0; j < n; j += LANES) {
        size_t m = n - j < LANES ? n - j : LANES;
        fv e;
        VEC(loadv)(&e, x + j, m);
        e -= shift;
        VEC(expv)(&e);
        if (m < LANES) e = (fv)((iv)e & (lane < (int)m));   /* padding: 0 */
        if (y) VEC(storev)(y + j, &e, m);
        s += __builtin_convertvector(e, dv);
    }
    double sum = 0;
    for (int l = 0; l < LANES; l++) sum += s[l];
    return sum;
}
/* <Kernels on vectors of LANES floats> */
static float VEC(max)(const float *x, size_t n)
{
    if (n < LANES) {
        float m = x[0];
        for (size_t j = 1; j < n; j++) if (x[j] > m) m = x[j];
        return m;
    }
    fv m, v;
    VEC(loadv)(&m, x, LANES);
    size_t j = LANES;
    for (; j + LANES <= n; j += LANES) {
        VEC(loadv)(&v, x + j, LANES);
        iv up = v > m;
        m = (fv)(((iv)v & up) | ((iv)m & ~up));
    }
    float best = m[0];
    for (int l = 1; l < LANES; l++) if (m[l] > best) best = m[l];
    for (; j < n; j++) if (x[j] > best) best = x[j];
    return best;
}
/* <Kernels on vectors of LANES floats> */
#define GELU_A 0.7978845608028654f      /* sqrt(2 / pi) */
#define GELU_B 0.044715f
static void VEC(gelu_forward)(float *y, const float *x, size_t len)
{
    for (size_t i = 0; i < len; i += LANES) {
        size_t m = len - i < LANES ? len - i : LANES;
        fv v, e;
        VEC(loadv)(&v, x + i, m);
        e = -2 * GELU_A * (v + GELU_B * v * v * v);       /* -2u */
        VEC(expv)(&e);
        e = v / (1 + e);
        VEC(storev)(y + i, &e, m);
    }
}
static void VEC(gelu_backward)(float *dx, const float *dy, const float *x, size_t len)
{
    for (size_t i = 0; i < len; i += LANES) {
        size_t m = len - i < LANES ? len - i : LANES;
        fv v, s, g;
        VEC(loadv)(&v, x + i, m);
        VEC(loadv)(&g, dy + i, m);
        s = -2 * GELU_A * (v + GELU_B * v * v * v);
        VEC(expv)(&s);
        s = 1 / (1 + s);
        g *= s + 2 * v * s * (1 - s) * GELU_A * (1 + 3 * GELU_B * v * v);
        VEC(storev)(dx + i, &g, m);
    }
}
#undef GELU_A
#undef GELU_B
/* <Forget the width> */
#undef LANES
#undef VEC
#undef fv
#undef iv
#undef dv

#pragma GCC push_options
#pragma GCC target("arch=x86-64-v3")
#define LANES 8
#define VEC(name) name##_8
#define fv fv_8
#define iv iv_8
#define dv dv_8
/* <Kernels on vectors of LANES floats> */
typedef float   fv __attribute__((vector_size(4 * LANES)));
typedef int32_t iv __attribute__((vector_size(4 * LANES)));
typedef double  dv __attribute__((vector_size(8 * LANES)));

/* (through pointers: vectors wider than the machine's registers may not be
   passed by value without a warning about the calling convention) */
static inline void VEC(expv)(fv *v)
{
    fv x = *v;
    iv big = x > 88.37f, tiny = x < -87.33f, nan = x != x, ok = ~(big | tiny | nan);
    fv xc = (fv)((iv)x & ok);                        /* the other lanes: 0 */
    fv t = xc * 1.44269504088896341f + 0.5f;         /* x / ln 2 + 1/2 */
    iv n = __builtin_convertvector(t, iv);           /* toward zero ... */
    n += (iv)(__builtin_convertvector(n, fv) > t);   /* ... then down */
    fv fn = __builtin_convertvector(n, fv);
    fv r = (xc - fn * 0.693359375f) + fn * 2.12194440e-4f;
    fv r2 = r * r, r4 = r2 * r2;                     /* P(r) by Estrin's scheme */
    fv p = (r * 1.6666665459e-1f + 5.0000001201e-1f)
         + r2 * (r * 8.3334519073e-3f + 4.1665795894e-2f)
         + r4 * (r * 1.9875691500e-4f + 1.3981999507e-3f);
    fv y = (p * r2 + r + 1.0f) * (fv)((n + 127) << 23);
    *v = (fv)(((iv)y & ok) | (big & 0x7f800000) | (nan & (iv)x));
}

/* the first m <= LANES floats at p; unused lanes 0 */
static inline void VEC(loadv)(fv *v, const float *p, size_t m)
{
    if (m == LANES) { memcpy(v, p, sizeof *v); return; }
    *v = (fv){ 0 };
    memcpy(v, p, m * sizeof(float));
}
static inline void VEC(storev)(float *p, const fv *v, size_t m)
{
    memcpy(p, v, m == LANES ? sizeof *v : m * sizeof(float));
}

static double VEC(exp_sum)(float *y, const float *x, float shift, size_t n)
{
    iv lane;
    for (int l = 0; l < LANES; l++) lane[l] = l;
    dv s = { 0 };
    for (size_t j = 0; j < n; j += LANES) {
        size_t m = n - j < LANES ? n - j : LANES;
        fv e;
        VEC(loadv)(&e, x + j, m);
        e -= shift;
        VEC(expv)(&e);
        if (m < LANES) e = (fv)((iv)e & (lane < (int)m));   /* padding: 0 */
        if (y) VEC(storev)(y + j, &e, m);
        s += __builtin_convertvector(e, dv);
    }
    double sum = 0;
    for (int l = 0; l < LANES; l++) sum += s[l];
    return sum;
}
/* <Kernels on vectors of LANES floats> */
static float VEC(max)(const float *x, size_t n)
{
    if (n < LANES) {
        float m = x[0];
        for (size_t j = 1; j < n; j++) if (x[j] > m) m = x[j];
        return m;
    }
    fv m, v;
    VEC(loadv)(&m, x, LANES);
    size_t j = LANES;
    for (; j + LANES <= n; j += LANES) {
        VEC(loadv)(&v, x + j, LANES);
        iv up = v > m;
        m = (fv)(((iv)v & up) | ((iv)m & ~up));
    }
    float best = m[0];
    for (int l = 1; l < LANES; l++) if (m[l] > best) best = m[l];
    for (; j < n; j++) if (x[j] > best) best = x[j];
    return best;
}
/* <Kernels on vectors of LANES floats> */
#define GELU_A 0.7978845608028654f      /* sqrt(2 / pi) */
#define GELU_B 0.044715f
static void VEC(gelu_forward)(float *y, const float *x, size_t len)
{
    for (size_t i = 0; i < len; i += LANES) {
        size_t m = len - i < LANES ? len - i : LANES;
        fv v, e;
        VEC(loadv)(&v, x + i, m);
        e = -2 * GELU_A * (v + GELU_B * v * v * v);       /* -2u */
        VEC(expv)(&e);
        e = v / (1 + e);
        VEC(storev)(y + i, &e, m);
    }
}
static void VEC(gelu_backward)(float *dx, const float *dy, const float *x, size_t len)
{
    for (size_t i = 0; i < len; i += LANES) {
        size_t m = len - i < LANES ? len - i : LANES;
        fv v, s, g;
        VEC(loadv)(&v, x + i, m);
        VEC(loadv)(&g, dy + i, m);
        s = -2 * GELU_A * (v + GELU_B * v * v * v);
        VEC(expv)(&s);
        s = 1 / (1 + s);
        g *= s + 2 * v * s * (1 - s) * GELU_A * (1 + 3 * GELU_B * v * v);
        VEC(storev)(dx + i, &g, m);
    }
}
#undef GELU_A
#undef GELU_B
/* <Forget the width> */
#undef LANES
#undef VEC
#undef fv
#undef iv
#undef dv
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("arch=x86-64-v4")
#define LANES 16
#define VEC(name) name##_16
#define fv fv_16
#define iv iv_16
#define dv dv_16
/* <Kernels on vectors of LANES floats> */
typedef float   fv __attribute__((vector_size(4 * LANES)));
typedef int32_t iv __attribute__((vector_size(4 * LANES)));
typedef double  dv __attribute__((vector_size(8 * LANES)));

/* (through pointers: vectors wider than the machine's registers may not be
   passed by value without a warning about the calling convention) */
static inline void VEC(expv)(fv *v)
{
    fv x = *v;
    iv big = x > 88.37f, tiny = x < -87.33f, nan = x != x, ok = ~(big | tiny | nan);
    fv xc = (fv)((iv)x & ok);                        /* the other lanes: 0 */
    fv t = xc * 1.44269504088896341f + 0.5f;         /* x / ln 2 + 1/2 */
    iv n = __builtin_convertvector(t, iv);           /* toward zero ... */
    n += (iv)(__builtin_convertvector(n, fv) > t);   /* ... then down */
    fv fn = __builtin_convertvector(n, fv);
    fv r = (xc - fn * 0.693359375f) + fn * 2.12194440e-4f;
    fv r2 = r * r, r4 = r2 * r2;                     /* P(r) by Estrin's scheme */
    fv p = (r * 1.6666665459e-1f + 5.0000001201e-1f)
         + r2 * (r * 8.3334519073e-3f + 4.1665795894e-2f)
         + r4 * (r * 1.9875691500e-4f + 1.3981999507e-3f);
    fv y = (p * r2 + r + 1.0f) * (fv)((n + 127) << 23);
    *v = (fv)(((iv)y & ok) | (big & 0x7f800000) | (nan & (iv)x));
}

/* the first m <= LANES floats at p; unused lanes 0 */
static inline void VEC(loadv)(fv *v, const float *p, size_t m)
{
    if (m == LANES) { memcpy(v, p, sizeof *v); return; }
    *v = (fv){ 0 };
    memcpy(v, p, m * sizeof(float));
}
static inline void VEC(storev)(float *p, const fv *v, size_t m)
{
    memcpy(p, v, m == LANES ? sizeof *v : m * sizeof(float));
}

static double VEC(exp_sum)(float *y, const float *x, float shift, size_t n)
{
    iv lane;
    for (int l = 0; l < LANES; l++) lane[l] = l;
    dv s = { 0 };
    for (size_t j = 0; j < n; j += LANES) {
        size_t m = n - j < LANES ? n - j : LANES;
        fv e;
        VEC(loadv)(&e, x + j, m);
        e -= shift;
        VEC(expv)(&e);
        if (m < LANES) e = (fv)((iv)e & (lane < (int)m));   /* padding: 0 */
        if (y) VEC(storev)(y + j, &e, m);
        s += __builtin_convertvector(e, dv);
    }
    double sum = 0;
    for (int l = 0; l < LANES; l++) sum += s[l];
    return sum;
}
/* <Kernels on vectors of LANES floats> */
static float VEC(max)(const float *x, size_t n)
{
    if (n < LANES) {
        float m = x[0];
        for (size_t j = 1; j < n; j++) if (x[j] > m) m = x[j];
        return m;
    }
    fv m, v;
    VEC(loadv)(&m, x, LANES);
    size_t j = LANES;
    for (; j + LANES <= n; j += LANES) {
        VEC(loadv)(&v, x + j, LANES);
        iv up = v > m;
        m = (fv)(((iv)v & up) | ((iv)m & ~up));
    }
    float best = m[0];
    for (int l = 1; l < LANES; l++) if (m[l] > best) best = m[l];
    for (; j < n; j++) if (x[j] > best) best = x[j];
    return best;
}
/* <Kernels on vectors of LANES floats> */
#define GELU_A 0.7978845608028654f      /* sqrt(2 / pi) */
#define GELU_B 0.044715f
static void VEC(gelu_forward)(float *y, const float *x, size_t len)
{
    for (size_t i = 0; i < len; i += LANES) {
        size_t m = len - i < LANES ? len - i : LANES;
        fv v, e;
        VEC(loadv)(&v, x + i, m);
        e = -2 * GELU_A * (v + GELU_B * v * v * v);       /* -2u */
        VEC(expv)(&e);
        e = v / (1 + e);
        VEC(storev)(y + i, &e, m);
    }
}
static void VEC(gelu_backward)(float *dx, const float *dy, const float *x, size_t len)
{
    for (size_t i = 0; i < len; i += LANES) {
        size_t m = len - i < LANES ? len - i : LANES;
        fv v, s, g;
        VEC(loadv)(&v, x + i, m);
        VEC(loadv)(&g, dy + i, m);
        s = -2 * GELU_A * (v + GELU_B * v * v * v);
        VEC(expv)(&s);
        s = 1 / (1 + s);
        g *= s + 2 * v * s * (1 - s) * GELU_A * (1 + 3 * GELU_B * v * v);
        VEC(storev)(dx + i, &g, m);
    }
}
#undef GELU_A
#undef GELU_B
/* <Forget the width> */
#undef LANES
#undef VEC
#undef fv
#undef iv
#undef dv
#pragma GCC pop_options
/* <Choose the widest kernels the processor runs> */
static int lanes_wanted = 16;   /* set only by pt_vector_lanes_set */

int pt_vector_lanes(void)
{
    if (lanes_wanted >= 16 && __builtin_cpu_supports("x86-64-v4")) return 16;
    if (lanes_wanted >= 8 && __builtin_cpu_supports("x86-64-v3")) return 8;
    return 4;
}

int pt_vector_lanes_set(int lanes)
{
    lanes_wanted = lanes <= 0 ? 16 : lanes;
    return pt_vector_lanes();
}

double pt_exp_sum(float *y, const float *x, float shift, size_t n)
{
    switch (pt_vector_lanes()) {
    case 16: return exp_sum_16(y, x, shift, n);
    case 8:  return exp_sum_8(y, x, shift, n);
    default: return exp_sum_4(y, x, shift, n);
    }
}

float pt_max(const float *x, size_t n)
{
    switch (pt_vector_lanes()) {
    case 16: return max_16(x, n);
    case 8:  return max_8(x, n);
    default: return max_4(x, n);
    }
}
/* <Compute and differentiate the GELU> */
#define GELU_BLOCK 4096
void pt_gelu_forward(float *y, const float *x, size_t len)
{
    int lanes = pt_vector_lanes();
    #pragma omp parallel for schedule(static) if (len > 32768)
    for (size_t i = 0; i < len; i += GELU_BLOCK) {
        size_t m = len - i < GELU_BLOCK ? len - i : GELU_BLOCK;
        if (lanes == 16) gelu_forward_16(y + i, x + i, m);
        else if (lanes == 8) gelu_forward_8(y + i, x + i, m);
        else gelu_forward_4(y + i, x + i, m);
    }
}
void pt_gelu_backward(float *dx, const float *dy, const float *x, size_t len)
{
    int lanes = pt_vector_lanes();
    #pragma omp parallel for schedule(static) if (len > 32768)
    for (size_t i = 0; i < len; i += GELU_BLOCK) {
        size_t m = len - i < GELU_BLOCK ? len - i : GELU_BLOCK;
        if (lanes == 16) gelu_backward_16(dx + i, dy + i, x + i, m);
        else if (lanes == 8) gelu_backward_8(dx + i, dy + i, x + i, m);
        else gelu_backward_4(dx + i, dy + i, x + i, m);
    }
}
