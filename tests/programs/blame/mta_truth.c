/*
 * mta_truth.c - the truth of the demo's libmta.so (examples/mta.c), for the
 * blame_demo test: compiles mta.c into itself and prints what one leaked
 * retry record weighs and how many messages make one.
 *
 * Truth: `TRUTH retry_size=S retry_every=E`: libmta leaks one record of S
 * bytes (calloc(1, sizeof(struct retry))) for every E messages submitted.
 */
#include "../../../examples/mta.c"

#include "../truth.h"

int main(void)
{
	hb_truth("retry_size=%zu retry_every=%d", sizeof(struct retry), MTA_RETRY_EVERY);
	return 0;
}
