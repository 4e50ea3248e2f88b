/* xrdsym dataset: HDF5 files of peak lists, from random crystals (synth) or from structure files. */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/rng.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: xrdsym dataset synth (--per-group N | --count N) [--groups LIST] --seed S --out FILE.h5 [options]\n"
            "       xrdsym dataset structures FILE... --out FILE.h5 [options]\n"
            "  peaks (Cu K-alpha, 2theta 5..90 deg, Waasmaier-Kirfel form factors) of random crystals of the\n"
            "  chosen space groups, or of structure files (CIF, POSCAR; space group found by spglib), written\n"
            "  as one HDF5 file with a train/validation/test split, duplicates removed.\n"
            "  --per-group N      N crystals of every group in LIST\n"
            "  --count N          N crystals, groups drawn uniformly from LIST\n"
            "  --groups LIST      e.g. 1-230 (default), 14,62,225 or 195-230\n"
            "  --seed S           seed of every random choice (crystals and split)\n"
            "  --prior FILE       Wyckoff-occupation counts (spg,n_atoms,wps,count); default\n"
            "                     $XS_SHARED_DATA or ../shared/data symmetry/mp_wyckoff_occupation_counts.csv\n"
            "                     when present\n"
            "  --no-prior         the built-in occupation distribution\n"
            "  --max-atoms N      atoms per conventional cell at most (default 64)\n"
            "  --axis-log-sd S    cell shapes: ln of each axis length normal with this sd (0.5: axis ratios of\n"
            "                     real structures); default 0, uniform in [-0.5, 0.5] (ratios at most e)\n"
            "  --atoms-power G    the prior's occupations drawn with weight count x atoms^G (default 0: as\n"
            "                     often as among the Materials Project's structures; > 0: larger cells)\n"
            "  --max-sites N      occupied Wyckoff positions at most (default 8)\n"
            "  --anion-prob P     chemistry: with probability P the first species is an anion former (O, F,\n"
            "                     Cl, Br, I, S, Se, Te, N) on about 45..85%% of the atoms (0.7: crystals\n"
            "                     near the COD's inorganic formulas); default 0, every species alike\n"
            "  --texture RMIN RMAX  preferred orientation in every crystal's peaks: a March-Dollase ratio r,\n"
            "                     ln r uniform in [ln RMIN, ln RMAX] (0.1..10), about one of the 13 directions\n"
            "                     <100>, <110>, <111> of the reciprocal lattice, drawn per crystal from --seed\n"
            "                     (structures: per structure, in the order read); the crystals stay the same,\n"
            "                     but duplicates among them may not, and with them the split\n"
            "  --verify spglib|direct  confirm each group with spglib (default) or the direct check only\n"
            "  --threads T        worker threads (default 2); the file does not depend on T\n"
            "  --val F --test F   split fractions (default 0.1 and 0.1)\n"
            "  --symprec TOL      structures: spglib tolerance in angstrom (default %g)\n"
            "  --chunk N          synth: every N crystals the finished ones are kept in FILE.h5.partK files\n"
            "                     (default 16384); an interrupted run started again with the same options\n"
            "                     resumes after the last one, and the result is the file of a straight run\n"
            "  --inorganic        structures: leave out those with carbon and hydrogen (organic, metal-organic)\n"
            "  --exclude-like F.h5  structures: leave out those of the space group and elements of a crystal of\n"
            "                     F.h5 (keeps a test set apart from training; up to 8 times)\n"
            "  --variants N       structures: after each structure, N isostructural relatives (every fractional\n"
            "                     coordinate kept; the cell strained within its point group; each element,\n"
            "                     with the probability of --substitute, swapped for a chemical neighbour;\n"
            "                     drawn from --seed); a relative whose group spglib finds changed, or that\n"
            "                     --exclude-like matches, is left out and counted\n"
            "  --strain SD        sd of the relatives' strain components (default 0.03)\n"
            "  --substitute P     probability that a relative's element is swapped (default 0.5)\n"
            "  --quiet            no progress bar\n",
            XS_SYMPREC_DEFAULT);
}

static volatile sig_atomic_t g_interrupted;
static void on_signal(int sig)
{
    (void)sig;
    g_interrupted = 1;
}

static int parse_groups(const char *text, char *want /* [231] */)
{
    memset(want, 0, 231);
    const char *p = text;
    while (*p) {
        char *end;
        long a = strtol(p, &end, 10), b = a;
        if (end == p) return 0;
        p = end;
        if (*p == '-') {
            b = strtol(p + 1, &end, 10);
            if (end == p + 1) return 0;
            p = end;
        }
        if (a < 1 || b > 230 || a > b) return 0;
        for (long g = a; g <= b; g++) want[g] = 1;
        if (*p == ',') p++;
        else if (*p) return 0;
    }
    return 1;
}

/* ---- progress ---- */

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* done of total, `base` of them done before t0 (a resumed run) */
static void progress(size_t done, size_t base, size_t total, double t0, int final)
{
    double el = now_s() - t0, rate = el > 0 ? (double)(done - base) / el : 0;
    double eta = rate > 0 ? (double)(total - done) / rate : 0;
    int width = 30, fill = total ? (int)((double)width * (double)done / (double)total) : width;
    char bar[64];
    for (int i = 0; i < width; i++) bar[i] = i < fill ? '=' : ' ';
    bar[width] = 0;
    fprintf(stderr, "\r[%s] %zu/%zu  %.0f/s  %s %dm%02ds ", bar, done, total, rate, final ? "took" : "ETA",
            (int)(final ? el : eta) / 60, (int)(final ? el : eta) % 60);
    if (final) fputc('\n', stderr);
    fflush(stderr);
}

/* ---- synth ---- */

