/* Tangled from chapters/06-simclr.nw by tangle/tangle.sh: edit the chapter, not this file. */
/* augment.c: random views of an image (Chapter 6). */
#define _DEFAULT_SOURCE
#include <math.h>
#include "pt_simclr.h"

/* <Choose the default augmentations> */
pt_augment pt_augment_all(void)
{
    return (pt_augment){ .crop_p = 1, .scale_lo = 0.35f, .scale_hi = 1, .ratio_lo = 0.75f,
                         .ratio_hi = 4.0f / 3, .flip_p = 0.5f, .rotate_deg = 10,
                         .brightness = 0.2f, .contrast = 0.3f, .blur_p = 0.3f,
                         .sigma_lo = 0.3f, .sigma_hi = 1.0f, .noise_sd = 0.03f,
                         .erase_p = 0.25f, .erase_lo = 0.02f, .erase_hi = 0.15f };
}
pt_augment pt_augment_crop(void)
{
    return (pt_augment){ .crop_p = 1, .scale_lo = 0.35f, .scale_hi = 1, .ratio_lo = 0.75f,
                         .ratio_hi = 4.0f / 3, .flip_p = 0.5f };
}
/* <Resample a rotated box by bilinear interpolation> */
void pt_resample(float *out, int oh, int ow, const float *in, int h, int w,
                 float y0, float x0, float bh, float bw, float angle)
{
    double sy = (double)bh / oh, sx = (double)bw / ow;
    double cy = y0 + 0.5 * bh, cx = x0 + 0.5 * bw, cs = cos(angle), sn = sin(angle);
    for (int i = 0; i < oh; i++)
        for (int j = 0; j < ow; j++) {
            double dy = y0 + (i + 0.5) * sy - cy, dx = x0 + (j + 0.5) * sx - cx;
            double y = cy + cs * dy - sn * dx - 0.5, x = cx + sn * dy + cs * dx - 0.5;
            /* <Blend the four pixels around (y, x)> */
            double fy = floor(y), fx = floor(x), a = y - fy, e = x - fx, v = 0;
            int r = (int)fy, c = (int)fx;
            double wt[4] = { (1 - a) * (1 - e), (1 - a) * e, a * (1 - e), a * e };
            for (int q = 0; q < 4; q++) {
                int rr = r + q / 2, cc = c + q % 2;
                if (wt[q] != 0 && rr >= 0 && rr < h && cc >= 0 && cc < w) v += wt[q] * in[rr * w + cc];
            }
            out[i * ow + j] = (float)v;
        }
}
/* <Draw a crop box> */
/* sides (*rh, *rw) of a rectangle of area s h w, s uniform on [s_lo, s_hi],
   width / height log-uniform on [r_lo, r_hi], that fits in h x w: up to
   ten draws; 0 if none fitted */
static int draw_rect(double *rh, double *rw, int h, int w, double s_lo, double s_hi,
                     double r_lo, double r_hi, pt_rng *rng)
{
    for (int tries = 0; tries < 10; tries++) {
        double s = s_lo + (s_hi - s_lo) * pt_rng_uniform(rng);
        double r = exp(log(r_lo) + (log(r_hi) - log(r_lo)) * pt_rng_uniform(rng));
        *rw = sqrt(s * h * w * r);
        *rh = sqrt(s * h * w / r);
        if (*rw <= w && *rh <= h) return 1;
    }
    return 0;
}

static void draw_box(float *y0, float *x0, float *bh, float *bw, int h, int w,
                     const pt_augment *a, pt_rng *rng)
{
    double ch, cw;
    if (draw_rect(&ch, &cw, h, w, a->scale_lo, a->scale_hi, a->ratio_lo, a->ratio_hi, rng)) {
        *bh = (float)ch; *bw = (float)cw;
        *y0 = (float)((h - ch) * pt_rng_uniform(rng));
        *x0 = (float)((w - cw) * pt_rng_uniform(rng));
    } else {
        *y0 = *x0 = 0; *bh = (float)h; *bw = (float)w;
    }
}
/* <Flip, and jitter brightness and contrast> */
void pt_flip_h(float *x, int h, int w)
{
    for (int i = 0; i < h; i++)
        for (int j = 0; j < w / 2; j++) {
            float t = x[i * w + j];
            x[i * w + j] = x[i * w + w - 1 - j];
            x[i * w + w - 1 - j] = t;
        }
}

