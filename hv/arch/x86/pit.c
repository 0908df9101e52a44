/* The 8254 PIT as a reference clock for TSC calibration: channel 2, gated
 * through port 0x61, counts down once; its output rises at zero. */
#include "arch/x86/pit.h"
#include "arch/x86/cpu.h"

#define PIT_HZ 1193182		/* the 8254's input clock */
#define PIT_CHANNEL2_DATA 0x42
#define PIT_COMMAND 0x43
#define PIT_CMD_CH2_LOHI_MODE0 0xb0	/* channel 2, lo/hi byte, mode 0 */
#define PORT_NMI_SC 0x61		/* system control port B */
#define NMI_SC_GATE2 0x01
#define NMI_SC_SPEAKER 0x02
#define NMI_SC_OUT2 0x20

uint64_t pit_measure_tsc_khz(unsigned ms)
{
	uint32_t count = PIT_HZ * ms / 1000;
	uint8_t sc = inb(PORT_NMI_SC);

	outb(PORT_NMI_SC, (sc & ~NMI_SC_SPEAKER) | NMI_SC_GATE2);
	outb(PIT_COMMAND, PIT_CMD_CH2_LOHI_MODE0);
	outb(PIT_CHANNEL2_DATA, count & 0xff);
	outb(PIT_CHANNEL2_DATA, count >> 8);

	uint64_t start = rdtsc();
	while (!(inb(PORT_NMI_SC) & NMI_SC_OUT2))
		cpu_relax();
	uint64_t end = rdtsc();

	outb(PORT_NMI_SC, sc);
	/* The count covers count / PIT_HZ seconds exactly. */
	return (end - start) * PIT_HZ / count / 1000;
}