typedef struct {
    int sg;
    int status; /* 0 pending, 1 ok, 2 failed */
    double params[6];
    int n_atoms;
    char formula[128];
    size_t n_peaks;
    double *tt, *in;
    char error[300];
} item;

/* Crystals in flight at most: workers run ahead of the writer by this many, so memory does not grow with
 * the size of the dataset (beyond what the writer itself keeps). */
#define WINDOW 4096

typedef struct {
    item *slots; /* crystal i lives in slots[i % WINDOW] until the writer has taken it */
    size_t n, written;
    const int *groups;
    int n_groups;
    size_t per_group;
    atomic_size_t next;
    const xs_synth_options *opt;
    const xs_xrd_options *xrd;
    uint64_t seed;
    double texture[2]; /* March-Dollase ratios drawn in [texture[0], texture[1]]; 0 0: none */
    pthread_mutex_t lock;
    pthread_cond_t cond;
} job;

/* Group of crystal i: by blocks for --per-group, else from its own stream (so that it depends on nothing
 * else). */
static int group_of(const job *j, size_t i)
{
    if (j->per_group) return j->groups[i / j->per_group];
    xs_rng r;
    xs_rng_seed(&r, j->seed ^ 0x6772707321ull, i);
    return j->groups[xs_rng_below(&r, (uint64_t)j->n_groups)];
}

/* Preferred orientation of crystal (or structure) i: from its own stream, so that the crystal itself and
 * every other choice are those of a run without it. The axes are the 13 reciprocal-lattice directions with
 * components in {-1, 0, 1} (one of each +- pair): plates and needles of common habits. */
static void draw_texture(const double range[2], uint64_t seed, size_t i, xs_xrd_options *x)
{
    if (!(range[1] > 0)) return;
    static const signed char axes[13][3] = {{1, 0, 0},  {0, 1, 0},  {0, 0, 1},  {1, 1, 0},  {1, -1, 0}, {1, 0, 1}, {1, 0, -1},
                                            {0, 1, 1},  {0, 1, -1}, {1, 1, 1},  {1, 1, -1}, {1, -1, 1}, {-1, 1, 1}};
    xs_rng r;
    xs_rng_seed(&r, seed ^ 0x7465787475726500ull, i);
    const signed char *a = axes[xs_rng_below(&r, 13)];
    for (int m = 0; m < 3; m++) x->preferred_axis[m] = a[m];
    x->march_dollase_r = exp(xs_rng_range(&r, log(range[0]), log(range[1])));
}

static void make_item(job *j, size_t i)
{
    item *it = &j->slots[i % WINDOW]; /* zeroed by the writer when it took crystal i - WINDOW */
    it->sg = group_of(j, i);
    xs_structure *s;
    xs_error err = {0};
    xs_peaks *pk = NULL;
    int status = 2;
    if (xs_synth_crystal(it->sg, j->opt, j->seed, i, &s, &err) == XS_OK) {
        xs_xrd_options xrd = *j->xrd;
        draw_texture(j->texture, j->seed, i, &xrd);
        if (xs_xrd_peaks(s, &xrd, &pk, &err) == XS_OK && xs_peaks_count(pk) > 0) {
            size_t n = xs_peaks_count(pk);
            it->tt = malloc(n * sizeof *it->tt);
            it->in = malloc(n * sizeof *it->in);
            if (it->tt && it->in) {
                for (size_t k = 0; k < n; k++) {
                    it->tt[k] = xs_peaks_get(pk, k)->two_theta;
                    it->in[k] = xs_peaks_get(pk, k)->intensity;
                }
                it->n_peaks = n;
                status = 1;
            }
        } else if (!err.message[0]) {
            snprintf(err.message, sizeof err.message, "no peak in range");
        }
        double lat[3][3];
        xs_structure_lattice(s, lat);
        xs_lattice_parameters(lat, it->params);
        it->n_atoms = (int)xs_structure_num_sites(s);
        xs_structure_formula(s, it->formula, sizeof it->formula);
        xs_peaks_free(pk);
        xs_structure_free(s);
    }
    if (status != 1) snprintf(it->error, sizeof it->error, "%.255s", err.message);
    pthread_mutex_lock(&j->lock);
    it->status = status;
    pthread_cond_broadcast(&j->cond);
    pthread_mutex_unlock(&j->lock);
}

static void *worker(void *arg)
{
    job *j = arg;
    for (;;) {
        if (g_interrupted) break;
        size_t i = atomic_fetch_add(&j->next, 1);
        if (i >= j->n) break;
        pthread_mutex_lock(&j->lock);
        while (i >= j->written + WINDOW && !g_interrupted) pthread_cond_wait(&j->cond, &j->lock);
        pthread_mutex_unlock(&j->lock);
        if (g_interrupted) break;
        make_item(j, i);
    }
    return NULL;
}

typedef struct {
    const char *out, *prior_path;
    const char *identity; /* synth: the options the crystals depend on (resume only with the same) */
    uint64_t seed;
    size_t chunk;
    int has_seed, threads, quiet, no_prior;
    double frac_val, frac_test, symprec;
    xs_synth_options synth;
    /* structures: leave out organic ones (carbon with hydrogen), and those of the space group and elements of
     * a crystal of the exclude_like datasets (test sets kept apart from training) */
    int inorganic;
    const char *exclude_like[8];
    int n_exclude_like;
    double texture[2]; /* --texture RMIN RMAX; 0 0: none */
    /* structures: isostructural relatives written after each structure (--variants N, --strain, --substitute) */
    int variants;
    xs_synth_variant_options variant;
} common_opts;

