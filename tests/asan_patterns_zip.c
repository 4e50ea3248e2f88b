/* Rigaku .rasx and Bruker .brml, the instrument formats that are zip archives: archives of the layouts the
 * reader's header describes are written here with libzip and read back (no instrument file was at hand, so
 * what this checks is the reading of those layouts and the refusal of others, not the formats themselves).
 * Built against the sanitized library: damaged and truncated archives must fail cleanly, never crash. */
#include "xrdsym.h"
#include "xs_test.h"

#include <unistd.h>
#include <zip.h>

static char path[96];

/* An archive of text members at `path` (names[i] holds texts[i]). */
static void write_zip(const char *ext, int n, const char *const *names, const char *const *texts)
{
    snprintf(path, sizeof path, "/tmp/xs_zip_%d%s", (int)getpid(), ext);
    int e = 0;
    zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &e);
    CHECK(z != NULL, "zip_open for writing");
    if (!z) return;
    for (int i = 0; i < n; i++) {
        zip_source_t *s = zip_source_buffer(z, texts[i], strlen(texts[i]), 0);
        CHECK(s && zip_file_add(z, names[i], s, ZIP_FL_OVERWRITE) >= 0, "add %s", names[i]);
    }
    CHECK(zip_close(z) == 0, "zip_close");
}

static xs_status read_back(xs_pattern ***l, size_t *n, xs_error *err)
{
    memset(err, 0, sizeof *err);
    return xs_pattern_read(path, l, n, err);
}

/* The true intensity of the test pattern at 2theta x: a peak at 30 deg on a flat 20. */
static double truth(double x) { return 20 + 5000 * exp(-4 * log(2) * (x - 30) * (x - 30) / 0.01); }

#define N_POINTS 4251 /* 5..90 deg, step 0.02 */

static char *rasx_profile(int attenuate)
{
    char *t = malloc(N_POINTS * 48);
    size_t used = 0;
    for (int i = 0; i < N_POINTS; i++) {
        double x = 5 + 0.02 * i, y = truth(x);
        /* the attenuator in above 1000 counts: the file holds count / 10 and the factor 10 */
        double att = attenuate && y > 1000 ? 10 : 1;
        used += (size_t)sprintf(t + used, "%.4f\t%.6f\t%.4f\n", x, y / att, att);
    }
    return t;
}

static const char *rasx_conditions(const char *axis, const char *wave_type)
{
    static char t[1024];
    snprintf(t, sizeof t,
             "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<MeasurementConditions>\n<GeneralInformation><SampleName>q"
             "</SampleName></GeneralInformation>\n<HWConfigurations><XrayGenerator><TargetName>Cu</TargetName>"
             "<WaveType>%s</WaveType><WavelengthKalpha1>1.540593</WavelengthKalpha1>\n"
             "<WavelengthKalpha2>1.544414</WavelengthKalpha2><WavelengthKbeta>1.392246</WavelengthKbeta>"
             "</XrayGenerator></HWConfigurations>\n<ScanInformation><AxisName>%s</AxisName><Step>0.02</Step>"
             "</ScanInformation>\n</MeasurementConditions>\n",
             wave_type, axis);
    return t;
}

static const char *root_xml = "<?xml version=\"1.0\" encoding=\"utf-8\"?><Root Version=\"1.1.0.0\"></Root>";

/* A .brml RawData member around `routes` (DataRoute elements), with the tube's wavelengths. */
static char *brml_raw(const char *routes)
{
    const char *head = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<RawData "
                       "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n<FixedInformation><Instrument>"
                       "<PrimaryTracks><TrackInfoData><MountedOptics><InfoData xsi:type=\"MountedTube\"><Tube>\n"
                       "<WaveLengthAlpha1 Value=\"1.5406\" Unit=\"A\" /><WaveLengthAlpha2 Value=\"1.54439\" Unit=\"A\" />"
                       "<WaveLengthRatio Value=\"0.5\" Unit=\"\" /><TubeMaterial>Cu</TubeMaterial>\n</Tube></InfoData>"
                       "</MountedOptics></TrackInfoData></PrimaryTracks></Instrument></FixedInformation>\n<DataRoutes>\n";
    size_t size = strlen(head) + strlen(routes) + 64;
    char *t = malloc(size);
    snprintf(t, size, "%s%s</DataRoutes></RawData>\n", head, routes);
    return t;
}

