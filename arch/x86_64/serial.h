#ifndef ARCH_X86_64_SERIAL_H
#define ARCH_X86_64_SERIAL_H

/* Program COM1 for 115200 8N1, FIFOs on, interrupts off. Call once, before any output. */
void serial_init(void);
/* Write one byte to COM1, waiting for the transmitter; "\n" is sent as "\r\n". Caller serializes. */
void serial_putc(char c);

#endif
