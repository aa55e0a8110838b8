/*
 * local_debuginfo.h - a module's separate debug file, looked for on this
 * machine only.
 *
 * libdw's dwfl_standard_find_debuginfo ends a search that found nothing by
 * asking the debuginfod client, and that loads libdebuginfod with its
 * dependencies (curl, gnutls, krb5, ldap, ...: 25 libraries, 8 MB of
 * resident pages) even when no server is configured. A module without
 * debug info is the common case (a program's own libraries, a package
 * without its -dbgsym), so every report paid for it. This finder does the
 * same local search and never reaches the network client: the symbolizer
 * uses it unless DEBUGINFOD_URLS names a server (report --debuginfod).
 */
#ifndef HB_LOCAL_DEBUGINFO_H
#define HB_LOCAL_DEBUGINFO_H

#include <elfutils/libdwfl.h>

/* A Dwfl_Callbacks.find_debuginfo. The module's userdata (dwfl_module_info)
 * must point to the search path, in the syntax of Dwfl_Callbacks'
 * debuginfo_path (":"-separated; a leading "-" or "+" is the CRC flag, and
 * is ignored: a candidate is checked by build-id instead):
 *   - by build-id, under each absolute directory (.build-id/xx/rest.debug),
 *     as libdw's dwfl_build_id_find_debuginfo does;
 *   - by the module's .gnu_debuglink name (else its base name + ".debug"):
 *     an empty entry is the module's directory, a relative one a
 *     subdirectory of it, an absolute one a tree that mirrors the module's
 *     directory; first for the module's path, then for its resolved path.
 * A candidate is taken when its build-id is the module's (any candidate,
 * when the module has none), and never when it is the module's own file.
 * Returns an open descriptor and sets *debuginfo_file_name, or -1. */
int local_debuginfo_find(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
			 const char *file_name, const char *debuglink_file, GElf_Word debuglink_crc,
			 char **debuginfo_file_name);

#endif
