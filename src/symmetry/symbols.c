/* H-M and Hall symbols -> spglib Hall numbers (1..530).
 *
 * Every Hall number of spglib's database gets a few lookup keys: its short H-M symbol ("P2_1/c"), its full
 * symbol ("P 1 2_1/c 1"), each '='-separated part of spglib's `international` ("C 2/c = A 1 1 2/n"), the
 * abbreviated monoclinic form of a full symbol with two 1s ("P 1 2_1/a 1" -> "P 2_1/a"), and for the five
 * groups with an e (double) glide the older spellings with a, b or c in its place ("Cmce" -> "Cmca",
 * "Cmcb"; checked: none of these collides with another group's key). A key is normalised by dropping
 * blanks and underscores, folding case and writing an old trailing bar before its digit ("P1-" -> "p-1").
 *
 * A symbol given without origin choice or rhombohedral axes matches several Hall numbers; the first of
 * them is returned, which is spglib's default: origin choice 1 and hexagonal axes, the setting the
 * International Tables list first. (CIF readers that have coordinates can do better, see
 * xs_sym_hall_alternatives.) The choice may be written ":2", ":H", " H", "origin choice 2", "(hexagonal
 * axes)", or, as the ICSD does, a trailing " S" (origin choice 1) or " Z" (origin choice 2, at the centre).
 * Old spellings without bars ("Fm3m", "Pm3") are accepted when dropping all bars leaves one group.
 * A string no H-M symbol matches is tried as a Hall symbol ("-P 2ybc"), compared with blanks collapsed and
 * case folded. */
#include <stdlib.h>

#include "symmetry/symbols.h"
#include "xrdsym/xs_symmetry.h"

#include <ctype.h>
#include <pthread.h>
#include <spglib.h>
#include <stdio.h>
#include <string.h>

#define N_HALL 530
#define MAX_KEYS 12
#define KEY_LEN 40

typedef struct {
    int number;
    char choice[8];
    char full[24];
    char hall[24];              /* normalised Hall symbol */
    int n_keys;
    char keys[MAX_KEYS][KEY_LEN];
} hall_entry;

static hall_entry g_tab[N_HALL + 1];
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

/* Normalised H-M key: no blanks or underscores, lower case, "3-" -> "-3". */
static void norm_hm(const char *s, char *out, size_t size)
{
    size_t n = 0;
    for (; *s && n + 1 < size; s++) {
        unsigned char c = (unsigned char)*s;
        if (isspace(c) || c == '_' || c == '(' || c == ')') continue; /* "P2(1)/c": SHELX's screw axes */
        out[n++] = (char)tolower(c);
    }
    out[n] = '\0';
    /* An old-style bar written after its digit ("P1-", "Fm3-m"): a '-' after a digit and not before one. */
    for (size_t i = 1; i < n; i++) {
        if (out[i] == '-' && isdigit((unsigned char)out[i - 1]) && !isdigit((unsigned char)out[i + 1]) &&
            (i < 2 || out[i - 2] != '-')) {
            out[i] = out[i - 1];
            out[i - 1] = '-';
        }
    }
}

static void norm_hall(const char *s, char *out, size_t size)
{
    size_t n = 0;
    int space = 0;
    while (*s && isspace((unsigned char)*s)) s++;
    for (; *s && n + 1 < size; s++) {
        unsigned char c = (unsigned char)*s;
        if (isspace(c)) {
            space = 1;
            continue;
        }
        if (space && n > 0 && n + 2 < size) out[n++] = ' ';
        space = 0;
        out[n++] = (char)tolower(c);
    }
    out[n] = '\0';
}

static void add_key(hall_entry *e, const char *raw)
{
    char key[KEY_LEN];
    norm_hm(raw, key, sizeof key);
    if (!key[0] || e->n_keys >= MAX_KEYS) return;
    for (int i = 0; i < e->n_keys; i++)
        if (strcmp(e->keys[i], key) == 0) return;
    strcpy(e->keys[e->n_keys++], key);
}

/* "P 1 2_1/a 1" -> "P 2_1/a" (two of the three axis positions are 1). */
static void add_abbreviated(hall_entry *e, const char *full)
{
    char buf[64], *tok[8];
    int nt = 0;
    snprintf(buf, sizeof buf, "%s", full);
    char *save = NULL;
    for (char *p = strtok_r(buf, " ", &save); p && nt < 8; p = strtok_r(NULL, " ", &save)) tok[nt++] = p;
    if (nt != 4) return;
    int ones = 0, other = -1;
    for (int i = 1; i < 4; i++) {
        if (strcmp(tok[i], "1") == 0) ones++;
        else other = i;
    }
    if (ones != 2 || other < 0) return;
    char ab[64];
    snprintf(ab, sizeof ab, "%s %s", tok[0], tok[other]);
    add_key(e, ab);
}

