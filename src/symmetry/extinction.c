/* Extinction classes for powder diffraction: which space groups give peaks at the same positions.
 *
 * A powder peak is the sum of every reflection with its d-spacing. For a lattice of a given family the
 * reflections that always share a d-spacing are those related by the lattice's own symmetry (its holohedry;
 * in cubic cells every hkl of the same h^2 + k^2 + l^2). A peak position is missing from every pattern of a
 * group when all its reflections are systematically absent (h.t not an integer for an operation (R, t) with
 * R^T h = h). Two groups whose lattices are of one family and whose missing positions agree cannot be told
 * apart by where the peaks are, only by their intensities. The axes of a random orthorhombic cell have no
 * order (Pmc2_1 with a and c swapped misses the peaks of Pma2), nor have the a and c axes of a monoclinic
 * one, so those permutations are allowed.
 *
 * Every hkl with |h|, |k|, |l| <= 6 is looked at: reflection conditions repeat with period at most 6
 * (6_1 screw axes: 00l, l = 6n). Only positions whose reflections all lie in that box are compared. */
#include "xrdsym/xs_symmetry.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BOX 6
#define SIDE (2 * BOX + 1)
#define KEY_BITS (SIDE * SIDE * SIDE)
#define KEY_WORDS ((KEY_BITS + 63) / 64)

typedef enum { FAM_TRICLINIC, FAM_MONOCLINIC, FAM_ORTHORHOMBIC, FAM_TETRAGONAL, FAM_HEXAGONAL, FAM_CUBIC } family;

typedef struct {
    int fam;
    uint64_t missing[KEY_WORDS];
} ext_key;

static int class_of[231];
static int class_count;
static ext_key standard_key[231]; /* missing peaks in the group's standard setting, axes as they are */
static pthread_once_t once = PTHREAD_ONCE_INIT;

static family family_of(int number)
{
    if (number <= 2) return FAM_TRICLINIC;
    if (number <= 15) return FAM_MONOCLINIC;
    if (number <= 74) return FAM_ORTHORHOMBIC;
    if (number <= 142) return FAM_TETRAGONAL;
    if (number <= 194) return FAM_HEXAGONAL; /* trigonal groups too: spglib's standard R setting is hexagonal */
    return FAM_CUBIC;
}

/* The peak (d-spacing class) of reflection h in a lattice of family f, with its axes permuted by perm; -1
 * where some reflection of that peak lies outside the box. */
static int peak_index(family f, const int h[3], const int perm[3])
{
    int a = h[perm[0]], b = h[perm[1]], c = h[perm[2]];
    switch (f) {
    case FAM_TRICLINIC: /* hkl and -h-k-l */
    case FAM_MONOCLINIC: /* b unique: hkl, -hk-l, h-kl, -h-k-l */
        if (f == FAM_MONOCLINIC) b = abs(b);
        if (a < 0 || (a == 0 && (f == FAM_MONOCLINIC ? c < 0 : (b < 0 || (b == 0 && c < 0))))) {
            a = -a;
            c = -c;
            if (f == FAM_TRICLINIC) b = -b;
        }
        return ((a + BOX) * SIDE + (b + BOX)) * SIDE + (c + BOX);
    case FAM_ORTHORHOMBIC:
        return (abs(a) * SIDE + abs(b)) * SIDE + abs(c);
    case FAM_TETRAGONAL: {
        int s = a * a + b * b; /* every (h, k) with h^2 + k^2 <= 36 lies in the box */
        return s <= BOX * BOX ? s * SIDE + abs(c) : -1;
    }
    case FAM_HEXAGONAL: {
        int s = a * a + a * b + b * b; /* <= 27: |h|, |k| <= sqrt(4 s / 3) <= 6 */
        return s <= 27 ? s * SIDE + abs(c) : -1;
    }
    case FAM_CUBIC: {
        int s = a * a + b * b + c * c;
        return s <= BOX * BOX ? s : -1;
    }
    }
    return -1;
}

static int reflection_absent(const int h[3], const int (*rot)[3][3], const double (*trans)[3], int n_ops)
{
    for (int o = 0; o < n_ops; o++) {
        int fixed = 1;
        for (int j = 0; j < 3 && fixed; j++)
            fixed = h[0] * rot[o][0][j] + h[1] * rot[o][1][j] + h[2] * rot[o][2][j] == h[j];
        if (!fixed) continue;
        double phase = h[0] * trans[o][0] + h[1] * trans[o][1] + h[2] * trans[o][2];
        if (fabs(phase - nearbyint(phase)) > 1e-6) return 1;
    }
    return 0;
}

