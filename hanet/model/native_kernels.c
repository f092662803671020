/* Fused CPU kernels for evaluation scoring; loaded by hanet/model/native.py, which builds
 * this file with the system C compiler (its FLAGS) on first use. Plain C with the
 * GCC / Clang vector extension (8 float lanes: one AVX2 register, two SSE / NEON ones); no
 * Python or torch headers. Inputs are contiguous float32 arrays; every array is indexed
 * row-major as documented at each function. Called without the GIL (ctypes), one call per
 * scoring block, from several worker threads at once: no global state.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define LANES 8
#define CHUNK 64 /* columns (phrases) handled together: 8 vectors */
typedef float vf __attribute__((vector_size(4 * LANES)));
typedef int32_t vi __attribute__((vector_size(4 * LANES)));

static inline vf load(const float *p) { vf v; memcpy(&v, p, sizeof v); return v; }
static inline void store(float *p, vf v) { memcpy(p, &v, sizeof v); }
static inline vf splat(float x) { return (vf){x, x, x, x, x, x, x, x}; }
static inline vf blend(vi mask, vf a, vf b) { return (vf)(((vi)a & mask) | ((vi)b & ~mask)); }
static inline vf vmax(vf a, vf b) { return blend(a > b, a, b); }
static inline vf vmin(vf a, vf b) { return blend(a < b, a, b); }

/* 2^x for x in [-126, 126] (callers clamp): x = n + t, n = round(x), |t| <= 1/2;
 * 2^t = e^(t ln 2) by its degree-7 Taylor polynomial (relative error below 1e-8), 2^n by
 * writing the exponent bits. */
static inline vf exp2v(vf x) {
    vf h = x + splat(0.5f);
    vi n = __builtin_convertvector(h, vi);                 /* truncates toward zero */
    n = n + (vi)(__builtin_convertvector(n, vf) > h);       /* floor: -1 where truncation went up */
    vf t = (x - __builtin_convertvector(n, vf)) * splat(0.69314718055994531f);
    vf p = splat(1.0f / 5040.0f);
    p = p * t + splat(1.0f / 720.0f);
    p = p * t + splat(1.0f / 120.0f);
    p = p * t + splat(1.0f / 24.0f);
    p = p * t + splat(1.0f / 6.0f);
    p = p * t + splat(0.5f);
    p = p * t + splat(1.0f);
    p = p * t + splat(1.0f);
    vi bits = (n + 127) << 23;
    return p * (vf)bits;
}

/* Phrase-attention scores of one block (see hanet/model/matching.py for the closed form).
 *   sims  (n, pb, r)  cosines of every (video part, phrase); parts past a video's valid
 *                      ones are zero vectors (cosine 0)
 *   bias2 (n, pb)     log2 of the part weight bias, -inf on invalid parts
 *   gram  (n, pb, pb) cosines between the parts (0 with an invalid one)
 *   scale             temperature / ln 2
 *   exact_shift       1: shift each phrase's logits by their maximum (large temperatures)
 *   out   (n, r)      sum_p f_p s_p / sqrt(f^T C f) for every (video, phrase)
 * Columns go CHUNK at a time, as VECS independent vectors, so that every accumulation over
 * parts runs VECS chains side by side (FMA throughput, not latency, bounds the loops).
 */
#define VECS (CHUNK / LANES)

