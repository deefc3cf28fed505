/* <machine/serial.h>: the serial console, COM1 (arch/x86_64/serial.c). */
#ifndef MACHINE_SERIAL_H
#define MACHINE_SERIAL_H

/* Program COM1 for 115200 8N1, FIFOs on, interrupts off. Call once, before any output. */
void serial_init(void);
/* Write one byte to COM1, waiting for the transmitter; "\n" is sent as "\r\n". Caller serializes. */
void serial_putc(char c);

/*
 * Turn COM1's receive interrupt on (IRQ 4): from now on every received byte is passed to rx, in
 * the interrupt, in the order received. Once, after pic_init, with a handler that may run with
 * interrupts off and takes only locks that are taken with interrupts off.
 */
void serial_rx_start(void (*rx)(char c));

#endif