static xs_status open_writer(const common_opts *c, const char *generator, xs_dataset_writer **w, xs_error *err)
{
    double wl;
    xs_status st = xs_xrd_wavelength("CuKa", &wl, err);
    if (st) return st;
    return xs_dataset_writer_create(c->out, wl, 5.0, 90.0, generator, w, err);
}

static int close_writer(const common_opts *c, xs_dataset_writer *w, size_t failed)
{
    xs_error err = {0};
    size_t added = xs_dataset_writer_count(w), kept = 0;
    if (xs_dataset_writer_close_ex(w, c->seed, c->frac_val, c->frac_test, &kept, &err)) {
        xs_cli_print_error(&err);
        return 1;
    }
    fprintf(stderr, "xrdsym dataset: %zu crystals written to %s (%zu duplicates removed, %zu failed)\n", kept, c->out,
            added - kept, failed);
    return 0;
}

static void default_prior_path(char *buf, size_t size)
{
    const char *root = getenv("XS_SHARED_DATA");
    snprintf(buf, size, "%s/symmetry/mp_wyckoff_occupation_counts.csv", root ? root : "../shared/data");
    if (access(buf, R_OK) != 0) buf[0] = 0;
}

/* ---- resume: the crystals [k chunk, (k + 1) chunk) in OUT.partK, a dataset file written when they are all
 * made, its generator attribute "IDENTITY; crystals A..B". A part file keeps duplicates and every crystal in
 * the train split; re-added in order, they give the writer exactly the entries of a straight run (peaks are
 * stored as float and come back unchanged), so the final file is the same. */

static void part_path(const common_opts *c, size_t k, char *buf, size_t size)
{
    snprintf(buf, size, "%s.part%zu", c->out, k);
}

static void part_generator(const common_opts *c, size_t a, size_t b, char *buf, size_t size)
{
    snprintf(buf, size, "%s; crystals %zu..%zu", c->identity, a, b);
}

/* Adds the crystals of the finished parts to w; returns the first crystal still to make, and adds the
 * failed ones of the parts to *failed. A part that is absent, unreadable or of other options ends the scan. */
static size_t resume_parts(const common_opts *c, size_t n, xs_dataset_writer *w, size_t *failed)
{
    size_t start = 0;
    double *tt = NULL, *in = NULL;
    size_t cap = 0;
    for (size_t k = 0; (k + 1) * c->chunk < n; k++) {
        char path[4096], want[4096];
        part_path(c, k, path, sizeof path);
        if (access(path, F_OK) != 0) break;
        xs_dataset *pd = NULL;
        xs_error err = {0};
        if (xs_dataset_open(path, &pd, &err)) {
            fprintf(stderr, "xrdsym dataset: %s cannot be read (%s); made again\n", path, err.message);
            break;
        }
        part_generator(c, k * c->chunk, (k + 1) * c->chunk, want, sizeof want);
        if (strcmp(xs_dataset_generator(pd), want)) {
            fprintf(stderr, "xrdsym dataset: %s is of other options; made again\n", path);
            xs_dataset_free(pd);
            break;
        }
        size_t m = xs_dataset_count(pd);
        int ok = m <= c->chunk;
        for (size_t i = 0; ok && i < m; i++) {
            const float *ft, *fi;
            size_t np = xs_dataset_peaks(pd, i, &ft, &fi);
            if (np > cap) {
                double *t2 = realloc(tt, np * sizeof *tt), *i2 = realloc(in, np * sizeof *in);
                if (t2) tt = t2;
                if (i2) in = i2;
                ok = t2 && i2;
                if (!ok) break;
                cap = np;
            }
            for (size_t q = 0; q < np; q++) tt[q] = ft[q], in[q] = fi[q];
            xs_dataset_entry e = {.space_group = xs_dataset_space_group(pd, i), .formula = xs_dataset_formula(pd, i),
                                  .n_atoms = xs_dataset_n_atoms(pd, i), .source = xs_dataset_source(pd, i),
                                  .n_peaks = np, .two_theta = tt, .intensity = in};
            memcpy(e.lattice_params, xs_dataset_lattice(pd, i), sizeof e.lattice_params);
            ok = xs_dataset_writer_add(w, &e, &err) == XS_OK;
        }
        xs_dataset_free(pd);
        if (!ok) { /* the writer now holds part of this file: nothing can be resumed cleanly */
            fprintf(stderr, "xrdsym dataset: %s could not be taken in (%s)\n", path, err.message[0] ? err.message : "out of memory");
            start = (size_t)-1;
            break;
        }
        *failed += c->chunk - m;
        start = (k + 1) * c->chunk;
    }
    free(tt);
    free(in);
    return start;
}

static void remove_parts(const common_opts *c)
{
    char path[4096];
    for (size_t k = 0;; k++) {
        part_path(c, k, path, sizeof path);
        if (unlink(path) != 0) break;
    }
}

