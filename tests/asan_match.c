/* test_match again, linked against the AddressSanitizer + UndefinedBehaviorSanitizer build of the library:
 * the library, the matrix product over shifts and the error paths under the sanitizers. */
#include "test_match.c"
