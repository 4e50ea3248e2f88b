#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out,
            "usage: xrdsym simulate FILE... [options]\n"
            "  powder X-ray pattern of structure files (CIF or POSCAR)\n"
            "  --wavelength W      CuKa (default), CuKa1, CuKa2, MoKa, CoKa, FeKa, CrKa, AgKa or angstrom\n"
            "  --range MIN MAX     2theta range in degrees (default 5 90)\n"
            "  --form-factors F    pymatgen's atomic_scattering_params.json (default: built-in Waasmaier-Kirfel)\n"
            "  --no-debye-waller   ignore displacement parameters\n"
            "  --march-dollase R   preferred orientation: intensities times the March-Dollase factor of ratio R\n"
            "                      (below 1 plates lying flat, above 1 needles; default 1, a random powder)\n"
            "  --po-axis H K L     its axis as a reciprocal-lattice direction (the plates' normal; default 0 0 1)\n"
            "  --peaks             peak list (default)\n"
            "  --top N             only the N strongest peaks (in 2theta order)\n"
            "  --profile           intensity on a grid (step 0.01 deg), max scaled to 1\n"
            "  --step S            grid step for --profile (default 0.01)\n"
            "  --fwhm F            peak FWHM in degrees for --profile (default 0.1)\n"
            "  --pseudo-voigt ETA  pseudo-Voigt peaks with Lorentzian fraction ETA (default Gaussian)\n"
            "  --kalpha2           add the K-alpha2 line (named anodes only)\n"
            "  --format tsv|json   output format (default tsv)\n");
}

typedef struct {
    xs_xrd_options xrd;
    xs_profile_options prof;
    int profile, json, top;
    double step;
    const char *wavelength_name;
} sim_options;

static int next_arg(int argc, char **argv, int *i, const char *opt)
{
    if (*i + 1 >= argc) {
        fprintf(stderr, "xrdsym simulate: %s needs a value\n", opt);
        return 0;
    }
    (*i)++;
    return 1;
}

