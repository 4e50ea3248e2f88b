/* One JSON string writer for every command's JSON output. */
#include <stdio.h>

#include "cli.h"

/* The length in bytes of the well-formed UTF-8 sequence that starts at s (overlong forms, surrogates and code
 * points above U+10FFFF refused, as RFC 3629 says), or 0 when s does not start one. */
static int utf8_length(const unsigned char *s)
{
    unsigned char c = s[0];
    int n = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    if (!n) return 0;
    unsigned char lo = 0x80, hi = 0xBF; /* range of the second byte */
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
    if (s[1] < lo || s[1] > hi) return 0;
    for (int k = 2; k < n; k++)
        if (s[k] < 0x80 || s[k] > 0xBF) return 0;
    return n;
}

void xs_cli_json_string(FILE *f, const char *text)
{
    const unsigned char *s = (const unsigned char *)text;
    fputc('"', f);
    while (*s) {
        unsigned char c = *s;
        int n = c >= 0x80 ? utf8_length(s) : 1;
        if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c < 0x20) fprintf(f, "\\u%04x", c);
        /* messages quote the lines of files as they are, and old files are often Latin-1: a byte that is not
         * part of valid UTF-8 is written as the Latin-1 character it would be, so the output stays JSON */
        else if (!n) fprintf(f, "\\u%04x", c);
        else fwrite(s, 1, (size_t)n, f);
        s += n ? n : 1;
    }
    fputc('"', f);
}