static void init_table(void)
{
    for (int h = 1; h <= N_HALL; h++) {
        SpglibSpacegroupType t = spg_get_spacegroup_type(h);
        hall_entry *e = &g_tab[h];
        memset(e, 0, sizeof *e);
        e->number = t.number;
        snprintf(e->choice, sizeof e->choice, "%s", t.choice);
        snprintf(e->full, sizeof e->full, "%s", t.international_full);
        norm_hall(t.hall_symbol, e->hall, sizeof e->hall);
        add_key(e, t.international_short);
        add_key(e, t.international_full);
        add_abbreviated(e, t.international_full);
        char buf[64];
        snprintf(buf, sizeof buf, "%s", t.international);
        char *save = NULL;
        for (char *p = strtok_r(buf, "=", &save); p; p = strtok_r(NULL, "=", &save)) {
            while (*p == ' ') p++;
            char part[40];
            snprintf(part, sizeof part, "%s", p);
            size_t l = strlen(part);
            while (l && part[l - 1] == ' ') part[--l] = '\0';
            add_key(e, part);
            add_abbreviated(e, part);
        }
        /* Old spellings of the e-glide groups (39, 41, 64, 67, 68): e -> a, b, c. */
        int n0 = e->n_keys;
        for (int k = 0; k < n0; k++) {
            if (!strchr(e->keys[k] + 1, 'e')) continue;
            for (const char *c = "abc"; *c; c++) {
                char v[KEY_LEN];
                strcpy(v, e->keys[k]);
                for (char *p = v + 1; *p; p++)
                    if (*p == 'e') *p = *c;
                add_key(e, v);
            }
        }
    }
}

static int has_key(const hall_entry *e, const char *key)
{
    for (int i = 0; i < e->n_keys; i++)
        if (strcmp(e->keys[i], key) == 0) return 1;
    return 0;
}

/* Lower case, blanks removed. */
static void strip_blanks(const char *s, char *out, size_t size)
{
    size_t n = 0;
    for (; *s && n + 1 < size; s++)
        if (!isspace((unsigned char)*s)) out[n++] = (char)tolower((unsigned char)*s);
    out[n] = '\0';
}

/* Key with every bar removed. */
static void strip_bars(const char *key, char *out, size_t size)
{
    size_t n = 0;
    for (; *key && n + 1 < size; key++)
        if (*key != '-') out[n++] = *key;
    out[n] = '\0';
}

static int choice_matches(const char *have, const char *want)
{
    if (!want[0]) return 1;
    if (strcasecmp(have, want) == 0) return 1;
    /* "1" or "2" alone selects the origin of settings such as "1cab" whose axes the symbol fixed. */
    if (!want[1] && isdigit((unsigned char)want[0]) && have[0] == want[0]) return 1;
    return 0;
}

/* Split "Fd-3m:2", "R -3 m H", "F d -3 m Z", "Fd-3m origin choice 2" into symbol and choice. */
static void split_choice(const char *in, char *sym, size_t sym_size, char *choice, size_t choice_size)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", in);
    choice[0] = '\0';
    char low[128];
    for (size_t i = 0; i <= strlen(buf); i++) low[i] = (char)tolower((unsigned char)buf[i]);

    char *p;
    if ((p = strstr(low, "origin")) != NULL) {
        char *d = p;
        while (*d && !isdigit((unsigned char)*d)) d++;
        if (*d) snprintf(choice, choice_size, "%c", *d);
        buf[p - low] = '\0';
    } else if ((p = strstr(low, "hexagonal")) != NULL || (p = strstr(low, "rhombohedral")) != NULL) {
        snprintf(choice, choice_size, "%s", *p == 'h' ? "H" : "R");
        buf[p - low] = '\0';
    } else if ((p = strchr(buf, ':')) != NULL) {
        *p = '\0';
        char *c = p + 1;
        while (isspace((unsigned char)*c)) c++;
        snprintf(choice, choice_size, "%s", c);
        size_t l = strlen(choice);
        while (l && isspace((unsigned char)choice[l - 1])) choice[--l] = '\0';
    } else {
        /* A trailing single H, R, S or Z after a blank (ICSD and many CIFs). */
        size_t l = strlen(buf);
        while (l && isspace((unsigned char)buf[l - 1])) buf[--l] = '\0';
        if (l >= 3 && strchr("HRSZ", buf[l - 1]) && isspace((unsigned char)buf[l - 2])) {
            snprintf(choice, choice_size, "%c", buf[l - 1]);
            buf[l - 1] = '\0';
        }
    }
    /* Leftover brackets or commas from "(origin choice 2)" or "Fd-3m, origin 2". */
    size_t l = strlen(buf);
    while (l && (isspace((unsigned char)buf[l - 1]) || buf[l - 1] == '(' || buf[l - 1] == ',' ||
                 buf[l - 1] == ';'))
        buf[--l] = '\0';
    if (strcmp(choice, "S") == 0 || strcmp(choice, "s") == 0) strcpy(choice, "1");
    if (strcmp(choice, "Z") == 0 || strcmp(choice, "z") == 0) strcpy(choice, "2");
    if (strcmp(choice, "h") == 0) strcpy(choice, "H");
    if (strcmp(choice, "r") == 0) strcpy(choice, "R");
    snprintf(sym, sym_size, "%s", buf);
}

