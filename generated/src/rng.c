/* Tangled from chapters/02-data.nw by tangle/tangle.sh: edit the chapter, not this file. */
/* rng.c: xoshiro256** seeded by splitmix64, and what is built on it. */
#include "pt_data.h"
#include <math.h>
/* <Step the generator and scramble its output> */
static uint64_t rotl(uint64_t x, int k)
{
    uint64_t high = x << k;           /* the bits that stay */
    return high | (x >> (64 - k));    /* and those that wrap around */
}

uint64_t pt_rng_u64(pt_rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = rotl(s[1] * 5, 7) * 9;       /* the ** scrambler */
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}
/* <Seed the generator through splitmix64> */
uint64_t pt_splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void pt_rng_seed(pt_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = pt_splitmix64(&seed);
    r->has_spare = 0;
    r->spare = 0;
}
/* <Make a float uniform on the unit interval> */
float pt_rng_uniform(pt_rng *r)
{
    return (float)(pt_rng_u64(r) >> 40) * 0x1.0p-24f;
}
/* <Draw an unbiased integer below n> */
uint32_t pt_rng_below(pt_rng *r, uint32_t n)
{
    if (n <= 1)
        return 0;
    uint64_t m = (pt_rng_u64(r) >> 32) * (uint64_t)n;
    uint32_t low = (uint32_t)m;
    if (low < n) {
        uint32_t t = (0u - n) % n;      /* 2^32 mod n */
        while (low < t) {
            m = (pt_rng_u64(r) >> 32) * (uint64_t)n;
            low = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}
/* <Draw a normal deviate by Box-Muller> */
double pt_rng_normal(pt_rng *r)
{
    if (r->has_spare) {
        r->has_spare = 0;
        return r->spare;
    }
    double u1 = (double)((pt_rng_u64(r) >> 11) + 1) * 0x1.0p-53;   /* (0, 1] */
    double u2 = (double)(pt_rng_u64(r) >> 11) * 0x1.0p-53;         /* [0, 1) */
    double radius = sqrt(-2.0 * log(u1));
    double theta = 2.0 * 3.14159265358979323846 * u2;
    r->spare = radius * sin(theta);
    r->has_spare = 1;
    return radius * cos(theta);
}
/* <Shuffle an array by Fisher-Yates> */
void pt_rng_shuffle(pt_rng *r, int *a, int n)
{
    for (int i = n - 1; i > 0; i--) {
        int j = (int)pt_rng_below(r, (uint32_t)i + 1);
        int tmp = a[i];
        a[i] = a[j];
        a[j] = tmp;
    }
}
