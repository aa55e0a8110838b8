/*
 * plugin.h - the contract between dlchurn.c and the plugins built from
 * plugin.c (libhbplugin.so, libhbplugin2.so).
 *
 * dlchurn resolves HBPLUGIN_ENTRY with dlsym and calls it with a tally that
 * lives in dlchurn (the plugin is unloaded between calls, so it cannot keep
 * state). The plugin adds to the tally exactly what its own code allocated,
 * freed and leaked, with the meanings of truth.h's ledger.
 */
#ifndef HB_TEST_PLUGIN_H
#define HB_TEST_PLUGIN_H

#include "truth.h"

#define HBPLUGIN_ENTRY "hbplugin_work"

/* Does one round of work; `round` varies the sizes. Returns the plugin's
 * variant number (1 or 2), so the caller can check which one it called. */
typedef int (*hbplugin_work_fn)(unsigned round, struct hb_ledger *tally);

#endif
