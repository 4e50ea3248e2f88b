/* Private helpers of src/symmetry/symbols.c (not part of the public API). */
#ifndef XS_SYMBOLS_PRIVATE_H
#define XS_SYMBOLS_PRIVATE_H

/* Every Hall number an H-M or Hall symbol may denote when it leaves the origin choice or the
 * rhombohedral axes open ("Fd-3m" -> 525, 526; "R-3m" -> 458, 459; "Pnma" -> 292; "Fd-3m:2" -> 526),
 * default setting first (the one xs_sym_hall_from_symbol returns). At most max are written; returns how
 * many there are (0 when the symbol matches nothing). */
int xs_sym_hall_alternatives(const char *symbol, int *halls, int max);

#endif
