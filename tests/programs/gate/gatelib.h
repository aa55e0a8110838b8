/*
 * gatelib.h - libgatelib.so, the third-party library of the gate tests: it
 * loses what gatelib_remember() allocates, so a suppression file can hide
 * it by module (module:libgatelib), by entry point
 * (entry:gatelib_remember) or by a frame (site:gatelib_stash).
 */
#ifndef HB_GATELIB_H
#define HB_GATELIB_H

/* Allocates n records of 32 bytes and loses them. Returns n. */
int gatelib_remember(int n);

#endif
