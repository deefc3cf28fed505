/*
 * kernel/ktime.h on x86-64: the TSC, counted in nanoseconds with a multiplier fixed at boot.
 *
 * Calibration: PIT channel 2 (the one gated through port 0x61, whose output bit 5 of that port
 * shows) counts down CALIBRATE_COUNT ticks of its 1193182 Hz clock in mode 0 while we read the TSC
 * before and after; that gives the TSC's rate to about 0.01% (the poll loop's granularity over
 * 20 ms). Channel 0, the system tick, is not touched. The TSC is assumed to run at a constant rate
 * (every CPU QEMU emulates, and every x86-64 CPU with an invariant TSC, does).
 */
#include "kernel/ktime.h"
#include "arch/x86_64/cpu.h"
#include "kernel/kprintf.h"

#define PIT_HZ 1193182u
#define PIT_CH2 0x42
#define PIT_CMD 0x43
#define PIT_CH2_ONESHOT 0xb0 /* channel 2, lobyte/hibyte, mode 0 (interrupt on terminal count), binary */
#define PORT_B 0x61          /* bit 0: channel 2 gate, bit 1: speaker, bit 5: channel 2 output */
#define CALIBRATE_COUNT 23864u /* 20 ms of PIT ticks */
/* Polls of the output bit before giving up on the PIT (far more than 20 ms takes anywhere). */
#define CALIBRATE_POLLS 100000000u
/* The rate assumed if the PIT never answers, so that the clock still runs forward. */
#define FALLBACK_HZ 1000000000ull

static uint64_t tsc_base;
static uint64_t ns_mult; /* nanoseconds per TSC tick, times 2^32 */

static uint64_t measure_tsc_hz(void)
{
	uint8_t port_b = inb(PORT_B);

	outb(PORT_B, (uint8_t)((port_b & ~0x02) | 0x01));
	outb(PIT_CMD, PIT_CH2_ONESHOT);
	outb(PIT_CH2, CALIBRATE_COUNT & 0xff);
	outb(PIT_CH2, CALIBRATE_COUNT >> 8);
	uint64_t t0 = rdtsc();
	uint32_t polls = 0;
	while (!(inb(PORT_B) & 0x20) && ++polls < CALIBRATE_POLLS)
		;
	uint64_t t1 = rdtsc();
	outb(PORT_B, port_b);
	if (polls == CALIBRATE_POLLS || t1 <= t0)
		return 0;
	return (t1 - t0) * PIT_HZ / CALIBRATE_COUNT;
}

void ktime_init(void)
{
	uint64_t hz = measure_tsc_hz();

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
