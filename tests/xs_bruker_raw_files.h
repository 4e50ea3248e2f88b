/* Bruker DIFFRAC .raw files of versions 3 and 4 written in memory, in the layout src/io/patterns.c reads (xylib's
 * description): for test_bruker_raw.c and test_bruker_raw_xylib.c. */
#ifndef XS_BRUKER_RAW_FILES_H
#define XS_BRUKER_RAW_FILES_H
#include <stdint.h>
#include <string.h>

static unsigned char buf[1 << 16];

static inline void put_u32(size_t off, uint32_t v)
{
    for (int i = 0; i < 4; i++) buf[off + (size_t)i] = (unsigned char)(v >> (8 * i));
}
static inline void put_f64(size_t off, double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    for (int i = 0; i < 8; i++) buf[off + (size_t)i] = (unsigned char)(u >> (8 * i));
}
static inline void put_f32(size_t off, float v)
{
    uint32_t u;
    memcpy(&u, &v, 4);
    put_u32(off, u);
}

static inline float count_at(int range, int i) { return (float)(100 + 10 * range + (i == 50 ? 5000 : i % 7)); }

/* Version 3: 712-byte file header, then per range a 304-byte header, `extra` bytes, and the counts. */
static inline size_t make_v3(int ranges, uint32_t extra)
{
    memset(buf, 0, sizeof buf);
    memcpy(buf, "RAW1.01", 7);
    put_u32(12, (uint32_t)ranges);
    memcpy(buf + 608, "Cu", 2);
    put_f64(616, 1.5418);
    put_f64(624, 1.5406);
    put_f64(632, 1.54439);
    put_f64(648, 0.5);
    size_t off = 712;
    for (int r = 0; r < ranges; r++) {
        put_u32(off, 304);
        put_u32(off + 4, 200);
        put_f64(off + 8, 5.0 + 20 * r);       /* theta */
        put_f64(off + 16, 10.0 + 40 * r);     /* 2theta start */
        put_f64(off + 176, 0.02);             /* step */
        put_f64(off + 240, 1.5406);           /* used lambda */
        put_u32(off + 256, extra);
        off += 304 + extra;
        for (int i = 0; i < 200; i++, off += 4) put_f32(off, count_at(r, i));
    }
    return off;
}

/* Version 4: 61-byte header, a hardware segment (type 30) and a variable (type 10), then per range a 160-byte
 * header (type 0), a drive segment (type 50, "2Theta"), and the counts. */
static inline size_t make_v4(int ranges, const char *scan_type)
{
    memset(buf, 0, sizeof buf);
    memcpy(buf, "RAW4.00", 7);
    size_t off = 61;
    put_u32(off, 10);
    put_u32(off + 4, 48);
    memcpy(buf + off + 12, "SampleName", 10);
    memcpy(buf + off + 36, "quartz", 6);
    off += 48;
    put_u32(off, 30);
    put_u32(off + 4, 120);
    put_f64(off + 72, 1.5418);
    put_f64(off + 80, 1.78897); /* Co K-alpha1 */
    put_f64(off + 88, 1.79285); /* Co K-alpha2 */
    put_f64(off + 104, 0.5);
    memcpy(buf + off + 116, "Co", 2);
    off += 120;
    for (int r = 0; r < ranges; r++) {
        put_u32(off, r ? 160 : 0);
        memcpy(buf + off + 32, scan_type, strlen(scan_type));
        put_f64(off + 72, 15.0 + 30 * r);
        put_f64(off + 80, 0.01);
        put_u32(off + 88, 200);
        put_f32(off + 92, 1.0f);
        put_f64(off + 112, 1.78897);
        put_u32(off + 136, 4);
        put_u32(off + 140, 64);
        off += 160;
        put_u32(off, 50);
        put_u32(off + 4, 64);
        memcpy(buf + off + 12, "2Theta", 6);
        put_f64(off + 56, 15.0 + 30 * r);
        off += 64;
        for (int i = 0; i < 200; i++, off += 4) put_f32(off, count_at(r, i));
    }
    return off;
}

#endif
