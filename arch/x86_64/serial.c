/* 16550 UART on COM1: the kernel's console, output polled, input by interrupt. */
#include <machine/serial.h>
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/isa_irq.h"
#include "arch/x86_64/pic.h"
#include "arch/x86_64/trap.h"

#define COM1 0x3f8
#define UART_DATA 0
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY 0x20
#define IER_RX_DATA 0x01
#define FCR_FIFO_RX_TRIGGER_1 0x01 /* FIFOs on, receive interrupt at the first byte */
#define MCR_OUT2 0x08              /* on a PC, gates the UART's interrupt line to the PIC */
#define COM1_IRQ 4
#define LCR_DLAB 0x80

void serial_init(void)
{
	outb(COM1 + UART_IER, 0);
	outb(COM1 + UART_LCR, LCR_DLAB);
	outb(COM1 + UART_DATA, 1); /* divisor 1: 115200 baud */
	outb(COM1 + UART_IER, 0);
	outb(COM1 + UART_LCR, 0x03); /* 8 bits, no parity, one stop bit */
	outb(COM1 + UART_FCR, 0xc7); /* FIFOs on and cleared, 14-byte threshold */
	outb(COM1 + UART_MCR, 0x03); /* DTR, RTS */
}

static void put_raw(char c)
{
	while (!(inb(COM1 + UART_LSR) & LSR_THR_EMPTY))
		cpu_relax();
	outb(COM1 + UART_DATA, (uint8_t)c);
}

void serial_putc(char c)
{
	if (c == '\n')
		put_raw('\r');
	put_raw(c);
}

static void (*rx_handler)(char c);

static void serial_irq(struct trapframe *tf)
{
	(void)tf;
	while (inb(COM1 + UART_LSR) & LSR_DATA_READY)
		rx_handler((char)inb(COM1 + UART_DATA));
	isa_irq_eoi(COM1_IRQ);
}

void serial_rx_start(void (*rx)(char c))
{
	rx_handler = rx;
	trap_register(PIC_VECTOR_BASE + COM1_IRQ, serial_irq);
	/* Interrupt at every byte: a typed key must not wait for 13 more or the FIFO timeout. */
	outb(COM1 + UART_FCR, FCR_FIFO_RX_TRIGGER_1);
	outb(COM1 + UART_MCR, 0x03 | MCR_OUT2);
	outb(COM1 + UART_IER, IER_RX_DATA);
	isa_irq_unmask(COM1_IRQ);
}
