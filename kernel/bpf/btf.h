/*
 * BTF objects: a checked BPF Type Format blob (include/uapi/linux/btf.h), its lookups, and its
 * life as a kernel object with an id (BPF_BTF_GET_NEXT_ID, BPF_BTF_GET_FD_BY_ID). Their fds, the
 * bpf(2) commands and the kernel's own object are kernel/bpf/btf_sys.h's.
 *
 * Two kinds of BTF exist: the kernel's (btf_sys.h's btf_vmlinux(): the types of
 * include/uapi/kestrel_btf_types.h and the kfuncs, generated at build time, always id 1, name
 * "vmlinux", never freed) and BTF that user space loads (BPF_BTF_LOAD: a program's types, for its
 * func_info and line_info). Both go through btf_parse, which trusts nothing: a blob it accepts
 * has a well-formed header and sections, every type of a kind Linux knows with a valid name and
 * in-range type ids, no loop through modifiers, typedefs, pointers or by-value members, and every
 * size and offset consistent (Linux's btf_parse rules, with its errors and log lines). Everything
 * below may then index the blob without further checks.
 *
 * References: btf_parse's caller holds the first; btf_get/btf_put count more (fds, programs, id
 * lookups). The last put frees the object and removes its id. A struct btf never changes after
 * btf_parse, so lookups need no lock.
 */
#ifndef KERNEL_BPF_BTF_H
#define KERNEL_BPF_BTF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "uapi/linux/btf.h"

struct btf;

#define BTF_MAX_SIZE (16u * 1024 * 1024) /* the largest blob BPF_BTF_LOAD takes (Linux's) */
#define BTF_NAME_LEN 16                  /* bpf_btf_info's name, with its NUL */

/* The log of a parse: as the verifier's (BPF_LOG_* levels, rotating unless BPF_LOG_FIXED). */
struct btf_log_attr {
	char *buf; /* a kernel buffer of size bytes, or NULL */
	uint32_t size;
	uint32_t level;
	uint32_t true_size; /* out: the bytes the whole log needed, with its NUL (0: no log) */
};

/*
 * Check the size bytes at data and make them a BTF object: 0 and *out (one reference, the
 * caller's; no id until btf_publish), or, in Linux's order:
 *   -E2BIG   size above BTF_MAX_SIZE;
 *   -EINVAL  the log attributes (as the verifier's: buf and size both set or both 0, level within
 *            BPF_LOG_MASK and nonzero with a buffer, size below 2^30);
 *   -ENOMEM;
 *   -EINVAL  a malformed blob, the reason the log's last line ("Invalid magic", "[3] STRUCT foo
 *            member#0 Invalid member" ...); -ENOTSUPP an unknown version or flags; -E2BIG a
 *            header longer than Kestrel's with nonzero bytes past it, more than BTF_MAX_TYPE
 *            types, or a chain of types deeper than 32 ("Exceeded max resolving depth");
 *            -EEXIST a loop ("Loop detected"); -ELOOP a chain of modifiers longer than 32 when
 *            type tags are checked;
 *   -ENOSPC  the log did not fit its buffer (it then holds its end, or its start with
 *            BPF_LOG_FIXED): overrides success and the other errors, as Linux.
 * log may be NULL (no log). data is copied: the caller keeps it. Passes preemption points
 * (kernel/preempt.h) on large blobs: call it with no spinlock held.
 */
int btf_parse(const void *data, uint32_t size, struct btf_log_attr *log, struct btf **out);

/*
 * btf_parse of size bytes at src that copy (0 or -EFAULT) brings into the kernel: BPF_BTF_LOAD's
 * blob in user memory. The same errors in the same order, with -EFAULT after -ENOMEM when copy
 * fails (the log is still finalized then, as Linux's).
 */
typedef int (*btf_copy_fn)(void *dst, const void *src, size_t n);
int btf_parse_copy(const void *src, uint32_t size, btf_copy_fn copy, struct btf_log_attr *log,
		   struct btf **out);

