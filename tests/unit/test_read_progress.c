/*
 * test_read_progress.c - analyzer/read/read_progress.h: the progress line
 * of a long read.
 *
 * Checked: byte counts read as people write them; with stderr not a
 * terminal nothing is ever printed; on a terminal (a pseudo-terminal here)
 * nothing in the first half second, then one line naming the trace, what
 * was read of how much and the rate, which read_progress_done erases.
 */
#include <check.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "read_progress.h"

static void nap_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
}

START_TEST(bytes_read_as_people_write_them)
{
	char b[32];
	read_progress_bytes(0, b, sizeof(b));
	ck_assert_str_eq(b, "0 B");
	read_progress_bytes(999, b, sizeof(b));
	ck_assert_str_eq(b, "999 B");
	read_progress_bytes(1500, b, sizeof(b));
	ck_assert_str_eq(b, "1.5 KB");
	read_progress_bytes(412000000, b, sizeof(b));
	ck_assert_str_eq(b, "412 MB");
	read_progress_bytes(1200000000ull, b, sizeof(b));
	ck_assert_str_eq(b, "1.2 GB");
}
END_TEST

/* Runs a progress of 0.6 s with fd 2 on `fd`; returns what fd 2 got (read
 * from `rd` until it stays quiet), NUL-terminated in out. */
static void run_with_stderr(int fd, int rd, char *out, size_t cap)
{
	int saved = dup(2);
	dup2(fd, 2);
	struct read_progress p;
	read_progress_start(&p, "t.hbt", 2000000);
	read_progress_update(&p, 1000); /* too soon: nothing */
	nap_ms(600);
	read_progress_update(&p, 1000000);
	read_progress_done(&p);
	dup2(saved, 2);
	close(saved);
	/* a pty hands the master what the slave got a little later, in
	 * pieces on a loaded machine: read until 200 ms pass with nothing */
	fcntl(rd, F_SETFL, O_NONBLOCK);
	size_t have = 0;
	struct pollfd pf = {rd, POLLIN, 0};
	while (have < cap - 1 && poll(&pf, 1, 200) > 0) {
		ssize_t n = read(rd, out + have, cap - 1 - have);
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	out[have] = '\0';
}

START_TEST(nothing_when_stderr_is_not_a_terminal)
{
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	char got[512];
	run_with_stderr(p[1], p[0], got, sizeof(got));
	ck_assert_str_eq(got, "");
	close(p[0]);
	close(p[1]);
}
END_TEST

START_TEST(one_line_on_a_terminal_after_half_a_second)
{
	int master, slave;
	ck_assert_int_eq(openpty(&master, &slave, NULL, NULL, NULL), 0);
	char got[512];
	run_with_stderr(slave, master, got, sizeof(got));
	ck_assert_msg(strstr(got, "heapblame: reading t.hbt: 1.0 MB of 2.0 MB, ") != NULL, "got '%s'", got);
	ck_assert_msg(strstr(got, "/s") != NULL, "no rate in '%s'", got);
	/* the line is rewritten in place and erased at the end */
	ck_assert_ptr_nonnull(strstr(got, "\r\033[K"));
	const char *last = strrchr(got, '\r');
	ck_assert_str_eq(last, "\r\033[K");
	close(master);
	close(slave);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("read_progress");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, bytes_read_as_people_write_them);
	tcase_add_test(tc, nothing_when_stderr_is_not_a_terminal);
	tcase_add_test(tc, one_line_on_a_terminal_after_half_a_second);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
