/*
 * test_config.c - unit tests for shim/config.h (and the signal-list syntax of
 * include/heapblame/signal_names.h that it uses).
 *
 * hb_config_read takes a getenv-like function, so each case hands it a small
 * table of variables. Checked: the documented defaults with an empty
 * environment; every HEAPBLAME_* variable parsed at both ends of its range;
 * every out-of-range or malformed value counted once in `bad` with the
 * default kept; and the signal lists ("TERM,INT", "SIGTERM", "15", "none",
 * "fatal", the default: every signal whose default action ends the process)
 * accepted with their exact masks while uncatchable, unknown or glibc's own
 * signals ("KILL", "FOO", SIGSTOP's number, 32, 33...) are rejected without
 * touching *mask.
 */
#include <check.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#define BIT(sig) (1ull << (sig))
/* signal(7): every signal whose default action is Term or Core, written
 * out here apart from signal_names.h's own table */
#define CLASSIC_FATAL_MASK                                                                             \
	(BIT(SIGHUP) | BIT(SIGINT) | BIT(SIGQUIT) | BIT(SIGILL) | BIT(SIGTRAP) | BIT(SIGABRT) | BIT(SIGBUS) | \
	 BIT(SIGFPE) | BIT(SIGUSR1) | BIT(SIGSEGV) | BIT(SIGUSR2) | BIT(SIGPIPE) | BIT(SIGALRM) |            \
	 BIT(SIGTERM) | BIT(SIGSTKFLT) | BIT(SIGXCPU) | BIT(SIGXFSZ) | BIT(SIGVTALRM) | BIT(SIGPROF) |      \
	 BIT(SIGIO) | BIT(SIGPWR) | BIT(SIGSYS))
/* and the real-time signals glibc leaves to programs, SIGRTMIN .. 63 */
#define RT_MASK (~0ull << SIGRTMIN & ~BIT(0))
#define DEFAULT_SIGNAL_MASK (CLASSIC_FATAL_MASK | RT_MASK)

/* The fake environment: NULL-terminated name/value pairs. */
static const char *const *fake_env;

static const char *env_lookup(const char *name)
{
	for (const char *const *e = fake_env; e && e[0]; e += 2)
		if (strcmp(e[0], name) == 0)
			return e[1];
	return NULL;
}

static void read_with(struct hb_config *c, const char *const *env)
{
	fake_env = env;
	memset(c, 0x5a, sizeof(*c)); /* hb_config_read must set every field */
	hb_config_read(c, env_lookup);
}

static void assert_defaults_except(const struct hb_config *c, const char *except)
{
	if (!except || strcmp(except, "output"))
		ck_assert_ptr_null(c->output);
	if (!except || strcmp(except, "wrappers"))
		ck_assert_ptr_null(c->wrappers);
	if (!except || strcmp(except, "manifest"))
		ck_assert_ptr_null(c->manifest);
	if (!except || strcmp(except, "depth"))
		ck_assert_uint_eq(c->depth, 64);
	if (!except || strcmp(except, "interval"))
		ck_assert_uint_eq(c->interval_ms, 1000);
	if (!except || strcmp(except, "follow"))
		ck_assert_int_eq(c->follow, 1);
	if (!except || strcmp(except, "zstd"))
		ck_assert_int_eq(c->zstd_level, 3);
	if (!except || strcmp(except, "signals"))
		ck_assert_uint_eq(c->signals, DEFAULT_SIGNAL_MASK);
}

START_TEST(defaults_with_empty_environment)
{
	struct hb_config c;
	static const char *const env[] = {NULL};
	read_with(&c, env);
	assert_defaults_except(&c, NULL);
	ck_assert_int_eq(c.bad, 0);
}
END_TEST

START_TEST(strings_are_copied)
{
	struct hb_config c;
	/* a server that sets its process title writes over its environment */
	static char out[] = "/tmp/traces/%p.hbt", wr[] = "libglib*,libfoo", man[] = "/tmp/manifest";
	const char *const env[] = {"HEAPBLAME_OUTPUT", out, "HEAPBLAME_WRAPPERS", wr, "HEAPBLAME_MANIFEST", man,
				   NULL};
	read_with(&c, env);
	memset(out, 'X', sizeof(out) - 1);
	memset(wr, 'X', sizeof(wr) - 1);
	memset(man, 'X', sizeof(man) - 1);
	ck_assert_str_eq(c.output, "/tmp/traces/%p.hbt");
	ck_assert_str_eq(c.wrappers, "libglib*,libfoo");
	ck_assert_str_eq(c.manifest, "/tmp/manifest");
	ck_assert_int_eq(c.bad, 0);
}
END_TEST

START_TEST(too_long_strings_are_bad)
{
	struct hb_config c;
	static char out[5000];
	memset(out, 'a', sizeof(out) - 1);
	const char *const env[] = {"HEAPBLAME_OUTPUT", out, NULL};
	read_with(&c, env);
	ck_assert_ptr_null(c.output);
	ck_assert_int_eq(c.bad, 1);
	ck_assert_str_eq(c.bad_names, "HEAPBLAME_OUTPUT");
}
END_TEST

