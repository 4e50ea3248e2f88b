/* test_augment again, linked against the AddressSanitizer + UndefinedBehaviorSanitizer build of the library:
 * the padded peak windows, the vector kernels and the batch threads under the sanitizers. */
#include "test_augment.c"