int hanet_attention_block(const float *sims, const float *bias2, const float *gram, int64_t n, int64_t pb,
                          int64_t r, float scale, int exact_shift, float *out) {
    vf *s = aligned_alloc(sizeof(vf), sizeof(vf) * (size_t)(2 * pb * VECS));  /* (pb, VECS) cosines, then weights */
    if (!s) return 1;
    vf *f = s + pb * VECS;
    for (int64_t i = 0; i < n; i++) {
        const float *S = sims + i * pb * r, *B = bias2 + i * pb, *G = gram + i * pb * pb;
        for (int64_t c0 = 0; c0 < r; c0 += CHUNK) {
            int64_t w = r - c0 < CHUNK ? r - c0 : CHUNK;
            for (int64_t p = 0; p < pb; p++) {  /* local copy, zero past the last column */
                float *row = (float *)(s + p * VECS);
                memcpy(row, S + p * r + c0, sizeof(float) * (size_t)w);
                memset(row + w, 0, sizeof(float) * (size_t)(CHUNK - w));
            }
            vf sq[VECS], top[VECS], numer[VECS], quad[VECS], g[VECS];
            for (int u = 0; u < VECS; u++) {
                sq[u] = numer[u] = quad[u] = splat(0.0f);
                top[u] = splat(-INFINITY);
            }
            for (int64_t p = 0; p < pb; p++)
                for (int u = 0; u < VECS; u++) {
                    vf pos = vmax(s[p * VECS + u], splat(0.0f));
                    sq[u] += pos * pos;
                }
            float sc[CHUNK], *sqf = (float *)sq;
            for (int k = 0; k < CHUNK; k++) {  /* vectorised by the compiler (-fno-math-errno) */
                float norm = sqrtf(sqf[k]);
                sc[k] = scale / (norm > 1e-8f ? norm : 1e-8f);
            }
            for (int64_t p = 0; p < pb; p++)
                for (int u = 0; u < VECS; u++) {
                    vf logit = splat(B[p]) + vmax(s[p * VECS + u], splat(0.0f)) * load(sc + u * LANES);
                    f[p * VECS + u] = logit;
                    top[u] = vmax(top[u], logit);
                }
            for (int u = 0; u < VECS; u++)
                top[u] = exact_shift ? blend(top[u] == splat(-INFINITY), splat(0.0f), top[u]) : splat(0.0f);
            for (int64_t p = 0; p < pb; p++) {
                /* f^T C f = sum_p f_p (C_pp f_p / 2 + sum_{q<p} C_pq f_q), doubled below */
                for (int u = 0; u < VECS; u++) {
                    vf e = exp2v(vmin(vmax(f[p * VECS + u] - top[u], splat(-126.0f)), splat(126.0f)));
                    f[p * VECS + u] = e;
                    numer[u] += e * s[p * VECS + u];
                    g[u] = splat(0.5f * G[p * pb + p]) * e;
                }
                for (int64_t q = 0; q < p; q++) {
                    vf c = splat(G[p * pb + q]);
                    for (int u = 0; u < VECS; u++) g[u] += c * f[q * VECS + u];
                }
                for (int u = 0; u < VECS; u++) quad[u] += f[p * VECS + u] * g[u];
            }
            float *nf = (float *)numer, *qf = (float *)quad, res[CHUNK];
            for (int k = 0; k < CHUNK; k++) {
                float q2 = 2.0f * qf[k];
                res[k] = nf[k] / sqrtf(q2 > 1e-30f ? q2 : 1e-30f);
            }
            memcpy(out + i * r + c0, res, sizeof(float) * (size_t)w);
        }
    }
    free(s);
    return 0;
}

static inline float hsum(vf v) {
    float total = 0.0f;
    for (int k = 0; k < LANES; k++) total += v[k];
    return total;
}

static inline float tail_minima(const float *P, const float *Q, int64_t from, int64_t C) {
    float total = 0.0f;
    for (int64_t c = from; c < C; c++) total += P[c] < Q[c] ? P[c] : Q[c];
    return total;
}

/* out[i, j] = sum_c min(p[i, c], q[j, c]): p (nv, C), q (nt, C) -> out (nv, nt). Four rows of
 * p against one row of q at a time, in registers (then single rows for the remainder). */
void hanet_sum_of_minima(const float *p, const float *q, int64_t nv, int64_t nt, int64_t C, float *out) {
    int64_t cv = C - C % LANES, i0 = 0;
    for (; i0 + 4 <= nv; i0 += 4) {
        const float *P0 = p + i0 * C, *P1 = P0 + C, *P2 = P1 + C, *P3 = P2 + C;
        for (int64_t j = 0; j < nt; j++) {
            const float *Q = q + j * C;
            vf a0 = splat(0.0f), a1 = a0, a2 = a0, a3 = a0;
            for (int64_t c = 0; c < cv; c += LANES) {
                vf qv = load(Q + c);
                a0 += vmin(load(P0 + c), qv);
                a1 += vmin(load(P1 + c), qv);
                a2 += vmin(load(P2 + c), qv);
                a3 += vmin(load(P3 + c), qv);
            }
            out[i0 * nt + j] = hsum(a0) + tail_minima(P0, Q, cv, C);
            out[(i0 + 1) * nt + j] = hsum(a1) + tail_minima(P1, Q, cv, C);
            out[(i0 + 2) * nt + j] = hsum(a2) + tail_minima(P2, Q, cv, C);
            out[(i0 + 3) * nt + j] = hsum(a3) + tail_minima(P3, Q, cv, C);
        }
    }
    for (; i0 < nv; i0++) {
        const float *P = p + i0 * C;
        for (int64_t j = 0; j < nt; j++) {
            const float *Q = q + j * C;
            vf a = splat(0.0f), b = a;
            int64_t c = 0;
            for (; c + 2 * LANES <= cv; c += 2 * LANES) {
                a += vmin(load(P + c), load(Q + c));
                b += vmin(load(P + c + LANES), load(Q + c + LANES));
            }
            for (; c < cv; c += LANES) a += vmin(load(P + c), load(Q + c));
            out[i0 * nt + j] = hsum(a + b) + tail_minima(P, Q, cv, C);
        }
    }
}
