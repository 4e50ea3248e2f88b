/* xrdsym: crystal system and space group of powder X-ray diffraction patterns.
 * The one header to include; it pulls in each module's header. Conventions: see xrdsym/xs_common.h. */
#ifndef XRDSYM_H
#define XRDSYM_H
#include "xrdsym/xs_common.h"
#include "xrdsym/xs_structure.h"
#include "xrdsym/xs_cif.h"
#include "xrdsym/xs_pattern.h"
#include "xrdsym/xs_symmetry.h"
#include "xrdsym/xs_xrd.h"
#include "xrdsym/xs_synth.h"
#include "xrdsym/xs_dataset.h"
#include "xrdsym/xs_augment.h"
#include "xrdsym/xs_nn.h"
#include "xrdsym/xs_train.h"
#include "xrdsym/xs_eval.h"
#include "xrdsym/xs_match.h"
#endif