/* One <DataRoute>: points 5..90 deg; layout 0: DataViews with the counts in field 6 (a decoy in field 4);
 * 1: no DataViews, time,1,2theta,theta,counts; 2: no DataViews, time,1,2theta,counts,0 (theta not 2theta/2);
 * 3: DataViews with a recorded frame of 1280 values. */
static char *brml_route(int layout, const char *flag, double offset)
{
    size_t cap = N_POINTS * 96 + 2048, used = 0;
    char *t = malloc(cap);
    used += (size_t)snprintf(t + used, cap - used, "<DataRoute RouteFlag=\"%s\">\n<ScanInformation ScanName=\"Coupled\" />\n", flag);
    for (int i = 0; i < N_POINTS; i++) {
        double x = 5 + 0.02 * i + offset, y = truth(x - offset);
        if (layout == 0) used += (size_t)snprintf(t + used, cap - used, "<Datum>1,1,%.4f,%.4f,777,3,%.3f</Datum>\n", x, x / 2, y);
        else if (layout == 2) used += (size_t)snprintf(t + used, cap - used, "<Datum>1,1,%.4f,%.3f,0</Datum>\n", x, y);
        else used += (size_t)snprintf(t + used, cap - used, "<Datum>1,1,%.4f,%.4f,%.3f</Datum>\n", x, x / 2, y);
    }
    if (layout == 0 || layout == 3)
        used += (size_t)snprintf(
            t + used, cap - used,
            "<DataViews>\n<RawDataView xsi:type=\"FixedRawDataView\" Start=\"0\" Length=\"1\" LogicName=\"MeasuredTime\" />\n"
            "<RawDataView xsi:type=\"FixedRawDataView\" Start=\"1\" Length=\"1\" LogicName=\"AbsorptionFactor\" />\n"
            "<RawDataView xsi:type=\"VaryingRawDataView\" Start=\"2\" Length=\"2\"><Varying>"
            "<FieldDefinitions FieldName=\"TwoTheta\" AxisId=\"TwoTheta\" /><FieldDefinitions FieldName=\"Theta\" "
            "AxisId=\"Theta\" /></Varying></RawDataView>\n"
            "<RawDataView xsi:type=\"RecordedRawDataView\" Start=\"%d\" Length=\"%d\"><Recording><Unit Base=\"Counts\" />"
            "</Recording></RawDataView>\n</DataViews>\n",
            layout == 0 ? 6 : 4, layout == 3 ? 1280 : 1);
    snprintf(t + used, cap - used, "</DataRoute>\n");
    return t;
}

/* A .brml archive at `path` whose RawData holds `routes` (the DataRoute elements). */
static void write_brml(const char *routes)
{
    char *raw = brml_raw(routes);
    const char *names[] = {"Experiment0/RawData0.xml", "Experiment0/DataContainer.xml"};
    const char *texts[] = {raw, "<DataContainer />"};
    write_zip(".brml", 2, names, texts);
    free(raw);
}

/* A .brml archive of one measured route in `layout` (brml_route's). */
static void write_brml_layout(int layout)
{
    char *route = brml_route(layout, "Measured", 0);
    write_brml(route);
    free(route);
}

static int same_as_truth(const xs_pattern *p, double tol)
{
    if (xs_pattern_size(p) != N_POINTS) return 0;
    for (size_t i = 0; i < N_POINTS; i++) {
        double x = 5 + 0.02 * (double)i;
        if (fabs(xs_pattern_two_theta(p)[i] - x) > 1e-9 || fabs(xs_pattern_intensity(p)[i] - truth(x)) > tol) return 0;
    }
    return 1;
}