START_TEST(empty_strings_mean_unset)
{
	struct hb_config c;
	static const char *const env[] = {"HEAPBLAME_OUTPUT", "", "HEAPBLAME_WRAPPERS", "", "HEAPBLAME_MANIFEST", "",
					  NULL};
	read_with(&c, env);
	assert_defaults_except(&c, NULL);
	ck_assert_int_eq(c.bad, 0);
}
END_TEST

START_TEST(numbers_parse_at_range_ends)
{
	struct hb_config c;
	static const char *const lo[] = {"HEAPBLAME_DEPTH", "1", "HEAPBLAME_INTERVAL_MS", "10", "HEAPBLAME_ZSTD_LEVEL",
					 "1", NULL};
	read_with(&c, lo);
	ck_assert_uint_eq(c.depth, 1);
	ck_assert_uint_eq(c.interval_ms, 10);
	ck_assert_int_eq(c.zstd_level, 1);
	ck_assert_int_eq(c.bad, 0);

	static const char *const hi[] = {"HEAPBLAME_DEPTH", "256", "HEAPBLAME_INTERVAL_MS", "3600000",
					 "HEAPBLAME_ZSTD_LEVEL", "19", NULL};
	read_with(&c, hi);
	ck_assert_uint_eq(c.depth, HB_DEPTH_MAX);
	ck_assert_uint_eq(c.depth, 256);
	ck_assert_uint_eq(c.interval_ms, 3600000);
	ck_assert_int_eq(c.zstd_level, 19);
	ck_assert_int_eq(c.bad, 0);
}
END_TEST

START_TEST(follow_zero_and_one)
{
	struct hb_config c;
	static const char *const off[] = {"HEAPBLAME_FOLLOW", "0", NULL};
	read_with(&c, off);
	ck_assert_int_eq(c.follow, 0);
	ck_assert_int_eq(c.bad, 0);
	assert_defaults_except(&c, "follow");
	static const char *const on[] = {"HEAPBLAME_FOLLOW", "1", NULL};
	read_with(&c, on);
	ck_assert_int_eq(c.follow, 1);
	ck_assert_int_eq(c.bad, 0);
}
END_TEST

START_TEST(signals_variable_is_parsed)
{
	struct hb_config c;
	static const char *const env[] = {"HEAPBLAME_SIGNALS", "USR1,SIGUSR2,15", NULL};
	read_with(&c, env);
	ck_assert_uint_eq(c.signals, BIT(SIGUSR1) | BIT(SIGUSR2) | BIT(SIGTERM));
	ck_assert_int_eq(c.bad, 0);
	assert_defaults_except(&c, "signals");
	static const char *const sigterm[] = {"HEAPBLAME_SIGNALS", "SIGTERM", NULL};
	read_with(&c, sigterm);
	ck_assert_uint_eq(c.signals, BIT(SIGTERM));
	ck_assert_int_eq(c.bad, 0);
	static const char *const none[] = {"HEAPBLAME_SIGNALS", "none", NULL};
	read_with(&c, none);
	ck_assert_uint_eq(c.signals, 0);
	ck_assert_int_eq(c.bad, 0);
}
END_TEST