/* Reflection i of the box, i = ((h + BOX) * SIDE + (k + BOX)) * SIDE + (l + BOX): the order of absent[]. */
static void box_hkl(int i, int h[3])
{
    h[0] = i / (SIDE * SIDE) - BOX;
    h[1] = i / SIDE % SIDE - BOX;
    h[2] = i % SIDE - BOX;
}

static void key_for_perm(family f, const int perm[3], const unsigned char *absent, ext_key *k)
{
    unsigned char *seen = calloc(KEY_BITS, 1), *present = calloc(KEY_BITS, 1);
    memset(k, 0, sizeof *k);
    k->fam = (int)f;
    if (!seen || !present) {
        free(seen);
        free(present);
        return;
    }
    for (int i = 0; i < KEY_BITS; i++) {
        int h[3];
        box_hkl(i, h);
        if (!h[0] && !h[1] && !h[2]) continue;
        int p = peak_index(f, h, perm);
        if (p < 0) continue;
        seen[p] = 1;
        present[p] |= !absent[i];
    }
    for (int p = 0; p < KEY_BITS; p++)
        if (seen[p] && !present[p]) k->missing[p / 64] |= (uint64_t)1 << (p % 64);
    free(seen);
    free(present);
}

static int key_cmp(const ext_key *a, const ext_key *b)
{
    if (a->fam != b->fam) return a->fam < b->fam ? -1 : 1;
    return memcmp(a->missing, b->missing, sizeof a->missing);
}

/* The group's key: its missing peaks, the least over the axis permutations its lattice allows. */
static int group_key(int number, ext_key *out)
{
    static const int perms[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
    static const int mono_perms[2][3] = {{0, 1, 2}, {2, 1, 0}};
    int rot[192][3][3];
    double trans[192][3];
    int n_ops = xs_sym_operations(xs_sym_default_hall(number), rot, trans, 192);
    if (n_ops <= 0) return 0;
    unsigned char absent[KEY_BITS];
    for (int i = 0; i < KEY_BITS; i++) {
        int h[3];
        box_hkl(i, h);
        absent[i] = (unsigned char)reflection_absent(h, (const int (*)[3][3])rot, (const double (*)[3])trans, n_ops);
    }
    family f = family_of(number);
    const int (*pl)[3] = f == FAM_MONOCLINIC ? mono_perms : perms;
    int n_perm = f == FAM_ORTHORHOMBIC ? 6 : f == FAM_MONOCLINIC ? 2 : 1;
    for (int p = 0; p < n_perm; p++) {
        ext_key k;
        key_for_perm(f, pl[p], absent, &k);
        if (p == 0) standard_key[number] = k;
        if (p == 0 || key_cmp(&k, out) < 0) *out = k;
    }
    return 1;
}

static void compute_classes(void)
{
    ext_key *keys = calloc(231, sizeof *keys);
    int *first = calloc(231, sizeof *first); /* class -> its lowest group */
    if (!keys || !first) {
        free(keys);
        free(first);
        return;
    }
    int n = 0;
    for (int g = 1; g <= 230; g++) {
        if (!group_key(g, &keys[g])) continue;
        int c = 0;
        for (int k = 1; k <= n && !c; k++)
            if (key_cmp(&keys[first[k]], &keys[g]) == 0) c = k;
        if (!c) {
            c = ++n;
            first[c] = g;
        }
        class_of[g] = c;
    }
    class_count = n;
    free(keys);
    free(first);
}

int xs_sym_extinction_class(int number)
{
    if (number < 1 || number > 230) return 0;
    pthread_once(&once, compute_classes);
    return class_of[number];
}

int xs_sym_extinction_class_count(void)
{
    pthread_once(&once, compute_classes);
    return class_count;
}

int xs_sym_same_extinctions(int number, int *groups, int max)
{
    int c = xs_sym_extinction_class(number), n = 0;
    if (!c) return 0;
    for (int g = 1; g <= 230; g++)
        if (class_of[g] == c) {
            if (n < max && groups) groups[n] = g;
            n++;
        }
    return n;
}

int xs_sym_peak_absent(int number, const int hkl[3])
{
    static const int identity[3] = {0, 1, 2};
    if (number < 1 || number > 230 || !hkl) return -1;
    for (int i = 0; i < 3; i++)
        if (abs(hkl[i]) > BOX) return -1;
    if (!hkl[0] && !hkl[1] && !hkl[2]) return -1;
    pthread_once(&once, compute_classes);
    int p = peak_index(family_of(number), hkl, identity);
    if (p < 0 || !class_of[number]) return -1;
    return (int)((standard_key[number].missing[p / 64] >> (p % 64)) & 1);
}
