/* Wyckoff letters and representatives of a few groups, written out by hand from the International Tables
 * (Vol. A), against the positions computed from the operations and named by the compiled ITA table. Needs no
 * shared data; tests/test_wyckoff.c checks all 530 settings against spglib's and PyXtal's tables. */
#include "xrdsym.h"
#include "xs_test.h"

/* Letter, multiplicity, site symmetry (ours is unoriented: "mm2" where ITA writes "m2m") and the first
 * coordinate triplet, from 'a' on. Pmmm is a group whose letters the computed order alone once got wrong ('b'
 * is ITA's 1/2,0,0, not 0,0,1/2); P6/mmm and Fd-3m test the representatives ITA prints (x,2x,z not 2x,x,z;
 * 1/2,0,z not 0,1/2,z; origin choice 1's 1/8,y,-y+1/4). */
static const struct {
    int sg;
    const char *positions; /* "letter mult site (triplet)", separated by ';' */
} by_hand[] = {
    {47, "a 1 mmm (0,0,0);b 1 mmm (1/2,0,0);c 1 mmm (0,0,1/2);d 1 mmm (1/2,0,1/2);e 1 mmm (0,1/2,0);"
         "f 1 mmm (1/2,1/2,0);g 1 mmm (0,1/2,1/2);h 1 mmm (1/2,1/2,1/2);"
         "i 2 mm2 (x,0,0);j 2 mm2 (x,0,1/2);k 2 mm2 (x,1/2,0);l 2 mm2 (x,1/2,1/2);"
         "m 2 mm2 (0,y,0);n 2 mm2 (0,y,1/2);o 2 mm2 (1/2,y,0);p 2 mm2 (1/2,y,1/2);"
         "q 2 mm2 (0,0,z);r 2 mm2 (0,1/2,z);s 2 mm2 (1/2,0,z);t 2 mm2 (1/2,1/2,z);"
         "u 4 m (0,y,z);v 4 m (1/2,y,z);w 4 m (x,0,z);x 4 m (x,1/2,z);y 4 m (x,y,0);z 4 m (x,y,1/2);A 8 1 (x,y,z)"},
    {62, "a 4 -1 (0,0,0);b 4 -1 (0,0,1/2);c 4 m (x,1/4,z);d 8 1 (x,y,z)"},
    {191, "a 1 6/mmm (0,0,0);b 1 6/mmm (0,0,1/2);c 2 -6m2 (1/3,2/3,0);d 2 -6m2 (1/3,2/3,1/2);e 2 6mm (0,0,z);"
          "f 3 mmm (1/2,0,0);g 3 mmm (1/2,0,1/2);h 4 3m (1/3,2/3,z);"
          "i 6 mm2 (1/2,0,z);j 6 mm2 (x,0,0);k 6 mm2 (x,0,1/2);l 6 mm2 (x,2x,0);m 6 mm2 (x,2x,1/2);"
          "n 12 m (x,0,z);o 12 m (x,2x,z);p 12 m (x,y,0);q 12 m (x,y,1/2);r 24 1 (x,y,z)"},
    {227, "a 8 -43m (0,0,0);b 8 -43m (1/2,1/2,1/2);c 16 -3m (1/8,1/8,1/8);d 16 -3m (5/8,5/8,5/8);"
          "e 32 3m (x,x,x);f 48 mm2 (x,0,0);g 96 m (x,x,z);h 96 2 (1/8,y,-y+1/4);i 192 1 (x,y,z)"},
};

int main(void)
{
    for (size_t g = 0; g < sizeof by_hand / sizeof by_hand[0]; g++) {
        const xs_synth_wyckoff_set *w;
        xs_error err = {0};
        if (xs_synth_wyckoff(by_hand[g].sg, &w, &err) != XS_OK) {
            CHECK(0, "space group %d: %s", by_hand[g].sg, err.message);
            continue;
        }
        char expected[2048];
        snprintf(expected, sizeof expected, "%s", by_hand[g].positions);
        int i = 0;
        for (char *item = strtok(expected, ";"); item; item = strtok(NULL, ";"), i++) {
            const xs_synth_wyckoff_position *q = xs_synth_wyckoff_get(w, i);
            if (!q) break;
            char got[128], rep[64];
            xs_synth_wyckoff_format(q, 0, rep, sizeof rep);
            snprintf(got, sizeof got, "%c %d %s (%s)", q->letter, q->multiplicity, q->site_symmetry, rep);
            CHECK(!strcmp(got, item), "group %d position %d: computed \"%s\", ITA \"%s\"", by_hand[g].sg, i, got,
                  item);
        }
        CHECK(i == xs_synth_wyckoff_count(w), "group %d: %d positions by hand, %d computed", by_hand[g].sg, i,
              xs_synth_wyckoff_count(w));
    }
    return xs_test_finish();
}
