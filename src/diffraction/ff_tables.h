/* Internal: compiled-in form-factor coefficient tables. */
#ifndef XS_FF_TABLES_H
#define XS_FF_TABLES_H

typedef struct {
    int z, charge;
    double a[5], b[5], c;
} xs_ff_wk_entry;

extern const xs_ff_wk_entry xs_ff_wk_table[];
extern const int xs_ff_wk_count;

/* One atom's coefficients, resolved once per site so that the inner loop does no look-up.
 * Waasmaier-Kirfel: f = c + sum a_i exp(-b_i s^2) (n = 5).
 * pymatgen:         f = Z - 41.78214 s^2 sum a_i exp(-b_i s^2) (n = 4, mott = 1, c = Z). */
typedef struct {
    int n;
    int mott;
    double a[5], b[5], c;
} xs_ff_coeffs;

#include "xrdsym/xs_xrd.h"
/* Coefficients for element z with a formal charge; NULL when the table lacks the element. */
const xs_ff_coeffs *xs_ff_lookup(const xs_formfactors *ff, int z, int charge);

static inline double xs_ff_eval(const xs_ff_coeffs *c, double s2)
{
    double sum = 0;
    for (int i = 0; i < c->n; i++) sum += c->a[i] * __builtin_exp(-c->b[i] * s2);
    return c->mott ? c->c - 41.78214 * s2 * sum : c->c + sum;
}
#endif
