/*
 * read_progress.h - "reading TRACE: 412 MB of 1.2 GB, 96 MB/s" on a
 * terminal while a large trace is read.
 *
 * A reader calls read_progress_update after each block. Nothing is printed
 * unless stderr is a terminal, and then only once reading has taken half a
 * second (a small trace says nothing), at most four times a second, on one
 * line rewritten in place, which read_progress_done clears. So scripts and
 * CI logs (stderr not a TTY) never see it, and neither does a user whose
 * trace reads in an instant.
 */
#ifndef HB_READ_PROGRESS_H
#define HB_READ_PROGRESS_H

#include <stdint.h>

struct read_progress {
	const char *path;
	uint64_t total;      /* the file's size */
	uint64_t start_ns, last_ns;
	int tty;             /* stderr is a terminal */
	int shown;           /* a line is on the screen */
};

void read_progress_start(struct read_progress *p, const char *path, uint64_t total);
void read_progress_update(struct read_progress *p, uint64_t done);
void read_progress_done(struct read_progress *p);

/* "1.2 GB", "412 MB", "96 KB", "512 B" into out: the figures it prints. */
void read_progress_bytes(uint64_t n, char *out, unsigned cap);

#endif
