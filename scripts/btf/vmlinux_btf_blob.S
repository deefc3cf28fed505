/*
 * The kernel's BTF blob (see scripts/btf/vmlinux_btf.c), embedded as read-only data between
 * __kestrel_btf_start and __kestrel_btf_end: .incbin of the file KESTREL_BTF_BLOB names (the
 * Makefile passes it), so this is assembly only because C cannot include a binary file. 8-byte
 * aligned, so the blob's header and (4-aligned) type section can be read in place.
 */
	.section .rodata.kestrel_btf, "a"
	.balign 8
	.globl __kestrel_btf_start
	.type __kestrel_btf_start, @object
__kestrel_btf_start:
	.incbin KESTREL_BTF_BLOB
	.globl __kestrel_btf_end
	.type __kestrel_btf_end, @object
__kestrel_btf_end:
	.size __kestrel_btf_start, __kestrel_btf_end - __kestrel_btf_start

	.section .note.GNU-stack, "", @progbits