static int run_synth(common_opts *c, size_t per_group, size_t count, const char *groups_text, const char *cmdline)
{
    char want[231];
    if (!parse_groups(groups_text, want)) {
        fprintf(stderr, "xrdsym dataset: --groups '%s' is not a list such as 1-230 or 14,62,225\n", groups_text);
        return 2;
    }
    int list[230], n_groups = 0;
    for (int g = 1; g <= 230; g++)
        if (want[g]) list[n_groups++] = g;
    size_t n = per_group ? per_group * (size_t)n_groups : count;
    item *items = calloc(WINDOW, sizeof *items);
    if (!items) {
        fprintf(stderr, "xrdsym dataset: out of memory\n");
        return 1;
    }
    xs_synth_wyckoff_prior *prior = NULL;
    char ppath[1024];
    xs_error err = {0};
    if (!c->no_prior) {
        if (c->prior_path) snprintf(ppath, sizeof ppath, "%s", c->prior_path);
        else default_prior_path(ppath, sizeof ppath);
        if (ppath[0]) {
            if (xs_synth_wyckoff_prior_load(ppath, &prior, &err)) {
                xs_cli_print_error(&err);
                free(items);
                return 1;
            }
            if (!c->quiet) fprintf(stderr, "xrdsym dataset: Wyckoff occupations from %s\n", ppath);
        } else if (!c->quiet) {
            fprintf(stderr, "xrdsym dataset: no prior file found, built-in Wyckoff occupations\n");
        }
    }
    c->synth.prior = prior;
    xs_dataset_writer *w;
    if (open_writer(c, cmdline, &w, &err)) {
        xs_cli_print_error(&err);
        xs_synth_wyckoff_prior_free(prior);
        free(items);
        return 1;
    }
    xs_xrd_options xrd;
    xs_xrd_options_default(&xrd);
    xrd.wavelength = 0;
    xs_xrd_wavelength("CuKa", &xrd.wavelength, NULL);
    xrd.two_theta_min = 5.0;
    xrd.two_theta_max = 90.0;
    /* Wyckoff sets of the groups are computed here once, not raced for by the workers */
    for (int g = 0; g < n_groups; g++) {
        const xs_synth_wyckoff_set *ws;
        xs_synth_wyckoff(list[g], &ws, NULL);
    }
    size_t failed = 0, start = resume_parts(c, n, w, &failed);
    if (start == (size_t)-1) {
        xs_dataset_writer_abort(w);
        xs_synth_wyckoff_prior_free(prior);
        free(items);
        return 1;
    }
    if (start && !c->quiet)
        fprintf(stderr, "xrdsym dataset: resuming after crystal %zu (kept in %s.part0..%zu)\n", start, c->out,
                start / c->chunk - 1);
    job j = {.slots = items, .n = n, .written = start, .groups = list, .n_groups = n_groups, .per_group = per_group,
             .opt = &c->synth, .xrd = &xrd, .seed = c->seed,
             .texture = {c->texture[0], c->texture[1]}};
    atomic_init(&j.next, start);
    pthread_mutex_init(&j.lock, NULL);
    pthread_cond_init(&j.cond, NULL);
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    int T = c->threads;
    pthread_t tid[64];
    int started = 0;
    for (int t = 0; t < T; t++)
        if (pthread_create(&tid[t], NULL, worker, &j) == 0) started++;
    if (!started) {
        fprintf(stderr, "xrdsym dataset: cannot start a worker thread\n");
        g_interrupted = 1;
    }
    /* entries go to the writer in index order, whatever thread made them, so the file is the same for any
     * number of threads */
    double t0 = now_s(), last = 0;
    int rc = 0;
    /* a test stops the run here, as Ctrl-C would, after this many crystals */
    const char *stop_env = getenv("XRDSYM_TEST_INTERRUPT_AFTER");
    size_t stop_after = stop_env ? (size_t)strtoull(stop_env, NULL, 10) : 0;
    xs_dataset_writer *part = NULL;
    for (size_t i = start; i < n; i++) {
        if (stop_after && i - start == stop_after) raise(SIGINT);
        if (i % c->chunk == 0 && i + c->chunk < n && !part) {
            char path[4096], gen[4096];
            part_path(c, i / c->chunk, path, sizeof path);
            part_generator(c, i, i + c->chunk, gen, sizeof gen);
            if (xs_dataset_writer_create(path, xrd.wavelength, 5.0, 90.0, gen, &part, &err)) {
                fprintf(stderr, "\nxrdsym dataset: %s (this run cannot be resumed from there)\n", err.message);
                part = NULL;
            } else {
                xs_dataset_writer_keep_duplicates(part, 1);
            }
        }
        item *it = &items[i % WINDOW];
        pthread_mutex_lock(&j.lock);
        while (!it->status && !g_interrupted) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 200000000L;
            if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
            pthread_cond_timedwait(&j.cond, &j.lock, &ts);
        }
        pthread_mutex_unlock(&j.lock);
        if (g_interrupted) break;
        if (it->status == 1) {
            char source[96];
            snprintf(source, sizeof source, "synth:seed=%llu,index=%zu", (unsigned long long)c->seed, i);
            xs_dataset_entry e = {.space_group = it->sg, .formula = it->formula, .n_atoms = it->n_atoms,
                                  .source = source, .n_peaks = it->n_peaks, .two_theta = it->tt, .intensity = it->in};
            memcpy(e.lattice_params, it->params, sizeof e.lattice_params);
            if (xs_dataset_writer_add(w, &e, &err)) {
                fprintf(stderr, "\nxrdsym dataset: crystal %zu (group %d): %s\n", i, it->sg, err.message);
                failed++;
            } else if (part && xs_dataset_writer_add(part, &e, &err)) {
                fprintf(stderr, "\nxrdsym dataset: %s (crystals %zu.. cannot be resumed from a part)\n", err.message,
                        i / c->chunk * c->chunk);
                xs_dataset_writer_abort(part);
                part = NULL;
            }
        } else {
            fprintf(stderr, "\nxrdsym dataset: crystal %zu (group %d) failed: %s\n", i, it->sg, it->error);
            failed++;
        }
        free(it->tt);
        free(it->in);
        pthread_mutex_lock(&j.lock);
        memset(it, 0, sizeof *it); /* the slot is free for crystal i + WINDOW */
        j.written = i + 1;
        pthread_cond_broadcast(&j.cond);
        pthread_mutex_unlock(&j.lock);
        if (part && (i + 1) % c->chunk == 0) {
            if (xs_dataset_writer_close_ex(part, 0, 0, 0, NULL, &err))
                fprintf(stderr, "\nxrdsym dataset: %s (this run cannot be resumed from there)\n", err.message);
            part = NULL;
        }
        double t = now_s();
        if (!c->quiet && (t - last > 0.25 || i + 1 == n)) {
            progress(i + 1, start, n, t0, 0);
            last = t;
        }
    }
    pthread_mutex_lock(&j.lock); /* wake workers waiting for room when interrupted */
    pthread_cond_broadcast(&j.cond);
    pthread_mutex_unlock(&j.lock);
    for (int t = 0; t < started; t++) pthread_join(tid[t], NULL);
    if (!c->quiet) progress(g_interrupted ? j.written : n, start, n, t0, 1);
    xs_dataset_writer_abort(part);
    if (g_interrupted) {
        size_t kept = j.written / c->chunk * c->chunk;
        if (kept > start && kept < n)
            fprintf(stderr, "\nxrdsym dataset: interrupted; %s was not written; the first %zu crystals are kept in "
                            "%s.part0..%zu: run the same command again to resume there\n",
                    c->out, kept, c->out, kept / c->chunk - 1);
        else
            fprintf(stderr, "\nxrdsym dataset: interrupted; %s was not written (run the same command again%s)\n", c->out,
                    start ? " to resume where this run started" : "");
        xs_dataset_writer_abort(w);
        rc = 130;
    } else {
        rc = close_writer(c, w, failed);
        if (rc == 0) remove_parts(c);
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    for (size_t i = 0; i < WINDOW; i++) free(items[i].tt), free(items[i].in);
    free(items);
    pthread_mutex_destroy(&j.lock);
    pthread_cond_destroy(&j.cond);
    xs_synth_wyckoff_prior_free(prior);
    return rc;
}

