/* Private: the compiled-in space-group frequencies of Materials Project structures (sg_prior_table.c) and of
 * the COD's inorganic structures with their smoothing strength (sg_prior_minerals_table.c). */
#ifndef XS_SG_PRIOR_H
#define XS_SG_PRIOR_H
extern const unsigned xs_sg_prior_mp_counts[231];
extern const unsigned xs_sg_prior_minerals_counts[231];
extern const double xs_sg_prior_minerals_strength;
#endif