static int simulate_one(const char *path, xs_structure *s, const sim_options *o, int *first_json)
{
    xs_error err = {0};
    xs_peaks *pk;
    if (xs_xrd_peaks(s, &o->xrd, &pk, &err)) {
        if (!err.file[0]) snprintf(err.file, sizeof err.file, "%s", path);
        xs_cli_print_error(&err);
        return 1;
    }
    char formula[256];
    xs_structure_formula(s, formula, sizeof formula);
    xs_spacegroup sg;
    int have_sg = xs_sym_find(s, XS_SYMPREC_DEFAULT, &sg, NULL) == XS_OK;
    size_t n = xs_peaks_count(pk);
    /* --top keeps the N strongest, listed in 2theta order. */
    char *keep = malloc(n ? n : 1);
    for (size_t i = 0; i < n; i++) keep[i] = 1;
    if (o->top > 0 && (size_t)o->top < n) {
        for (size_t i = 0; i < n; i++) {
            size_t stronger = 0;
            for (size_t j = 0; j < n; j++) {
                double a = xs_peaks_get(pk, j)->intensity, b = xs_peaks_get(pk, i)->intensity;
                stronger += a > b || (a == b && j < i);
            }
            keep[i] = stronger < (size_t)o->top;
        }
    }
    const xs_hkl_family *fam = xs_peaks_families(pk);
    int hex = xs_peaks_hexagonal(pk);
    if (o->profile) {
        double tmin = o->xrd.two_theta_min, tmax = o->xrd.two_theta_max;
        xs_grid grid = {tmin, o->step, (size_t)llround((tmax - tmin) / o->step)};
        double *tt = malloc((n ? n : 1) * sizeof *tt), *in = malloc((n ? n : 1) * sizeof *in);
        float *y = malloc(grid.count * sizeof *y);
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (keep[i]) tt[m] = xs_peaks_get(pk, i)->two_theta, in[m++] = xs_peaks_get(pk, i)->intensity;
        int rc = 0;
        if (xs_xrd_profile(tt, in, m, &grid, &o->prof, y, &err)) {
            xs_cli_print_error(&err);
            rc = 1;
        } else if (o->json) {
            printf("%s{\"structure\": ", *first_json ? "" : ",\n");
            xs_cli_json_string(stdout, xs_structure_name(s));
            printf(", \"file\": ");
            xs_cli_json_string(stdout, path);
            printf(", \"two_theta_start\": %.6g, \"step\": %.6g, \"intensity\": [", grid.start, grid.step);
            for (size_t i = 0; i < grid.count; i++) printf("%s%.6g", i ? ", " : "", y[i]);
            printf("]}");
            *first_json = 0;
        } else {
            printf("# %s [%s] %s %s, wavelength %.5f A\n", path, xs_structure_name(s), formula,
                   have_sg ? sg.international : "?", o->xrd.wavelength);
            printf("# two_theta\tintensity\n");
            for (size_t i = 0; i < grid.count; i++) printf("%.4f\t%.6g\n", grid.start + i * grid.step, y[i]);
        }
        free(tt);
        free(in);
        free(y);
        free(keep);
        xs_peaks_free(pk);
        return rc;
    }
    if (o->json) {
        printf("%s{\"structure\": ", *first_json ? "" : ",\n");
        xs_cli_json_string(stdout, xs_structure_name(s));
        printf(", \"file\": ");
        xs_cli_json_string(stdout, path);
        printf(", \"formula\": ");
        xs_cli_json_string(stdout, formula);
        if (have_sg) {
            printf(", \"space_group\": %d, \"space_group_symbol\": ", sg.number);
            xs_cli_json_string(stdout, sg.international);
            printf(", \"crystal_system\": \"%s\"", xs_crystal_system_name(sg.crystal_system));
        }
        printf(", \"wavelength\": %.6f, \"peaks\": [", o->xrd.wavelength);
        int firstp = 1;
        for (size_t i = 0; i < n; i++) {
            if (!keep[i]) continue;
            const xs_peak *p = xs_peaks_get(pk, i);
            printf("%s\n  {\"two_theta\": %.6f, \"intensity\": %.6f, \"d\": %.6f, \"multiplicity\": %d, \"hkl\": [",
                   firstp ? "" : ",", p->two_theta, p->intensity, p->d, p->multiplicity);
            for (size_t f = 0; f < p->n_families; f++) {
                const xs_hkl_family *hf = &fam[p->first_family + f];
                if (hex)
                    printf("%s{\"hkil\": [%d, %d, %d, %d], \"multiplicity\": %d}", f ? ", " : "", hf->hkl[0], hf->hkl[1],
                           hf->hkl[2], hf->hkl[3], hf->multiplicity);
                else
                    printf("%s{\"hkl\": [%d, %d, %d], \"multiplicity\": %d}", f ? ", " : "", hf->hkl[0], hf->hkl[1], hf->hkl[2],
                           hf->multiplicity);
            }
            printf("]}");
            firstp = 0;
        }
        printf("]}");
        *first_json = 0;
    } else {
        printf("# %s [%s] %s, space group %s (No. %d, %s), wavelength %.5f A\n", path, xs_structure_name(s), formula,
               have_sg ? sg.international : "?", have_sg ? sg.number : 0,
               have_sg ? xs_crystal_system_name(sg.crystal_system) : "?", o->xrd.wavelength);
        printf("# two_theta\tintensity\td\th\tk\tl\tmultiplicity\n");
        for (size_t i = 0; i < n; i++) {
            if (!keep[i]) continue;
            const xs_peak *p = xs_peaks_get(pk, i);
            const xs_hkl_family *hf = &fam[p->first_family];
            int l = hex ? hf->hkl[3] : hf->hkl[2];
            printf("%.5f\t%.4f\t%.5f\t%d\t%d\t%d\t%d\n", p->two_theta, p->intensity, p->d, hf->hkl[0], hf->hkl[1], l,
                   p->multiplicity);
        }
    }
    free(keep);
    xs_peaks_free(pk);
    return 0;
}