/* ---- structures ---- */

static int compare_symbols(const void *a, const void *b) { return strcmp(a, b); }

/* The elements of a formula ("Al2MgO4", "C8H10Cl2N4Zn"), sorted and each once: "Al Mg O". Tokens that are
 * not element symbols are read as letters all the same: the key only has to be the same for the same set. */
static void element_key(const char *formula, char *key, size_t size)
{
    char sym[64][4];
    int n = 0;
    for (const char *p = formula; *p && n < 64;) {
        if (isupper((unsigned char)*p)) {
            int len = 1;
            if (islower((unsigned char)p[1])) len = 2;
            char e[4] = {p[0], len == 2 ? p[1] : 0, 0, 0};
            int seen = 0;
            for (int k = 0; k < n; k++) seen |= !strcmp(sym[k], e);
            if (!seen) memcpy(sym[n++], e, sizeof e);
            p += len;
        } else {
            p++;
        }
    }
    qsort(sym, (size_t)n, sizeof sym[0], compare_symbols);
    size_t len = 0;
    key[0] = 0;
    for (int k = 0; k < n && len + 4 < size; k++) len += (size_t)snprintf(key + len, size - len, "%s%s", k ? " " : "", sym[k]);
}

static int is_organic(const char *key)
{
    char padded[300];
    snprintf(padded, sizeof padded, " %s ", key);
    return strstr(padded, " C ") && strstr(padded, " H ");
}

/* Space group and element key of every crystal of the --exclude-like datasets. */
typedef struct {
    int *group;
    char (*key)[256];
    size_t n;
} like_set;

static void like_free(like_set *ls)
{
    free(ls->group);
    free(ls->key);
    memset(ls, 0, sizeof *ls);
}

static int load_like(const common_opts *c, like_set *ls)
{
    memset(ls, 0, sizeof *ls);
    for (int f = 0; f < c->n_exclude_like; f++) {
        xs_dataset *d = NULL;
        xs_error err = {0};
        if (xs_dataset_open(c->exclude_like[f], &d, &err) != XS_OK) {
            xs_cli_print_error(&err);
            return 1;
        }
        size_t m = xs_dataset_count(d);
        int *g = realloc(ls->group, (ls->n + m + 1) * sizeof *g);
        if (g) ls->group = g;
        char(*k)[256] = realloc(ls->key, (ls->n + m + 1) * sizeof *k);
        if (k) ls->key = k;
        if (!g || !k) {
            xs_dataset_free(d);
            fprintf(stderr, "xrdsym dataset: out of memory\n");
            return 1;
        }
        for (size_t i = 0; i < m; i++, ls->n++) {
            ls->group[ls->n] = xs_dataset_space_group(d, i);
            element_key(xs_dataset_formula(d, i), ls->key[ls->n], sizeof ls->key[0]);
        }
        xs_dataset_free(d);
    }
    return 0;
}

static int is_like(const like_set *ls, int group, const char *key)
{
    for (size_t i = 0; i < ls->n; i++)
        if (ls->group[i] == group && !strcmp(ls->key[i], key)) return 1;
    return 0;
}

/* Peaks of one structure of group `group` into the dataset; 1 on failure (said on stderr). */
static int add_structure(xs_dataset_writer *w, const xs_structure *s, int group, const char *formula,
                         const xs_xrd_options *xrd, const char *file, int several)
{
    xs_error err = {0};
    xs_peaks *pk = NULL;
    if (xs_xrd_peaks(s, xrd, &pk, &err) || !xs_peaks_count(pk)) {
        fprintf(stderr, "xrdsym dataset: %s [%s]: %s\n", file, xs_structure_name(s), pk ? "no peak in 5..90 deg" : err.message);
        xs_peaks_free(pk);
        return 1;
    }
    size_t np = xs_peaks_count(pk);
    double *tt = malloc(np * sizeof *tt), *in = malloc(np * sizeof *in);
    int failed = 0;
    if (!tt || !in) {
        fprintf(stderr, "xrdsym dataset: out of memory\n");
        failed = 1;
    } else {
        for (size_t i = 0; i < np; i++) tt[i] = xs_peaks_get(pk, i)->two_theta, in[i] = xs_peaks_get(pk, i)->intensity;
        char source[1200];
        snprintf(source, sizeof source, "%s%s%s", file, several ? "#" : "", several ? xs_structure_name(s) : "");
        double lat[3][3];
        xs_dataset_entry e = {.space_group = group, .formula = formula, .n_atoms = (int)xs_structure_num_sites(s),
                              .source = source, .n_peaks = np, .two_theta = tt, .intensity = in};
        xs_structure_lattice(s, lat);
        xs_lattice_parameters(lat, e.lattice_params);
        if (xs_dataset_writer_add(w, &e, &err)) {
            fprintf(stderr, "xrdsym dataset: %s: %s\n", file, err.message);
            failed = 1;
        }
    }
    free(tt);
    free(in);
    xs_peaks_free(pk);
    return failed;
}