/* All Hall numbers matching the symbol, in Hall order; returns the count (all of them, even past max). */
static int match_all(const char *symbol, int *out, int max)
{
    pthread_once(&g_once, init_table);
    if (!symbol) return 0;
    char sym[128], choice[16], key[KEY_LEN];
    split_choice(symbol, sym, sizeof sym, choice, sizeof choice);
    norm_hm(sym, key, sizeof key);
    int n = 0;
    if (key[0]) {
        for (int h = 1; h <= N_HALL; h++)
            if (has_key(&g_tab[h], key) && choice_matches(g_tab[h].choice, choice)) {
                if (n < max) out[n] = h;
                n++;
            }
        if (n == 0 && !strchr(key, '-')) {
            /* Old spelling without bars: accept when every match is the same group. A symbol with a bar is
             * not one ("P -6 2" is the Hall symbol of P-6m2, not P6_2). */
            char nb[KEY_LEN], kb[KEY_LEN];
            strip_bars(key, nb, sizeof nb);
            int number = 0, ok = 1;
            for (int h = 1; h <= N_HALL && ok; h++) {
                const hall_entry *e = &g_tab[h];
                int hit = 0;
                for (int k = 0; k < e->n_keys && !hit; k++) {
                    strip_bars(e->keys[k], kb, sizeof kb);
                    hit = strcmp(kb, nb) == 0;
                }
                if (!hit) continue;
                if (number && number != e->number) ok = 0;
                number = e->number;
                if (choice_matches(e->choice, choice)) {
                    if (n < max) out[n] = h;
                    n++;
                }
            }
            if (!ok) n = 0;
        }
    }
    if (n == 0) {
        char hall[64];
        norm_hall(symbol, hall, sizeof hall);
        if (hall[0])
            for (int h = 1; h <= N_HALL; h++)
                if (strcmp(g_tab[h].hall, hall) == 0) {
                    if (n < max) out[n] = h;
                    n++;
                    break; /* a Hall symbol names one setting (some appear twice, e.g. Ccce 1 / 1ba-c) */
                }
    }
    if (n == 0) {
        /* A Hall symbol written without its blanks ("-P2ybc"): accepted where it names one group's setting */
        char bare[64], other[64];
        strip_blanks(symbol, bare, sizeof bare);
        int found = 0, unique = 1;
        for (int h = 1; h <= N_HALL && bare[0]; h++) {
            strip_blanks(g_tab[h].hall, other, sizeof other);
            if (strcmp(other, bare) != 0) continue;
            if (found && strcmp(g_tab[h].hall, g_tab[found].hall) != 0) unique = 0;
            if (!found) found = h;
        }
        if (found && unique) {
            if (max > 0) out[0] = found;
            n = 1;
        }
    }
    return n;
}

int xs_sym_hall_from_symbol(const char *symbol)
{
    int h[N_HALL];
    return match_all(symbol, h, N_HALL) > 0 ? h[0] : 0;
}

int xs_sym_number_from_text(const char *text)
{
    if (!text) return 0;
    char *end;
    long v = strtol(text, &end, 10);
    if (end != text) {
        while (*end == ' ' || *end == '\t') end++;
        return !*end && v >= 1 && v <= 230 ? (int)v : 0;
    }
    int hall = xs_sym_hall_from_symbol(text);
    xs_spacegroup sg;
    return hall > 0 && xs_sym_from_hall(hall, &sg, NULL) == XS_OK ? sg.number : 0;
}

int xs_sym_hall_alternatives(const char *symbol, int *halls, int max)
{
    int h[N_HALL];
    int n = match_all(symbol, h, N_HALL);
    if (n <= 0) return 0;
    if (n > N_HALL) n = N_HALL;
    /* Keep the settings that differ from the first only by origin or axes choice: same group, same full
     * symbol (a monoclinic "P21/c" also matches its c-unique settings, which the cell tells apart). */
    const hall_entry *first = &g_tab[h[0]];
    int m = 0;
    for (int i = 0; i < n; i++) {
        const hall_entry *e = &g_tab[h[i]];
        if (e->number != first->number || strcmp(e->full, first->full) != 0) continue;
        if (m < max) halls[m] = h[i];
        m++;
    }
    return m < max ? m : max;
}
