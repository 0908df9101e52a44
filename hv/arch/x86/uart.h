#ifndef ARCH_X86_UART_H
#define ARCH_X86_UART_H

void uart_init(void);
void uart_putc(char c);		/* '\n' goes out as "\r\n" */
int uart_getc_nonblocking(void);	/* -1 when nothing is waiting */

#endif