int xs_cmd_simulate(int argc, char **argv)
{
    sim_options o;
    memset(&o, 0, sizeof o);
    xs_xrd_options_default(&o.xrd);
    xs_profile_options_default(&o.prof);
    o.xrd.two_theta_min = 5;
    o.xrd.two_theta_max = 90;
    o.step = 0.01;
    o.wavelength_name = "CuKa";
    const char *ff_path = NULL;
    char **files = calloc((size_t)argc, sizeof *files);
    int n_files = 0;
    double v;
    const char *profile_option = NULL; /* the last of --step, --fwhm, --pseudo-voigt, --kalpha2 given */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--step") || !strcmp(a, "--fwhm") || !strcmp(a, "--pseudo-voigt") || !strcmp(a, "--kalpha2"))
            profile_option = a;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            free(files);
            return 0;
        } else if (!strcmp(a, "--wavelength")) {
            if (!next_arg(argc, argv, &i, a)) goto usage_error;
            o.wavelength_name = argv[i];
        } else if (!strcmp(a, "--range")) {
            if (i + 2 >= argc || !xs_cli_parse_double("simulate", a, argv[i + 1], &o.xrd.two_theta_min) ||
                !xs_cli_parse_double("simulate", a, argv[i + 2], &o.xrd.two_theta_max))
                goto usage_error;
            i += 2;
        } else if (!strcmp(a, "--form-factors")) {
            if (!next_arg(argc, argv, &i, a)) goto usage_error;
            ff_path = argv[i];
        } else if (!strcmp(a, "--no-debye-waller")) {
            o.xrd.debye_waller = 0;
        } else if (!strcmp(a, "--march-dollase")) {
            if (!next_arg(argc, argv, &i, a) || !xs_cli_parse_double("simulate", a, argv[i], &o.xrd.march_dollase_r) ||
                !xs_cli_require("simulate", a, o.xrd.march_dollase_r >= 0.1 && o.xrd.march_dollase_r <= 10, "0.1..10",
                                argv[i]))
                goto usage_error;
        } else if (!strcmp(a, "--po-axis")) {
            if (i + 3 >= argc || !xs_cli_parse_double("simulate", a, argv[i + 1], &o.xrd.preferred_axis[0]) ||
                !xs_cli_parse_double("simulate", a, argv[i + 2], &o.xrd.preferred_axis[1]) ||
                !xs_cli_parse_double("simulate", a, argv[i + 3], &o.xrd.preferred_axis[2]))
                goto usage_error;
            if (!o.xrd.preferred_axis[0] && !o.xrd.preferred_axis[1] && !o.xrd.preferred_axis[2]) {
                fprintf(stderr, "xrdsym simulate: --po-axis 0 0 0 is not a direction\n");
                goto usage_error;
            }
            i += 3;
        } else if (!strcmp(a, "--peaks")) {
            o.profile = 0;
        } else if (!strcmp(a, "--profile")) {
            o.profile = 1;
        } else if (!strcmp(a, "--top")) {
            if (!next_arg(argc, argv, &i, a) || !xs_cli_parse_double("simulate", a, argv[i], &v) ||
                !xs_cli_require("simulate", a, v >= 1, "at least 1", argv[i]))
                goto usage_error;
            o.top = (int)v;
        } else if (!strcmp(a, "--step")) {
            if (!next_arg(argc, argv, &i, a) || !xs_cli_parse_double("simulate", a, argv[i], &o.step) ||
                !xs_cli_require("simulate", a, o.step >= 1e-4 && o.step <= 1, "0.0001..1 (deg)", argv[i]))
                goto usage_error;
        } else if (!strcmp(a, "--fwhm")) {
            if (!next_arg(argc, argv, &i, a) || !xs_cli_parse_double("simulate", a, argv[i], &o.prof.fwhm)) goto usage_error;
        } else if (!strcmp(a, "--pseudo-voigt")) {
            if (!next_arg(argc, argv, &i, a) || !xs_cli_parse_double("simulate", a, argv[i], &o.prof.eta)) goto usage_error;
            o.prof.shape = XS_PROFILE_PSEUDO_VOIGT;
        } else if (!strcmp(a, "--kalpha2")) {
            o.prof.kalpha2 = 1;
        } else if (!strcmp(a, "--format")) {
            if (!next_arg(argc, argv, &i, a)) goto usage_error;
            if (!strcmp(argv[i], "json")) o.json = 1;
            else if (!strcmp(argv[i], "tsv")) o.json = 0;
            else {
                fprintf(stderr, "xrdsym simulate: --format must be tsv or json\n");
                goto usage_error;
            }
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "xrdsym simulate: unknown option %s\n", a);
            goto usage_error;
        } else {
            files[n_files++] = argv[i];
        }
    }
    if (!n_files) goto usage_error;
    if (!o.profile && profile_option) { /* they shape a profile; a peak list would ignore them in silence */
        fprintf(stderr, "xrdsym simulate: %s shapes the --profile; add --profile (or leave it out for the peak list)\n",
                profile_option);
        goto usage_error;
    }
    xs_error err = {0};
    if (xs_xrd_wavelength(o.wavelength_name, &o.xrd.wavelength, &err)) {
        xs_cli_print_error(&err);
        free(files);
        return 2;
    }
    if (o.prof.kalpha2) {
        if (xs_xrd_kalpha_pair(o.wavelength_name, &o.prof.ka1, &o.prof.ka2, &err)) {
            fprintf(stderr, "xrdsym simulate: --kalpha2 needs a named anode wavelength such as CuKa\n");
            free(files);
            return 2;
        }
        /* Peaks are computed at K-alpha1 so that the doublet is placed correctly. */
        o.xrd.wavelength = o.prof.ka1;
    }
    xs_formfactors *ff = NULL;
    if (ff_path) {
        if (xs_ff_load_pymatgen(ff_path, &ff, &err)) {
            xs_cli_print_error(&err);
            free(files);
            return 2;
        }
        o.xrd.ff = ff;
    }
    int status = 0, first_json = 1;
    if (o.json) printf("[");
    for (int f = 0; f < n_files; f++) {
        xs_structure **list;
        size_t n;
        if (xs_cli_read_structures(files[f], &list, &n, &err)) {
            xs_cli_print_error(&err);
            status = 1;
            continue;
        }
        for (size_t k = 0; k < n; k++) {
            status |= simulate_one(files[f], list[k], &o, &first_json);
            xs_structure_free(list[k]);
        }
        free(list);
    }
    if (o.json) printf("]\n");
    xs_ff_free(ff);
    free(files);
    return status;
usage_error:
    usage(stderr);
    free(files);
    return 2;
}