/* Structures already given relatives: a structure read twice (the COD holds several files of one mineral)
 * gets its relatives once, or it would weigh twice in the set. Same group and formula, cell lengths within
 * 0.5% and angles within 0.5 deg. */
typedef struct {
    int group;
    char formula[256];
    double params[6];
} related_key;

static int related_before(const related_key *seen, size_t n, const related_key *k)
{
    for (size_t i = 0; i < n; i++) {
        if (seen[i].group != k->group || strcmp(seen[i].formula, k->formula)) continue;
        int same = 1;
        for (int p = 0; p < 6 && same; p++)
            same = p < 3 ? fabs(seen[i].params[p] - k->params[p]) <= 0.005 * k->params[p]
                         : fabs(seen[i].params[p] - k->params[p]) <= 0.5;
        if (same) return 1;
    }
    return 0;
}

static int run_structures(common_opts *c, char **files, int n_files, const char *cmdline)
{
    xs_dataset_writer *w;
    xs_error err = {0};
    like_set like;
    if (load_like(c, &like)) {
        like_free(&like);
        return 1;
    }
    if (open_writer(c, cmdline, &w, &err)) {
        xs_cli_print_error(&err);
        like_free(&like);
        return 1;
    }
    size_t left_organic = 0, left_like = 0, variants_changed = 0, variants_like = 0, variants_failed = 0;
    size_t n_related = 0, related_skipped = 0;
    related_key *related = NULL;
    xs_xrd_options xrd;
    xs_xrd_options_default(&xrd);
    xs_xrd_wavelength("CuKa", &xrd.wavelength, NULL);
    xrd.two_theta_min = 5.0;
    xrd.two_theta_max = 90.0;
    size_t failed = 0, structure_index = 0;
    double t0 = now_s(), last = 0;
    for (int f = 0; f < n_files && !g_interrupted; f++) {
        xs_structure **list;
        size_t n;
        if (xs_cli_read_structures(files[f], &list, &n, &err)) {
            xs_cli_print_error(&err);
            failed++;
            continue;
        }
        for (size_t k = 0; k < n; k++) {
            xs_structure *s = list[k];
            xs_spacegroup sg;
            char formula[256], key[256];
            xs_structure_formula(s, formula, sizeof formula);
            element_key(formula, key, sizeof key);
            xs_xrd_options tex = xrd;
            size_t this_index = structure_index++;
            draw_texture(c->texture, c->seed, this_index, &tex);
            if (xs_sym_find(s, c->symprec, &sg, &err)) {
                fprintf(stderr, "xrdsym dataset: %s [%s]: %s\n", files[f], xs_structure_name(s), err.message);
                failed++;
            } else if (c->inorganic && is_organic(key)) {
                left_organic++;
            } else if (is_like(&like, sg.number, key)) {
                left_like++;
            } else if (add_structure(w, s, sg.number, formula, &tex, files[f], n > 1)) {
                failed++;
            } else if (c->variants) {
                related_key rk = {.group = sg.number};
                double lat[3][3];
                snprintf(rk.formula, sizeof rk.formula, "%s", formula);
                xs_structure_lattice(s, lat);
                xs_lattice_parameters(lat, rk.params);
                if (related_before(related, n_related, &rk)) {
                    related_skipped++;
                    xs_structure_free(s);
                    continue;
                }
                related_key *grown = realloc(related, (n_related + 1) * sizeof *related);
                if (!grown) {
                    fprintf(stderr, "xrdsym dataset: out of memory\n");
                    xs_structure_free(s);
                    failed++;
                    continue;
                }
                related = grown;
                related[n_related++] = rk;
                int rot[48][3][3], n_rot = 0;
                if (xs_sym_cell_rotations(s, c->symprec, rot, 48, &n_rot, &err)) {
                    fprintf(stderr, "xrdsym dataset: %s [%s], relatives: %s\n", files[f], xs_structure_name(s),
                            err.message);
                    variants_failed += (size_t)c->variants;
                }
                /* Relatives: streams of their own after the structure's index, so that adding relatives does
                 * not change the structures or their textures. */
                for (int v = 1; v <= c->variants && n_rot && !g_interrupted; v++) {
                    xs_structure *rel = NULL;
                    xs_spacegroup rsg;
                    char rformula[256], rkey[256];
                    uint64_t stream = ((uint64_t)this_index << 16) + (uint64_t)v;
                    if (xs_synth_variant(s, (const int (*)[3][3])rot, n_rot, &c->variant, c->seed ^ 0x7661726961ULL,
                                         stream, &rel, &err) ||
                        xs_sym_find(rel, c->symprec, &rsg, &err)) {
                        fprintf(stderr, "xrdsym dataset: %s [%s], relative %d: %s\n", files[f], xs_structure_name(s), v,
                                err.message);
                        variants_failed++;
                    } else if (rsg.number != sg.number) {
                        variants_changed++;
                    } else {
                        char rname[300];
                        snprintf(rname, sizeof rname, "%s~v%d", xs_structure_name(s), v);
                        xs_structure_set_name(rel, rname, xs_structure_source(s));
                        xs_structure_formula(rel, rformula, sizeof rformula);
                        element_key(rformula, rkey, sizeof rkey);
                        if (is_like(&like, rsg.number, rkey)) variants_like++;
                        else if (add_structure(w, rel, rsg.number, rformula, &tex, files[f], 1)) variants_failed++;
                    }
                    xs_structure_free(rel);
                }
            }
            xs_structure_free(s);
        }
        free(list);
        double t = now_s();
        if (!c->quiet && (t - last > 0.25 || f + 1 == n_files)) {
            progress((size_t)f + 1, 0, (size_t)n_files, t0, 0);
            last = t;
        }
    }
    if (!c->quiet) progress((size_t)n_files, 0, (size_t)n_files, t0, 1);
    like_free(&like);
    free(related);
    if (c->inorganic || c->n_exclude_like)
        fprintf(stderr, "xrdsym dataset: left out %zu organic structures (--inorganic) and %zu of a space group and elements "
                        "found in --exclude-like\n", left_organic, left_like);
    if (c->variants)
        fprintf(stderr, "xrdsym dataset: relatives left out: %zu of another space group, %zu found in --exclude-like, "
                        "%zu failed; %zu structures read before got none\n", variants_changed, variants_like,
                variants_failed, related_skipped);
    if (g_interrupted) {
        xs_dataset_writer_abort(w);
        fprintf(stderr, "xrdsym dataset: interrupted; %s was not written\n", c->out);
        return 130;
    }
    int rc = close_writer(c, w, failed);
    return rc ? rc : failed ? 1 : 0;
}

