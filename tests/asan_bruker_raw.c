/* test_bruker_raw again, linked against the AddressSanitizer + UndefinedBehaviorSanitizer build of the library:
 * every cut and garbled .raw file under the sanitizers. */
#include "test_bruker_raw.c"