static void jitter(float *x, int n, float b, float c)
{
    double mu = 0;
    for (int k = 0; k < n; k++) mu += x[k];
    mu /= n;
    for (int k = 0; k < n; k++) x[k] = (float)(mu + c * (x[k] - mu) + b);
}
/* <Blur an image with a separable Gaussian> */
void pt_blur(float *x, int h, int w, float sigma, float *tmp)
{
    int R = (int)ceil(2 * sigma);
    if (R < 1 || R > 16) return;
    float g[33], sum = 0;
    for (int k = -R; k <= R; k++) sum += g[k + R] = expf(-0.5f * k * k / (sigma * sigma));
    for (int k = 0; k <= 2 * R; k++) g[k] /= sum;
    for (int i = 0; i < h; i++)                       /* rows: x -> tmp */
        for (int j = 0; j < w; j++) {
            float v = 0;
            for (int k = -R; k <= R; k++) {
                int jj = j + k < 0 ? 0 : j + k >= w ? w - 1 : j + k;
                v += g[k + R] * x[i * w + jj];
            }
            tmp[i * w + j] = v;
        }
    for (int i = 0; i < h; i++)                       /* columns: tmp -> x */
        for (int j = 0; j < w; j++) {
            float v = 0;
            for (int k = -R; k <= R; k++) {
                int ii = i + k < 0 ? 0 : i + k >= h ? h - 1 : i + k;
                v += g[k + R] * tmp[ii * w + j];
            }
            x[i * w + j] = v;
        }
}
/* <Erase a rectangle> */
void pt_erase(float *x, int h, int w, int y0, int x0, int eh, int ew, pt_rng *rng)
{
    for (int i = y0; i < y0 + eh && i < h; i++)
        for (int j = x0; j < x0 + ew && j < w; j++)
            x[i * w + j] = pt_rng_uniform(rng);
}

static void random_erase(float *x, int h, int w, const pt_augment *a, pt_rng *rng)
{
    double rh, rw;
    if (!draw_rect(&rh, &rw, h, w, a->erase_lo, a->erase_hi, 0.3, 3.3, rng)) return;
    int eh = (int)lround(rh), ew = (int)lround(rw);
    if (eh < 1 || ew < 1) return;
    int y0 = (int)pt_rng_below(rng, (uint32_t)(h - eh + 1));
    int x0 = (int)pt_rng_below(rng, (uint32_t)(w - ew + 1));
    pt_erase(x, h, w, y0, x0, eh, ew, rng);
}
/* <Make one view of an image> */
void pt_augment_view(float *out, const float *in, int h, int w, const pt_augment *a,
                     pt_rng *rng)
{
    float y0 = 0, x0 = 0, bh = (float)h, bw = (float)w, tmp[64 * 64];
    if (pt_rng_uniform(rng) < a->crop_p) draw_box(&y0, &x0, &bh, &bw, h, w, a, rng);
    double angle = (2 * pt_rng_uniform(rng) - 1) * a->rotate_deg * M_PI / 180;
    pt_resample(out, h, w, in, h, w, y0, x0, bh, bw, (float)angle);
    if (pt_rng_uniform(rng) < a->flip_p) pt_flip_h(out, h, w);
    float b = (2 * pt_rng_uniform(rng) - 1) * a->brightness;
    float c = 1 + (2 * pt_rng_uniform(rng) - 1) * a->contrast;
    if (b != 0 || c != 1) jitter(out, h * w, b, c);
    float sigma = a->sigma_lo + (a->sigma_hi - a->sigma_lo) * pt_rng_uniform(rng);
    if (pt_rng_uniform(rng) < a->blur_p && h * w <= 64 * 64) pt_blur(out, h, w, sigma, tmp);
    if (a->noise_sd > 0)
        for (int k = 0; k < h * w; k++) out[k] += a->noise_sd * (float)pt_rng_normal(rng);
    if (pt_rng_uniform(rng) < a->erase_p) random_erase(out, h, w, a, rng);
    for (int k = 0; k < h * w; k++) out[k] = out[k] < 0 ? 0 : out[k] > 1 ? 1 : out[k];
}
/* <Make two views of every image of a batch> */
void pt_augment_pairs(float *out, const float *x, const int *idx, int n, int h, int w,
                      const pt_augment *a, uint64_t seed)
{
    size_t d = (size_t)h * w;
    #pragma omp parallel for schedule(static) if (n >= 16)
    for (int k = 0; k < n; k++) {
        uint64_t s = seed ^ (0x9e3779b97f4a7c15ULL * (uint64_t)(k + 1));
        pt_rng rng;
        pt_rng_seed(&rng, pt_splitmix64(&s));
        const float *src = x + d * (size_t)(idx ? idx[k] : k);
        pt_augment_view(out + d * (size_t)(2 * k), src, h, w, a, &rng);
        pt_augment_view(out + d * (size_t)(2 * k + 1), src, h, w, a, &rng);
    }
}