/* One bad value at a time: counted once, that field keeps its default. */
START_TEST(bad_values_are_counted_and_defaults_kept)
{
	static const struct {
		const char *var, *val, *field;
	} cases[] = {
		{"HEAPBLAME_DEPTH", "0", "depth"},
		{"HEAPBLAME_DEPTH", "257", "depth"},
		{"HEAPBLAME_DEPTH", "abc", "depth"},
		{"HEAPBLAME_DEPTH", "12x", "depth"},
		{"HEAPBLAME_DEPTH", "-1", "depth"},
		{"HEAPBLAME_DEPTH", "99999999999999999999999", "depth"},
		{"HEAPBLAME_INTERVAL_MS", "9", "interval"},
		{"HEAPBLAME_INTERVAL_MS", "3600001", "interval"},
		{"HEAPBLAME_INTERVAL_MS", "1s", "interval"},
		{"HEAPBLAME_ZSTD_LEVEL", "0", "zstd"},
		{"HEAPBLAME_ZSTD_LEVEL", "20", "zstd"},
		{"HEAPBLAME_ZSTD_LEVEL", "fast", "zstd"},
		{"HEAPBLAME_FOLLOW", "2", "follow"},
		{"HEAPBLAME_FOLLOW", "yes", "follow"},
		{"HEAPBLAME_SIGNALS", "KILL", "signals"},
		{"HEAPBLAME_SIGNALS", "FOO", "signals"},
		{"HEAPBLAME_SIGNALS", "TERM,FOO", "signals"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct hb_config c;
		const char *const env[] = {cases[i].var, cases[i].val, NULL};
		read_with(&c, env);
		ck_assert_msg(c.bad == 1, "%s=%s: bad is %d, want 1", cases[i].var, cases[i].val, c.bad);
		assert_defaults_except(&c, NULL);
	}
}
END_TEST

START_TEST(bad_values_add_up)
{
	struct hb_config c;
	static const char *const env[] = {"HEAPBLAME_DEPTH", "0", "HEAPBLAME_INTERVAL_MS", "5", "HEAPBLAME_ZSTD_LEVEL",
					  "99", "HEAPBLAME_FOLLOW", "maybe", "HEAPBLAME_SIGNALS", "KILL",
					  "HEAPBLAME_OUTPUT", "/x", NULL};
	read_with(&c, env);
	ck_assert_int_eq(c.bad, 5);
	assert_defaults_except(&c, "output");
	ck_assert_str_eq(c.output, "/x");
}
END_TEST

START_TEST(signal_lists_are_accepted)
{
	const struct { /* not static: SIGRTMIN is a call */
		const char *s;
		uint64_t mask;
	} ok[] = {
		{"TERM,INT", BIT(SIGTERM) | BIT(SIGINT)},
		{"SIGTERM", BIT(SIGTERM)},
		{"15", BIT(15)},
		{"none", 0},
		{"HUP", BIT(SIGHUP)},
		{"SIGSEGV,SIGBUS,1", BIT(SIGSEGV) | BIT(SIGBUS) | BIT(1)},
		/* a SIG-prefixed name as the last element */
		{"TERM,SIGSEGV", BIT(SIGTERM) | BIT(SIGSEGV)},
		{"SIGUSR1", BIT(SIGUSR1)},
		{"SIGHUP", BIT(SIGHUP)},
		{"INT,SIGXCPU", BIT(SIGINT) | BIT(SIGXCPU)},
		{"USR1,USR2,PIPE,ALRM,XCPU,XFSZ,SYS,TRAP",
		 BIT(SIGUSR1) | BIT(SIGUSR2) | BIT(SIGPIPE) | BIT(SIGALRM) | BIT(SIGXCPU) | BIT(SIGXFSZ) | BIT(SIGSYS) |
			 BIT(SIGTRAP)},
		{"63", BIT(63)},
		{"TERM,TERM", BIT(SIGTERM)},
		{"TERM,INT,HUP,QUIT,ABRT,SEGV,BUS,FPE,ILL",
		 BIT(SIGTERM) | BIT(SIGINT) | BIT(SIGHUP) | BIT(SIGQUIT) | BIT(SIGABRT) | BIT(SIGSEGV) | BIT(SIGBUS) |
			 BIT(SIGFPE) | BIT(SIGILL)},
		{"fatal", DEFAULT_SIGNAL_MASK},
		{"FATAL", DEFAULT_SIGNAL_MASK},
		{"fatal,TERM", DEFAULT_SIGNAL_MASK},
		{"PIPE,fatal", DEFAULT_SIGNAL_MASK},
		{"STKFLT,VTALRM,PROF,IO,POLL,PWR", BIT(SIGSTKFLT) | BIT(SIGVTALRM) | BIT(SIGPROF) | BIT(SIGIO) | BIT(SIGPWR)},
		{"34", BIT(34)},
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		uint64_t m = 0xabcdef;
		ck_assert_msg(hb_config_parse_signals(ok[i].s, &m) == 0, "\"%s\" rejected", ok[i].s);
		ck_assert_msg(m == ok[i].mask, "\"%s\": mask %#llx, want %#llx", ok[i].s, (unsigned long long)m,
			      (unsigned long long)ok[i].mask);
	}
}
END_TEST

START_TEST(uncatchable_and_unknown_signals_are_rejected)
{
	static const char *const bad[] = {
		"KILL", "FOO", "SIGKILL", "STOP", "SIGSTOP", "9", "19", "0", "64", "100", "TERM,FOO", "TERM,KILL",
		",TERM", "TERM,,INT", "SIG", "1x", "-15", "SIG15x",
		/* glibc's own: SIGCANCEL and SIGSETXID */
		"32", "33", "TERM,32", "SIGfatal", "fatal2",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t m = 0xabcdef;
		ck_assert_msg(hb_config_parse_signals(bad[i], &m) == -1, "\"%s\" accepted", bad[i]);
		ck_assert_msg(m == 0xabcdef, "\"%s\": mask written on failure", bad[i]);
	}
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("config");
	tcase_add_test(tc, defaults_with_empty_environment);
	tcase_add_test(tc, strings_are_copied);
	tcase_add_test(tc, too_long_strings_are_bad);
	tcase_add_test(tc, empty_strings_mean_unset);
	tcase_add_test(tc, numbers_parse_at_range_ends);
	tcase_add_test(tc, follow_zero_and_one);
	tcase_add_test(tc, signals_variable_is_parsed);
	tcase_add_test(tc, bad_values_are_counted_and_defaults_kept);
	tcase_add_test(tc, bad_values_add_up);
	tcase_add_test(tc, signal_lists_are_accepted);
	tcase_add_test(tc, uncatchable_and_unknown_signals_are_rejected);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(config_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