/* btf_parse for the kernel's own BTF: the same checks, no log; kernel_btf set and named name. */
int btf_parse_kernel(const void *data, uint32_t size, const char *name, struct btf **out);

/* Take another reference (the caller holds one) / drop one (the last frees; see above). */
void btf_get(struct btf *btf);
void btf_put(struct btf *btf);

/*
 * Give btf an id so that BPF_BTF_GET_FD_BY_ID and _GET_NEXT_ID find it: 0, or -ENOMEM / -ENOSPC
 * (kernel/bpf/obj.h). Once per object, before anyone else can see it.
 */
int btf_publish(struct btf *btf);

/* The BTF with this id, referenced (0 and *out), or -ENOENT. The smallest id above start: 0 or -ENOENT. */
int btf_get_by_id(uint32_t id, struct btf **out);
int btf_get_next_id(uint32_t start, uint32_t *next);

/* BTF objects alive now (parsed and not yet freed, the kernel's included): leak checks. */
size_t btf_objs_live(void);

/* ---- what an object is */

uint32_t btf_obj_id(const struct btf *btf);
bool btf_is_kernel(const struct btf *btf);
const char *btf_obj_name(const struct btf *btf);                 /* "vmlinux" or "" */
const void *btf_raw_data(const struct btf *btf, uint32_t *size); /* the blob as given */

/* ---- lookups (any id, checked: out-of-range ids give NULL / errors, never a wild read) */

/* Types are ids 1 .. btf_nr_types() - 1; 0 is void. */
uint32_t btf_nr_types(const struct btf *btf);
/* The type of id, or NULL for void (0) and ids out of range. */
const struct btf_type *btf_type_by_id(const struct btf *btf, uint32_t id);
/* The string at offset off of the string section, or NULL if off is outside it. "" for 0. */
const char *btf_name_by_offset(const struct btf *btf, uint32_t off);
/* A type's name ("" when anonymous or for void); id may be anything. */
const char *btf_type_name(const struct btf *btf, uint32_t id);
/* The first type of kind with this name: its id, or -ENOENT. */
int32_t btf_find_by_name_kind(const struct btf *btf, const char *name, uint8_t kind);

/* The type under any typedefs and modifiers (const, volatile, restrict, type tags) from id; its
   id in *res_id (may be NULL). NULL when that is void or id is out of range. */
const struct btf_type *btf_type_skip_modifiers(const struct btf *btf, uint32_t id,
					       uint32_t *res_id);
/* The byte size of type id (through modifiers; a pointer's is 8), or 0 for void, functions,
   forward declarations and ids out of range. */
uint32_t btf_type_size(const struct btf *btf, uint32_t id);
/* For a pointer type (through modifiers): the struct or union it points to (through modifiers),
   its id; 0 when id is not a pointer or points to anything else. */
uint32_t btf_ptr_struct_target(const struct btf *btf, uint32_t id);

/* What a load from a struct yields (btf_struct_access). */
struct btf_access {
	uint32_t btf_id;    /* nonzero: the bytes are a pointer to this struct or union */
	uint32_t member_id; /* the innermost member's type id (its declared type, modifiers kept) */
	uint32_t member_off; /* that member's byte offset from the outer struct */
};

/*
 * A read of size bytes at byte offset off of the struct or union type struct_id (through
 * modifiers): 0 when [off, off + size) lies within one member (of nested structs, unions and
 * array elements too, innermost first), with *out; -EACCES when it does not (padding, past the
 * end, two members, a part of a pointer or a bitfield's bytes), or struct_id is not a struct or
 * union. A member that is a pointer to a struct or union, read whole, gives that type's id;
 * anything else is a number (btf_id 0). Unions: the first member that holds the bytes.
 */
int btf_struct_access(const struct btf *btf, uint32_t struct_id, uint32_t off, uint32_t size,
		      struct btf_access *out);

/* Check the object's invariants (every type id in range, sizes consistent): NULL or what is
   broken. For tests. */
const char *btf_check(const struct btf *btf);

#endif
