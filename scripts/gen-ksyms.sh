#!/bin/sh
# Writes, as assembly on stdout, the table of function names that panic
# stack traces print (hv/core/symbols.c): the text symbols of ELF, sorted by
# address. The table goes last in .rodata (linker.ld), so linking it in
# moves no code and the addresses stay true.
set -eu
elf=$1
nm -n --defined-only "$elf" | awk 'BEGIN { n = 0 }
	$2 ~ /^[tT]$/ && $3 !~ /^\.L/ && $1 != last {
		addr[n] = $1; name[n] = $3; n++; last = $1
	}
	END {
		print "\t.section .ksyms, \"a\""
		print "\t.balign 8"
		print "\t.globl ksym_count"
		print "ksym_count:\n\t.quad " n
		print "\t.globl ksym_addrs"
		print "ksym_addrs:"
		for (i = 0; i < n; i++) print "\t.quad 0x" addr[i]
		print "\t.globl ksym_names"
		print "ksym_names:"
		for (i = 0; i < n; i++) print "\t.asciz \"" name[i] "\""
	}'
