/*
 * kernel/ktime.h on x86-64: the TSC, counted in nanoseconds with a multiplier fixed at boot.
 *
 * Calibration: PIT channel 2 (the one gated through port 0x61, whose output bit 5 of that port
 * shows) counts down CALIBRATE_COUNT ticks of its 1193182 Hz clock in mode 0 while we read the TSC
 * before and after; that gives the TSC's rate to about 0.01% (the poll loop's granularity over
 * 20 ms) when nothing stops the CPU in between. Under QEMU the host may stop the vCPU for many
 * milliseconds, which would make the rate wrong by as much; each end of a measurement is therefore
 * bracketed by two TSC reads, and a measurement with a loose end is taken again. Channel 0, the system tick, is not touched. The TSC is assumed to run at a constant rate
 * (every CPU QEMU emulates, and every x86-64 CPU with an invariant TSC, does).
 */
#include "kernel/ktime.h"

#include <stdbool.h>

#include "arch/x86_64/cpu.h"
#include "kernel/kprintf.h"

#define PIT_HZ 1193182u
#define PIT_CH2 0x42
#define PIT_CMD 0x43
#define PIT_CH2_ONESHOT \
	0xb0        /* channel 2, lobyte/hibyte, mode 0 (interrupt on terminal count), binary */
#define PORT_B 0x61 /* bit 0: channel 2 gate, bit 1: speaker, bit 5: channel 2 output */
#define CALIBRATE_COUNT 23864u /* 20 ms of PIT ticks */
/* Polls of the output bit before giving up on the PIT (far more than 20 ms takes anywhere). */
#define CALIBRATE_POLLS 100000000u
/* Measurements at most; each takes 20 ms. */
#define CALIBRATE_TRIES 8
/* The rate assumed if the PIT never answers, so that the clock still runs forward. */
#define FALLBACK_HZ 1000000000ull

static uint64_t tsc_base;
static uint64_t ns_mult; /* nanoseconds per TSC tick, times 2^32 */

/*
 * One measurement: the TSC rate, and in *slack the TSC ticks of doubt at its two ends (from just
 * before the PIT starts to just after, and from the last poll that saw it counting to the one that
 * saw it done). Under QEMU a host that deschedules the vCPU inside either end makes that end long;
 * the caller then measures again. 0: the PIT never finished.
 */
static uint64_t measure_tsc_hz(uint64_t *slack)
{
	uint8_t port_b = inb(PORT_B);
	uint32_t polls = 0;

	outb(PORT_B, (uint8_t)((port_b & ~0x02) | 0x01));
	outb(PIT_CMD, PIT_CH2_ONESHOT);
	outb(PIT_CH2, CALIBRATE_COUNT & 0xff);
	uint64_t s0 = rdtsc();
	outb(PIT_CH2, CALIBRATE_COUNT >> 8); /* the count starts here */
	uint64_t s1 = rdtsc(), prev = s1, t1;
	for (;;) {
		bool done = inb(PORT_B) & 0x20;
		t1 = rdtsc();
		if (done || ++polls == CALIBRATE_POLLS)
			break;
		prev = t1;
	}
	outb(PORT_B, port_b);
	if (polls == CALIBRATE_POLLS || t1 <= s1)
		return 0;
	*slack = (s1 - s0) + (t1 - prev);
	return ((t1 + prev) / 2 - (s0 + s1) / 2) * PIT_HZ / CALIBRATE_COUNT;
}

/* The measurement with the least slack of up to CALIBRATE_TRIES, stopping at a tight one. */
static uint64_t calibrate_tsc_hz(void)
{
	uint64_t best = 0, best_slack = ~0ull;

	for (int i = 0; i < CALIBRATE_TRIES; i++) {
		uint64_t slack, hz = measure_tsc_hz(&slack);
		if (!hz)
			return best;
		if (slack < best_slack) {
			best = hz;
			best_slack = slack;
		}
		/* Tight: both ends known to 1/1000 of the 20 ms (20 us). */
		if (best_slack * 1000 < best / 50)
			break;
	}
	return best;
}

void ktime_init(void)
{
	uint64_t hz = calibrate_tsc_hz();

	if (!hz) {
		kprintf("ktime: the PIT did not answer; assuming a %llu Hz TSC\n", FALLBACK_HZ);
		hz = FALLBACK_HZ;
	}
	ns_mult = (uint64_t)(((unsigned __int128)1000000000u << 32) / hz);
	tsc_base = rdtsc();
	kprintf("ktime: TSC at %lu kHz (calibrated against the PIT)\n", hz / 1000);
}

uint64_t ktime_get_ns(void)
{
	return (uint64_t)(((unsigned __int128)(rdtsc() - tsc_base) * ns_mult) >> 32);
}
