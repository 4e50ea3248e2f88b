/* test_eval again, linked against the AddressSanitizer + UndefinedBehaviorSanitizer build of the library:
 * the distance table, the accumulator and the random outputs under the sanitizers. */
#include "test_eval.c"