/* A fraction of the crystals for a split. */
static int parse_fraction(const char *opt, const char *text, double *v)
{
    if (!xs_cli_parse_double("dataset", opt, text, v)) return 0;
    if (*v >= 0 && *v <= 1) return 1;
    fprintf(stderr, "xrdsym dataset: %s expects a fraction in [0, 1], got '%s'\n", opt, text);
    return 0;
}

int xs_cmd_dataset(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    int synth = !strcmp(argv[1], "synth");
    if (!synth && strcmp(argv[1], "structures")) {
        fprintf(stderr, "xrdsym dataset: the first argument is 'synth' or 'structures', not '%s'\n", argv[1]);
        return 2;
    }
    common_opts c;
    memset(&c, 0, sizeof c);
    c.threads = 2;
    c.frac_val = c.frac_test = 0.1;
    c.symprec = XS_SYMPREC_DEFAULT;
    xs_synth_options_default(&c.synth);
    xs_synth_variant_options_default(&c.variant);
    uint64_t per_group = 0, count = 0, v;
    const char *groups = "1-230";
    char **files = calloc((size_t)argc, sizeof *files);
    int n_files = 0;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        int has = i + 1 < argc;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            free(files);
            return 0;
        } else if (!strcmp(a, "--per-group") && has) {
            if (!xs_cli_parse_u64("dataset", a, argv[++i], &per_group) || !per_group) goto bad;
        } else if (!strcmp(a, "--count") && has) {
            if (!xs_cli_parse_u64("dataset", a, argv[++i], &count) || !count) goto bad;
        } else if (!strcmp(a, "--groups") && has) {
            groups = argv[++i];
        } else if (!strcmp(a, "--seed") && has) {
            if (!xs_cli_parse_u64("dataset", a, argv[++i], &v)) goto bad;
            c.seed = (uint64_t)v;
            c.has_seed = 1;
        } else if (!strcmp(a, "--out") && has) {
            c.out = argv[++i];
        } else if (!strcmp(a, "--prior") && has) {
            c.prior_path = argv[++i];
        } else if (!strcmp(a, "--no-prior")) {
            c.no_prior = 1;
        } else if (!strcmp(a, "--max-atoms") && has) {
            if (!xs_cli_parse_u64("dataset", a, argv[++i], &v) || !xs_cli_require("dataset", a, v >= 1 && v <= 1000, "1..1000", argv[i])) goto bad;
            c.synth.max_atoms = (int)v;
        } else if (!strcmp(a, "--axis-log-sd") && has && synth) {
            if (!xs_cli_parse_double("dataset", a, argv[++i], &c.synth.axis_log_sd) ||
                !(c.synth.axis_log_sd >= 0 && c.synth.axis_log_sd <= 1.5)) {
                fprintf(stderr, "xrdsym dataset: --axis-log-sd is 0..1.5\n");
                goto bad;
            }
        } else if (!strcmp(a, "--atoms-power") && has && synth) {
            if (!xs_cli_parse_double("dataset", a, argv[++i], &c.synth.atoms_power) ||
                !xs_cli_require("dataset", a, c.synth.atoms_power >= 0 && c.synth.atoms_power <= 4, "in [0, 4]", argv[i]))
                goto bad;
        } else if (!strcmp(a, "--max-sites") && has && synth) {
            if (!xs_cli_parse_u64("dataset", a, argv[++i], &v) || !xs_cli_require("dataset", a, v >= 1 && v <= 64, "1..64", argv[i])) goto bad;
            c.synth.max_sites = (int)v;
        } else if (!strcmp(a, "--anion-prob") && has && synth) {
            if (!xs_cli_parse_double("dataset", a, argv[++i], &c.synth.anion_prob) ||
                !xs_cli_require("dataset", a, c.synth.anion_prob >= 0 && c.synth.anion_prob <= 1, "in [0, 1]", argv[i]))
                goto bad;
        } else if (!strcmp(a, "--texture") && i + 2 < argc) {
            if (!xs_cli_parse_double("dataset", a, argv[i + 1], &c.texture[0]) ||
                !xs_cli_parse_double("dataset", a, argv[i + 2], &c.texture[1]) ||
                !(c.texture[0] >= 0.1 && c.texture[0] <= c.texture[1] && c.texture[1] <= 10)) {
                fprintf(stderr, "xrdsym dataset: --texture RMIN RMAX needs 0.1 <= RMIN <= RMAX <= 10\n");
                goto bad;
            }
            i += 2;
        } else if (!strcmp(a, "--verify") && has) {
            i++;
            if (!strcmp(argv[i], "spglib")) c.synth.verify = XS_SYNTH_VERIFY_SPGLIB;
            else if (!strcmp(argv[i], "direct")) c.synth.verify = XS_SYNTH_VERIFY_DIRECT;
            else {
                fprintf(stderr, "xrdsym dataset: --verify is spglib or direct\n");
                goto bad;
            }
        } else if (!strcmp(a, "--threads") && has) {
            if (!xs_cli_parse_u64("dataset", a, argv[++i], &v) || !xs_cli_require("dataset", a, v >= 1 && v <= 64, "1..64", argv[i])) goto bad;
            c.threads = (int)v;
        } else if (!strcmp(a, "--val") && has) {
            if (!parse_fraction(a, argv[++i], &c.frac_val)) goto bad;
        } else if (!strcmp(a, "--test") && has) {
            if (!parse_fraction(a, argv[++i], &c.frac_test)) goto bad;
        } else if (!strcmp(a, "--symprec") && has) {
            if (!xs_cli_parse_double("dataset", a, argv[++i], &c.symprec) ||
                !xs_cli_require("dataset", a, c.symprec > 0 && c.symprec < 1, "above 0 and below 1 (angstrom)", argv[i]))
                goto bad;
        } else if (!strcmp(a, "--chunk") && has) {
            if (!xs_cli_parse_u64("dataset", a, argv[++i], &v) || !xs_cli_require("dataset", a, v >= 1, "at least 1", argv[i])) goto bad;
            c.chunk = (size_t)v;
        } else if (!strcmp(a, "--quiet")) {
            c.quiet = 1;
        } else if (!strcmp(a, "--variants") && has && !synth) {
            if (!xs_cli_parse_u64("dataset", a, argv[++i], &v) || !xs_cli_require("dataset", a, v <= 1000, "0..1000", argv[i])) goto bad;
            c.variants = (int)v;
        } else if (!strcmp(a, "--strain") && has && !synth) {
            if (!xs_cli_parse_double("dataset", a, argv[++i], &c.variant.strain_sd) ||
                !xs_cli_require("dataset", a, c.variant.strain_sd >= 0 && c.variant.strain_sd <= 0.2, "in [0, 0.2]", argv[i]))
                goto bad;
        } else if (!strcmp(a, "--substitute") && has && !synth) {
            if (!xs_cli_parse_double("dataset", a, argv[++i], &c.variant.substitute_prob) ||
                !xs_cli_require("dataset", a, c.variant.substitute_prob >= 0 && c.variant.substitute_prob <= 1, "in [0, 1]", argv[i]))
                goto bad;
        } else if (!strcmp(a, "--inorganic") && !synth) {
            c.inorganic = 1;
        } else if (!strcmp(a, "--exclude-like") && has && !synth) {
            if (c.n_exclude_like == 8) {
                fprintf(stderr, "xrdsym dataset: --exclude-like at most 8 times\n");
                goto bad;
            }
            c.exclude_like[c.n_exclude_like++] = argv[++i];
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "xrdsym dataset: unknown option %s (or it lacks its value)\n", a);
            goto bad;
        } else if (!synth) {
            files[n_files++] = argv[i];
        } else {
            fprintf(stderr, "xrdsym dataset synth: unexpected argument '%s'\n", a);
            goto bad;
        }
    }
    if (!c.out) {
        fprintf(stderr, "xrdsym dataset: --out FILE.h5 is required\n");
        goto bad;
    }
    if (c.frac_val + c.frac_test > 1) {
        fprintf(stderr, "xrdsym dataset: --val plus --test exceed 1\n");
        goto bad;
    }
    /* the generator attribute records the command line */
    char cmdline[2048];
    size_t len = (size_t)snprintf(cmdline, sizeof cmdline, "xrdsym %s", xs_version());
    for (int i = 0; i < argc && len < sizeof cmdline; i++)
        len += (size_t)snprintf(cmdline + len, sizeof cmdline - len, " %s", argv[i]);
    /* what the crystals depend on: the command line without the options that do not change them */
    char identity[2048];
    xs_cli_dataset_identity(cmdline, 0, identity, sizeof identity);
    c.identity = identity;
    if (!c.chunk) c.chunk = 16384;
    int rc;
    if (synth) {
        if (!per_group == !count) {
            fprintf(stderr, "xrdsym dataset synth: give exactly one of --per-group N and --count N\n");
            goto bad;
        }
        if (!c.has_seed) {
            fprintf(stderr, "xrdsym dataset synth: --seed S is required (every random choice takes it)\n");
            goto bad;
        }
        rc = run_synth(&c, per_group, count, groups, cmdline);
    } else {
        if (!n_files) {
            fprintf(stderr, "xrdsym dataset structures: no structure file given\n");
            goto bad;
        }
        if (c.variants && !c.has_seed) {
            fprintf(stderr, "xrdsym dataset structures: --variants needs --seed S (every random choice takes it)\n");
            goto bad;
        }
        rc = run_structures(&c, files, n_files, cmdline);
    }
    free(files);
    return rc;
bad:
    usage(stderr);
    free(files);
    return 2;
}