int main(void)
{
    xs_pattern **l = NULL;
    size_t n = 0;
    xs_error err = {0};

    /* ---- .rasx ---- */
    char *prof = rasx_profile(1);
    {
        const char *names[] = {"root.xml", "Data0/Profile0.txt", "Data0/MesurementConditions0.xml"};
        const char *texts[] = {root_xml, prof, rasx_conditions("TwoThetaTheta", "Ka")};
        write_zip(".rasx", 3, names, texts);
        CHECK(read_back(&l, &n, &err) == XS_OK && n == 1, "rasx: %s %s", err.file, err.message);
        if (n == 1) {
            /* 1e-3: the profile holds counts/10 to 6 decimals, times 10 */
            CHECK(same_as_truth(l[0], 1e-3), "rasx: angles, and the counts times the attenuator factor");
            CHECK(!strcmp(xs_pattern_name(l[0]), path), "one scan: named as the file: %s", xs_pattern_name(l[0]));
            double ratio, ka2 = xs_pattern_kalpha2(l[0], &ratio);
            CHECK_NEAR(xs_pattern_wavelength(l[0]), (1.540593 + 0.5 * 1.544414) / 1.5, 1e-12, "K-alpha mean wavelength");
            CHECK(ka2 == 1.544414 && ratio == 0.5, "K-alpha2 %g ratio %g", ka2, ratio);
        }
        xs_pattern_list_free(l, n);
        /* a monochromated beam (WaveType Ka1): K-alpha1 only */
        texts[2] = rasx_conditions("TwoThetaTheta", "Ka1");
        write_zip(".rasx", 3, names, texts);
        CHECK(read_back(&l, &n, &err) == XS_OK && n == 1 && xs_pattern_wavelength(l[0]) == 1.540593 &&
                  xs_pattern_kalpha2(l[0], NULL) == 0,
              "Ka1: wavelength K-alpha1, no K-alpha2: %s", err.message);
        xs_pattern_list_free(l, n);
        /* a rocking curve is not a powder pattern */
        texts[2] = rasx_conditions("Omega", "Ka");
        write_zip(".rasx", 3, names, texts);
        CHECK(read_back(&l, &n, &err) == XS_ERR_UNSUPPORTED && n == 0 && strstr(err.message, "not 2theta") &&
                  strstr(err.file, "[Data0/MesurementConditions0.xml]") && err.line == 6,
              "omega scan refused naming the member and line: %s:%d %s", err.file, err.line, err.message);
        /* no conditions member: read, the wavelength unknown (predict then says what it assumes) */
        write_zip(".rasx", 2, names, texts);
        CHECK(read_back(&l, &n, &err) == XS_OK && n == 1 && xs_pattern_wavelength(l[0]) == 0, "no conditions: %s", err.message);
        xs_pattern_list_free(l, n);
    }
    {
        /* two scans: both, named #1 and #2; the second one's 17th line broken */
        char *prof2 = rasx_profile(0);
        const char *names[] = {"root.xml", "Data1/Profile1.txt", "Data0/Profile0.txt", "Data1/MesurementConditions1.xml"};
        const char *texts[] = {root_xml, prof2, prof, rasx_conditions("TwoThetaOmega", "Ka")};
        write_zip(".rasx", 4, names, texts);
        CHECK(read_back(&l, &n, &err) == XS_OK && n == 2, "two scans: %s", err.message);
        if (n == 2) {
            CHECK(strstr(xs_pattern_name(l[0]), "#1") && strstr(xs_pattern_name(l[1]), "#2"), "named #1 #2");
            CHECK(xs_pattern_wavelength(l[0]) == 0 && xs_pattern_wavelength(l[1]) > 1.54, "each scan its own conditions");
            CHECK(same_as_truth(l[1], 1e-3), "second scan read whole");
        }
        xs_pattern_list_free(l, n);
        char *line17 = prof2;
        for (int i = 0; i < 16; i++) line17 = strchr(line17, '\n') + 1;
        memcpy(line17, "x", 1);
        write_zip(".rasx", 4, names, texts);
        CHECK(read_back(&l, &n, &err) == XS_ERR_PARSE && n == 0 && err.line == 17 && strstr(err.file, "[Data1/Profile1.txt]"),
              "a broken line: member and line: %s:%d %s", err.file, err.line, err.message);
        free(prof2);
    }

    /* ---- .brml ---- */
    {
        char *r0 = brml_route(0, "Measured", 0), *planned = brml_route(1, "Planned", 0.5);
        static char both[1 << 20];
        snprintf(both, sizeof both, "%s%s", planned, r0);
        write_brml(both);
        CHECK(read_back(&l, &n, &err) == XS_OK && n == 1, "brml: %s %s", err.file, err.message);
        if (n == 1) {
            /* 1e-3: counts written to 3 decimals */
            CHECK(same_as_truth(l[0], 1e-3), "brml: 2theta and counts from the fields DataViews names (counts in field 7, not 5)");
            CHECK_NEAR(xs_pattern_wavelength(l[0]), (1.5406 + 0.5 * 1.54439) / 1.5, 1e-12, "tube wavelengths");
            CHECK(xs_pattern_kalpha2(l[0], NULL) == 1.54439, "K-alpha2");
        }
        xs_pattern_list_free(l, n);
        free(planned);

        /* two measured ranges: two patterns */
        snprintf(both, sizeof both, "%s%s", r0, r0);
        write_brml(both);
        CHECK(read_back(&l, &n, &err) == XS_OK && n == 2 && strstr(xs_pattern_name(l[1]), "#2"), "two routes: %s", err.message);
        xs_pattern_list_free(l, n);
        free(r0);

        /* no DataViews: GSAS-II's layout, accepted where theta = 2theta/2 */
        write_brml_layout(1);
        CHECK(read_back(&l, &n, &err) == XS_OK && n == 1 && same_as_truth(l[0], 1e-3), "no DataViews, coupled layout: %s",
              err.message);
        xs_pattern_list_free(l, n);
        /* no DataViews and another layout: refused, not guessed */
        write_brml_layout(2);
        CHECK(read_back(&l, &n, &err) == XS_ERR_UNSUPPORTED && n == 0 && strstr(err.message, "DataViews") &&
                  strstr(err.file, "[Experiment0/RawData0.xml]") && err.line > 1,
              "undescribed layout refused: %s:%d %s", err.file, err.line, err.message);
        /* a detector frame per step */
        write_brml_layout(3);
        CHECK(read_back(&l, &n, &err) == XS_ERR_UNSUPPORTED && strstr(err.message, "detector frame"), "frame refused: %s",
              err.message);
    }

    /* ---- other archives, damaged ones ---- */
    {
        const char *names[] = {"word/document.xml"};
        const char *texts[] = {"<w:document/>"};
        write_zip(".zip", 1, names, texts);
        CHECK(read_back(&l, &n, &err) == XS_ERR_UNSUPPORTED && strstr(err.message, "neither"), "other zip: %s", err.message);

        const char *rn[] = {"root.xml", "Data0/Profile0.txt"};
        const char *rt[] = {root_xml, prof};
        write_zip(".rasx", 2, rn, rt);
        FILE *f = fopen(path, "rb");
        fseek(f, 0, SEEK_END);
        long size = ftell(f);
        fclose(f);
        CHECK(truncate(path, size / 2) == 0, "truncate");
        CHECK(read_back(&l, &n, &err) != XS_OK && n == 0 && strstr(err.file, "xs_zip_"), "half an archive: %s", err.message);
        f = fopen(path, "wb");
        fputs("PK\x03\x04 not really a zip archive at all", f);
        fclose(f);
        CHECK(read_back(&l, &n, &err) == XS_ERR_IO && n == 0 && strstr(err.message, "zip"), "a zip header and garbage: %s",
              err.message);
    }
    unlink(path);
    free(prof);
    return xs_test_finish();
}
