/* xrdsym simulate end to end: NaCl's peak list and profile, and what the command refuses: options that shape a
 * profile without --profile, ranges and wavelengths outside what diffraction allows, a wavelength at which every
 * reflection in range is absent, a preferred orientation without a direction. */
#include "xrdsym.h"
#include "xs_test.h"

#include <unistd.h>

static char exe[1024], out_path[256];
static char out[1 << 16];

/* xrdsym simulate ARGS with stdout and stderr in out; the exit status */
static int simulate(const char *args)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' simulate %s 2>&1", exe, args);
    return xs_test_capture(cmd, out, sizeof out);
}

int main(void)
{
    xs_test_cli_exe(exe, sizeof exe);
    snprintf(out_path, sizeof out_path, "/tmp/xs_test_simulate_%d.cif", (int)getpid());
    FILE *f = fopen(out_path, "w");
    fprintf(f, "data_NaCl\n_cell_length_a 5.6402\n_cell_length_b 5.6402\n_cell_length_c 5.6402\n_cell_angle_alpha 90\n"
               "_cell_angle_beta 90\n_cell_angle_gamma 90\n_symmetry_space_group_name_H-M 'F m -3 m'\nloop_\n"
               "_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\nNa1 0 0 0\nCl1 0.5 0.5 0.5\n");
    fclose(f);
    char args[1024];

    snprintf(args, sizeof args, "'%s'", out_path);
    CHECK(simulate(args) == 0 && strstr(out, "Fm-3m") && strstr(out, "\t2\t0\t0\t6"), "NaCl's peak list with (200): %s", out);
    snprintf(args, sizeof args, "'%s' --profile --fwhm 0.2 --pseudo-voigt 0.5 --range 25 35", out_path);
    CHECK(simulate(args) == 0 && strstr(out, "# two_theta\tintensity"), "a pseudo-Voigt profile: %.200s", out);

    /* profile options without --profile: a usage error naming the option, not a peak list that ignores it */
    static const char *const shaping[] = {"--fwhm 0.2", "--step 0.02", "--pseudo-voigt 0.5", "--kalpha2"};
    for (int k = 0; k < 4; k++) {
        snprintf(args, sizeof args, "'%s' %s", out_path, shaping[k]);
        char name[32];
        snprintf(name, sizeof name, "%.*s", (int)strcspn(shaping[k], " "), shaping[k]);
        CHECK(simulate(args) == 2 && strstr(out, name) && strstr(out, "add --profile"), "'%s' without --profile: %.200s",
              shaping[k], out);
    }

    /* at 5 A only (100) and (110) fall in 5..90 deg, and both are absent in Fm-3m: no pattern of rounding noise */
    snprintf(args, sizeof args, "'%s' --wavelength 5", out_path);
    CHECK(simulate(args) == 1 && strstr(out, "systematically absent") && strstr(out, out_path),
          "NaCl at 5 A: every reflection absent, the file named: %s", out);
    snprintf(args, sizeof args, "'%s' --wavelength 50", out_path);
    CHECK(simulate(args) == 2 && strstr(out, "outside 0.05..5"), "a wavelength of 50 A: %s", out);
    snprintf(args, sizeof args, "'%s' --range 90 10", out_path);
    CHECK(simulate(args) == 1 && strstr(out, "90..10"), "a range from 90 down to 10: %s", out);
    snprintf(args, sizeof args, "'%s' --march-dollase 20", out_path);
    CHECK(simulate(args) == 2 && strstr(out, "0.1..10"), "a March-Dollase ratio of 20: %s", out);
    snprintf(args, sizeof args, "'%s' --march-dollase 0.5 --po-axis 0 0 0", out_path);
    CHECK(simulate(args) == 2 && strstr(out, "not a direction"), "the axis 0 0 0: %s", out);

    unlink(out_path);
    return xs_test_finish();
}
