/* Extinction classes for powder patterns: groups worked out by hand from the reflection conditions of the
 * International Tables (Vol. A, the conditions of each group's general position) share their class or do
 * not; and, independently, the structure factors of random crystals of all 230 groups never put a peak
 * where the class says every reflection is absent. */
#include "xrdsym.h"
#include "xs_test.h"

static int same(int a, int b) { return xs_sym_extinction_class(a) == xs_sym_extinction_class(b); }

/* the classes as lists, each ending in 0 */
static void check_together(const int *groups, const char *why)
{
    for (int i = 1; groups[i]; i++)
        CHECK(same(groups[0], groups[i]), "%s: %d and %d share a class (%d, %d)", why, groups[0], groups[i],
              xs_sym_extinction_class(groups[0]), xs_sym_extinction_class(groups[i]));
}

int main(void)
{
    int n = xs_sym_extinction_class_count();
    /* no number to compare with: the ITA's extinction symbols separate Laue classes that a powder pattern
     * merges (4/m and 4/mmm, m-3 and m-3m), so only bounds: more than the 14 Bravais lattices, fewer than
     * the 230 groups */
    CHECK(n > 14 && n < 230, "%d classes", n);
    for (int g = 1; g <= 230; g++) {
        int c = xs_sym_extinction_class(g), members[230];
        CHECK(c >= 1 && c <= n, "group %d: class %d", g, c);
        int k = xs_sym_same_extinctions(g, members, 230), self = 0;
        for (int i = 0; i < k; i++) {
            self |= members[i] == g;
            /* peaks cannot hide a lattice: a class never mixes crystal families or lattice centrings */
            int h = members[i];
            char cg = xs_sym_symbol(g)[0], ch = xs_sym_symbol(h)[0];
            int centred_g = cg != 'P', centred_h = ch != 'P';
            CHECK(centred_g == centred_h && (cg == 'P' || cg == 'R' || ch != 'R') && (cg != 'R' || ch == 'R') &&
                      (cg != 'F' || ch == 'F') && (cg != 'I' || ch == 'I'),
                  "group %d (%s) and %d (%s) in one class", g, xs_sym_symbol(g), h, xs_sym_symbol(h));
            int fam_g = xs_sym_crystal_system(g), fam_h = xs_sym_crystal_system(h);
            if (fam_g == XS_TRIGONAL) fam_g = XS_HEXAGONAL; /* the hexagonal lattice family */
            if (fam_h == XS_TRIGONAL) fam_h = XS_HEXAGONAL;
            CHECK(fam_g == fam_h, "groups %d and %d of different lattice families in one class", g, h);
        }
        CHECK(self && k >= 1, "group %d among its own class's groups", g);
    }
    CHECK(xs_sym_extinction_class(0) == 0 && xs_sym_extinction_class(231) == 0, "numbers outside 1..230");
    CHECK(xs_sym_same_extinctions(231, NULL, 0) == 0, "no class, no groups");

    /* Hand-worked from the general positions' conditions. Monoclinic (b unique): none for P2, Pm, P2/m;
     * 0k0 k = 2n for P2_1 and P2_1/m; h0l l = 2n for Pc and P2/c; both for P2_1/c alone; C centring. */
    int m1[] = {3, 6, 10, 0}, m2[] = {4, 11, 0}, m3[] = {5, 8, 12, 0}, m4[] = {7, 13, 0}, m5[] = {9, 15, 0};
    check_together(m1, "P2 Pm P2/m");
    check_together(m2, "P2_1 P2_1/m");
    check_together(m3, "C2 Cm C2/m");
    check_together(m4, "Pc P2/c");
    check_together(m5, "Cc C2/c");
    CHECK(xs_sym_same_extinctions(14, NULL, 0) == 1, "P2_1/c alone: %d", xs_sym_same_extinctions(14, NULL, 0));
    CHECK(!same(3, 4) && !same(4, 14) && !same(7, 14) && !same(12, 15), "monoclinic conditions separate");
    CHECK(same(1, 2), "P1 and P-1");
    /* Orthorhombic: P222, Pmm2, Pmmm have none; Pnma (0kl k+l = 2n, hk0 h = 2n) is Pna2_1 with b and c
     * swapped; Pmc2_1 (h0l l = 2n) is Pma2 with a and c swapped; C222, Cmm2, Amm2, Cmmm: the C lattice
     * alone; I222 and I2_12_12_1: I centring implies the screws' h00 h = 2n */
    int o1[] = {16, 25, 47, 0}, o2[] = {62, 33, 0}, o3[] = {26, 28, 0}, o4[] = {21, 35, 38, 65, 0}, o5[] = {23, 24, 44, 71, 0};
    check_together(o1, "P222 Pmm2 Pmmm");
    check_together(o2, "Pnma Pna2_1");
    check_together(o3, "Pmc2_1 Pma2");
    check_together(o4, "C222 Cmm2 Amm2 Cmmm");
    check_together(o5, "I222 I2_12_12_1 Imm2 Immm");
    CHECK(!same(16, 17) && !same(17, 18) && !same(18, 19) && !same(62, 61) && !same(70, 22),
          "P222_1, P2_12_12, P2_12_12_1, Pbca, Fddd each otherwise");
    /* Tetragonal: 4/m and 4/mmm give the same peaks; 4_1 and 4_3 screws (00l l = 4n) */
    int t1[] = {75, 81, 83, 89, 99, 111, 115, 123, 0}, t2[] = {76, 78, 91, 95, 0};
    check_together(t1, "P4 ... P4/mmm");
    check_together(t2, "P4_1 P4_3 P4_122 P4_322");
    CHECK(!same(75, 77) && !same(76, 77) && !same(139, 141), "P4 / P4_2 / P4_1, I4/mmm / I4_1/amd apart");
    /* Hexagonal lattice: 3_1, 3_2, 6_2, 6_4 screws all leave 000l l = 3n; 6_1 and 6_5 l = 6n; R apart */
    int h1[] = {143, 147, 162, 164, 168, 175, 183, 187, 191, 0}, h2[] = {144, 145, 151, 152, 153, 154, 171, 172, 180, 181, 0};
    int h3[] = {169, 170, 178, 179, 0}, h4[] = {146, 148, 155, 160, 166, 0}, h5[] = {159, 163, 186, 190, 194, 0};
    check_together(h1, "P3 ... P6/mmm");
    check_together(h2, "3_1 3_2 6_2 6_4 screws");
    check_together(h3, "6_1 6_5 screws");
    check_together(h4, "R3 ... R-3m");
    check_together(h5, "hhl l = 2n: P31c ... P6_3/mmc");
    CHECK(!same(143, 146) && !same(166, 167) && !same(173, 194) && !same(144, 169), "R, c glides, screws apart");
    /* Cubic: m-3 and m-3m give the same peaks */
    int c1[] = {195, 200, 207, 215, 221, 0}, c2[] = {196, 202, 209, 216, 225, 0}, c3[] = {197, 199, 204, 211, 217, 229, 0};
    int c4[] = {203, 227, 0}, c5[] = {212, 213, 0};
    check_together(c1, "P23 Pm-3 P432 P-43m Pm-3m");
    check_together(c2, "F23 Fm-3 F432 F-43m Fm-3m");
    check_together(c3, "I23 I2_13 Im-3 I432 I-43m Im-3m");
    check_together(c4, "Fd-3 Fd-3m");
    check_together(c5, "P4_332 P4_132");
    CHECK(!same(225, 227) && !same(229, 230) && !same(221, 223) && !same(205, 198), "Fd-3m, Ia-3d, Pm-3n, Pa-3 apart");

    int hkl[3] = {1, 0, 0}; /* P2_1/c: h0l with l = 0, allowed */
    CHECK(xs_sym_peak_absent(14, (int[3]){0, 1, 0}) == 1 && xs_sym_peak_absent(14, (int[3]){0, 2, 0}) == 0,
          "P2_1/c: 010 absent, 020 not");
    CHECK(xs_sym_peak_absent(14, (int[3]){0, 0, 1}) == 1 && xs_sym_peak_absent(14, (int[3]){1, 0, 1}) == 1 &&
              xs_sym_peak_absent(14, (int[3]){1, 1, 1}) == 0,
          "P2_1/c: h0l with l odd absent (the c glide), hkl not");
    CHECK(xs_sym_peak_absent(225, (int[3]){1, 0, 0}) == 1 && xs_sym_peak_absent(225, (int[3]){1, 1, 1}) == 0 &&
              xs_sym_peak_absent(227, (int[3]){2, 0, 0}) == 1 && xs_sym_peak_absent(225, (int[3]){2, 0, 0}) == 0,
          "Fm-3m: 100 absent, 111 and 200 not; Fd-3m: 200 absent");
    /* cubic peaks hold every hkl of one h^2 + k^2 + l^2: 300 is absent in P2_13 (h00 h = 2n) but shares its
     * peak with 221, which is not */
    CHECK(xs_sym_peak_absent(198, (int[3]){3, 0, 0}) == 0 && xs_sym_peak_absent(198, (int[3]){1, 0, 0}) == 1,
          "P2_13: the 300/221 peak present, 100 absent");
    CHECK(xs_sym_peak_absent(14, hkl) == 0 && xs_sym_peak_absent(0, hkl) == -1 &&
              xs_sym_peak_absent(14, (int[3]){7, 0, 0}) == -1 && xs_sym_peak_absent(14, (int[3]){0, 0, 0}) == -1,
          "outside the box or the groups: -1");

    /* Independent: structure factors. A random crystal of every group (two per group), simulated: no peak
     * of intensity above 0.01 (of 100; the weakest kept are 1e-3, far above rounding) lies where all its
     * reflections are absent. */
    xs_synth_options opt;
    xs_synth_options_default(&opt);
    opt.verify = XS_SYNTH_VERIFY_DIRECT;
    xs_xrd_options xo;
    xs_xrd_options_default(&xo);
    xo.two_theta_max = 120;
    size_t checked = 0;
    for (int g = 1; g <= 230; g++)
        for (uint64_t idx = 0; idx < 2; idx++) {
            xs_structure *s = NULL;
            xs_peaks *pk = NULL;
            xs_error err = {0};
            if (xs_synth_crystal(g, &opt, 77, idx, &s, &err) != XS_OK || xs_xrd_peaks(s, &xo, &pk, &err) != XS_OK) {
                CHECK(0, "group %d crystal %d: %s", g, (int)idx, err.message);
                xs_structure_free(s);
                continue;
            }
            int hex = xs_peaks_hexagonal(pk);
            for (size_t i = 0; i < xs_peaks_count(pk); i++) {
                const xs_peak *p = xs_peaks_get(pk, i);
                if (p->intensity < 0.01) continue;
                int verdict = 1; /* absent unless one family's peak is allowed or not judged */
                for (size_t f = 0; f < p->n_families; f++) {
                    const int *h4 = xs_peaks_families(pk)[p->first_family + f].hkl;
                    int h[3] = {h4[0], h4[1], hex ? h4[3] : h4[2]};
                    int a = xs_sym_peak_absent(g, h);
                    if (a != 1) verdict = a < verdict ? a : verdict;
                }
                if (verdict == 1) {
                    const int *h4 = xs_peaks_families(pk)[p->first_family].hkl;
                    CHECK(0, "group %d: a peak of intensity %g at %g deg (%d %d %d ...) the class calls absent", g,
                          p->intensity, p->two_theta, h4[0], h4[1], hex ? h4[3] : h4[2]);
                }
                checked += verdict == 0;
            }
            xs_peaks_free(pk);
            xs_structure_free(s);
        }
    CHECK(checked > 10000, "peaks judged: %zu", checked);
    return xs_test_finish();
}
