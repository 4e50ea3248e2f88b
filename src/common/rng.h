/* Seeded pseudo-random numbers (xoshiro256**, seeded through splitmix64). Internal to the library.
 * Same seed, same stream, on every platform. */
#ifndef XS_RNG_H
#define XS_RNG_H
#include <math.h>
#include <stdint.h>

typedef struct {
    uint64_t s[4];
} xs_rng;

static inline uint64_t xs_splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Seed from a seed and a stream number, so that parallel workers get independent, reproducible streams. */
static inline void xs_rng_seed(xs_rng *r, uint64_t seed, uint64_t stream)
{
    uint64_t x = seed ^ (stream * 0xD1B54A32D192ED03ull);
    for (int i = 0; i < 4; i++) r->s[i] = xs_splitmix64(&x);
}

static inline uint64_t xs_rng_next(xs_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = ((s[1] * 5) << 7 | (s[1] * 5) >> 57) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 45) | (s[3] >> 19);
    return result;
}

/* Uniform in [0, 1). */
static inline double xs_rng_uniform(xs_rng *r) { return (double)(xs_rng_next(r) >> 11) * 0x1.0p-53; }

static inline double xs_rng_range(xs_rng *r, double lo, double hi) { return lo + (hi - lo) * xs_rng_uniform(r); }

/* Uniform integer in [0, n). */
static inline uint64_t xs_rng_below(xs_rng *r, uint64_t n) { return n ? (uint64_t)(xs_rng_uniform(r) * (double)n) % n : 0; }

/* Standard normal (Box-Muller; one value per call for simplicity and reproducibility). */
static inline double xs_rng_normal(xs_rng *r)
{
    double u1 = xs_rng_uniform(r), u2 = xs_rng_uniform(r);
    if (u1 < 1e-300) u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}
#endif
