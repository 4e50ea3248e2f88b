#include "xrdsym/xs_structure.h"

#include <ctype.h>
#include <string.h>

static const char *const element_symbols[XS_MAX_Z + 1] = {
    "?",  "H",  "He", "Li", "Be", "B",  "C",  "N",  "O",  "F",  "Ne", "Na", "Mg", "Al", "Si", "P",  "S",
    "Cl", "Ar", "K",  "Ca", "Sc", "Ti", "V",  "Cr", "Mn", "Fe", "Co", "Ni", "Cu", "Zn", "Ga", "Ge", "As",
    "Se", "Br", "Kr", "Rb", "Sr", "Y",  "Zr", "Nb", "Mo", "Tc", "Ru", "Rh", "Pd", "Ag", "Cd", "In", "Sn",
    "Sb", "Te", "I",  "Xe", "Cs", "Ba", "La", "Ce", "Pr", "Nd", "Pm", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho",
    "Er", "Tm", "Yb", "Lu", "Hf", "Ta", "W",  "Re", "Os", "Ir", "Pt", "Au", "Hg", "Tl", "Pb", "Bi", "Po",
    "At", "Rn", "Fr", "Ra", "Ac", "Th", "Pa", "U",  "Np", "Pu", "Am", "Cm", "Bk", "Cf", "Es", "Fm", "Md",
    "No", "Lr"};

const char *xs_element_symbol(int z)
{
    if (z < 1 || z > XS_MAX_Z) return "?";
    return element_symbols[z];
}

/* Exact match of a one- or two-letter symbol written in canonical case. */
static int lookup_symbol(const char *sym)
{
    if (!strcmp(sym, "D") || !strcmp(sym, "T")) return 1; /* deuterium, tritium scatter X-rays as H */
    for (int z = 1; z <= XS_MAX_Z; z++)
        if (!strcmp(sym, element_symbols[z])) return z;
    return 0;
}

/* Element at the start of text: a letter, optionally a second letter. The second letter belongs to the
 * symbol whenever the two make an element, in either case ("Fe1", "CL1" in all-capital files); otherwise
 * the first letter alone ("OW" -> O, as water oxygens are labelled). */
static int leading_element(const char *text, int *consumed)
{
    const char *p = text;
    while (*p == ' ' || *p == '\t') p++;
    if (!isalpha((unsigned char)p[0])) return 0;
    char one[2] = {(char)toupper((unsigned char)p[0]), 0};
    if (isalpha((unsigned char)p[1])) {
        char two[3] = {one[0], (char)tolower((unsigned char)p[1]), 0};
        int z2 = lookup_symbol(two);
        if (z2) {
            *consumed = (int)(p - text) + 2;
            return z2;
        }
    }
    *consumed = (int)(p - text) + 1;
    return lookup_symbol(one);
}

int xs_element_z(const char *symbol)
{
    int used;
    if (!symbol) return 0;
    return leading_element(symbol, &used);
}

xs_status xs_element_parse(const char *text, int *z, int *charge, xs_error *err)
{
    int used = 0;
    int zz = text ? leading_element(text, &used) : 0;
    if (!zz) return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "'%s' names no chemical element", text ? text : "(null)");
    const char *p = text + used;
    int q = 0;
    /* Charges are written "2-", "3+", "+3", "-", "+"; a bare number is a site index (Fe1), not a charge. */
    if (isdigit((unsigned char)p[0])) {
        const char *d = p;
        int v = 0;
        /* a site index may have any number of digits (fuzzed "O2222222222..."): past 100 it is no charge
         * anyway, so the value stops growing there instead of overflowing */
        for (; isdigit((unsigned char)*d); d++) v = v > 100 ? v : v * 10 + (*d - '0');
        if (*d == '+' || *d == '-') q = (*d == '+') ? v : -v;
    } else if (p[0] == '+' || p[0] == '-') {
        int v = isdigit((unsigned char)p[1]) ? p[1] - '0' : 1;
        q = (p[0] == '+') ? v : -v;
    }
    if (q < -8 || q > 8) q = 0;
    if (z) *z = zz;
    if (charge) *charge = q;
    return XS_OK;
}
