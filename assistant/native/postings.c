/* BM25 over cut postings at scale (assistant/search_at_scale.py): sum each term's postings into
   a per-chunk accumulator and keep the n best chunks. numpy does the same in ~10 passes over the
   postings (scatter per term, gather, reset, partition, unique); this is one pass and a small
   insertion sort, with the same float64 sums in the same order, so the scores are bit-identical. */
#include <stdint.h>

/* Rows [offsets[t], offsets[t+1]) of `rows`/`scores` are term t's postings; a row appears at most
   once per term. `acc` (one double per chunk) and `seen` (one byte per chunk) are all zero on
   entry and are left all zero. `touched` has room for every posting. Writes the best rows by
   score descending, row ascending, scores > 0 only, into out_rows/out_scores; returns how many. */
int top_postings(int nterms, const int64_t *offsets, const int32_t *rows, const float *scores,
                 double *acc, uint8_t *seen, int32_t *touched, int n,
                 int32_t *out_rows, double *out_scores) {
    int64_t ntouched = 0;
    for (int t = 0; t < nterms; t++) {
        for (int64_t i = offsets[t]; i < offsets[t + 1]; i++) {
            int32_t r = rows[i];
            acc[r] += (double)scores[i];
            if (!seen[r]) { seen[r] = 1; touched[ntouched++] = r; }
        }
    }
    int count = 0;
    for (int64_t i = 0; i < ntouched; i++) {
        int32_t r = touched[i];
        double s = acc[r];
        acc[r] = 0.0;
        seen[r] = 0;
        if (!(s > 0.0) || n <= 0) continue;
        if (count == n && (s < out_scores[n - 1] || (s == out_scores[n - 1] && r > out_rows[n - 1])))
            continue;
        int j = count < n ? count++ : n - 1;
        while (j > 0 && (out_scores[j - 1] < s || (out_scores[j - 1] == s && out_rows[j - 1] > r))) {
            out_scores[j] = out_scores[j - 1];
            out_rows[j] = out_rows[j - 1];
            j--;
        }
        out_scores[j] = s;
        out_rows[j] = r;
    }
    return count;
}
