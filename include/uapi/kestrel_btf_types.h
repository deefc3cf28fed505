/*
 * The kernel types BPF programs see: the one definition of them, read three ways.
 *   - BPF programs include it through include/bpf/vmlinux.h, which marks every record
 *     preserve_access_index, as bpftool's vmlinux.h does;
 *   - scripts/btf/vmlinux_btf.c compiles it with clang's BPF target into the kernel's BTF (type id
 *     and field names for the verifier, CO-RE relocations and kfunc externs for the loader);
 *   - the kernel (gcc, and the host tests) includes it to build the objects it hands to programs
 *     (snapshots of a task, a VMA, a file), so a program reads exactly these layouts.
 * Plain C only: no clang attributes here, and nothing a record needs from outside but <linux/bpf.h>.
 *
 * Names are Linux's (types, fields, typedefs) for what Kestrel has; layouts are Kestrel's own.
 * A program compiled against this header, or against Linux's vmlinux.h, finds each field by name
 * through its CO-RE relocations, so fields may move and new ones may be added here; a field
 * must not change its meaning or disappear. Pointers in these records point to records of this
 * header (or are NULL); programs read them through BTF-typed pointers, never write them.
 *
 * One spelling differs outside BPF code: the kernel's own `struct file` is the fd layer's
 * (kernel/fd.h), so gcc sees Linux's struct file as `struct btf_file`; BPF programs and the BTF
 * see `struct file`.
 */
#ifndef UAPI_KESTREL_BTF_TYPES_H
#define UAPI_KESTREL_BTF_TYPES_H

#include "linux/bpf.h"

#ifdef __bpf__
#define KESTREL_BTF_FILE file
#else
#define KESTREL_BTF_FILE btf_file
#endif

/* ---- the integer typedefs (Linux's names; __u8 ... __s64 and __be16 ... come with linux/bpf.h) */
typedef __u8 u8;
typedef __s8 s8;
typedef __u16 u16;
typedef __s16 s16;
typedef __u32 u32;
typedef __s32 s32;
typedef __u64 u64;
typedef __s64 s64;
typedef int pid_t;
typedef unsigned int uid_t;
typedef unsigned int gid_t;
typedef __u32 dev_t;
typedef unsigned short umode_t;
typedef unsigned int fmode_t;
typedef long long loff_t;
typedef unsigned long vm_flags_t;

#define KESTREL_TASK_COMM_LEN 16    /* Linux's TASK_COMM_LEN */
#define KESTREL_DNAME_INLINE_LEN 40 /* Linux's DNAME_INLINE_LEN on 64-bit machines */

/* ---- files: what a program image's VMA points to (vm_file) */

struct super_block {
	dev_t s_dev; /* the device the file system is on */
};

struct vfsmount {
	struct dentry *mnt_root;
	struct super_block *mnt_sb;
};

/* A name: len bytes at name, NUL-terminated too. */
struct qstr {
	union {
		struct {
			u32 hash;
			u32 len;
		};
		u64 hash_len;
	};
	const unsigned char *name;
};

/* Linux 6.15's short-name store; older programs read the same bytes as d_iname. */
union shortname_store {
	unsigned char string[KESTREL_DNAME_INLINE_LEN];
	unsigned long words[KESTREL_DNAME_INLINE_LEN / 8];
};

struct dentry {
	unsigned int d_flags;
	struct dentry *d_parent; /* itself at the root */
	struct qstr d_name;      /* the name; d_name.name points into d_shortname when short */
	struct inode *d_inode;
	union {
		union shortname_store d_shortname; /* the name when it fits, NUL-terminated */
		unsigned char d_iname[KESTREL_DNAME_INLINE_LEN];
	};
	struct super_block *d_sb;
};

struct inode {
	umode_t i_mode;
	unsigned long i_ino; /* the inode number, unique on i_sb's device */
	struct super_block *i_sb;
	loff_t i_size;
};

struct path {
	struct vfsmount *mnt;
	struct dentry *dentry;
};

struct KESTREL_BTF_FILE {
	struct path f_path;
	struct inode *f_inode;
	unsigned int f_flags;
	fmode_t f_mode;
};

/* ---- address spaces and tasks */

struct mm_struct {
	unsigned long task_size;            /* the end of user addresses */
	int map_count;                      /* VMAs */
	unsigned long total_vm;             /* pages mapped */
	unsigned long start_code, end_code; /* the program image's text */
	unsigned long start_stack;
	struct KESTREL_BTF_FILE *exe_file; /* the program image */
};

/* One VMA: a map entry as Linux's vm_area_struct names it (flags: include/uapi/bpf.h VM_*). */
struct vm_area_struct {
	unsigned long vm_start; /* first byte */
	unsigned long vm_end;   /* one past the last byte */
	struct mm_struct *vm_mm;
	vm_flags_t vm_flags;
	unsigned long vm_pgoff;           /* vm_start's offset in its object, in pages */
	struct KESTREL_BTF_FILE *vm_file; /* the program image for its segments, else NULL */
};

struct task_struct {
	unsigned int __state; /* 0 running or runnable, else sleeping or exiting */
	unsigned int flags;
	pid_t pid;
	pid_t tgid; /* = pid: a Kestrel task is one thread */
	struct task_struct *real_parent;
	struct task_struct *parent;
	struct task_struct *group_leader; /* itself */
	struct mm_struct *mm;             /* NULL for a kernel thread */
	struct mm_struct *active_mm;
	char comm[KESTREL_TASK_COMM_LEN]; /* the program name, NUL-terminated, cut */
	int exit_code;
};

/* ---- tracepoints: the arguments of raw_tp/tp_btf programs (Linux's btf_trace_<name>) */

/* x86-64, as Linux's kernel (not uapi) names the saved registers. */
struct pt_regs {
	unsigned long r15;
	unsigned long r14;
	unsigned long r13;
	unsigned long r12;
	unsigned long bp;
	unsigned long bx;
	unsigned long r11;
	unsigned long r10;
	unsigned long r9;
	unsigned long r8;
	unsigned long ax;
	unsigned long cx;
	unsigned long dx;
	unsigned long si;
	unsigned long di;
	unsigned long orig_ax; /* the system call number */
	unsigned long ip;
	unsigned long cs;
	unsigned long flags;
	unsigned long sp;
	unsigned long ss;
};

/*
 * The context of a perf_event program (Linux's uapi <linux/bpf_perf_event.h>, x86-64 layout).
 * Kestrel has no perf events: such programs load (and are verified against this layout) but no
 * attach point takes them.
 */
typedef struct pt_regs bpf_user_pt_regs_t;
struct bpf_perf_event_data {
	bpf_user_pt_regs_t regs;
	__u64 sample_period;
	__u64 addr;
};

typedef void (*btf_trace_sys_enter)(void *, struct pt_regs *, long);
typedef void (*btf_trace_sys_exit)(void *, struct pt_regs *, long);
/* Kestrel's own (kernel/trace.h): access VM_PROT_* bits, result KERN_*, page_size 4 KiB or 2 MiB. */
typedef void (*btf_trace_vm_fault)(void *, struct task_struct *task, unsigned long address,
				   unsigned int access, int result, unsigned long page_size);

/* ---- BPF iterators */

/*
 * What programs pass to bpf_seq_printf and bpf_seq_write: a record with nothing to read (a
 * forward declaration would make meta->seq a number; the kernel's iterator state is
 * kernel/bpf/bpf_iter.h's).
 */
struct seq_file {
};

struct bpf_iter_meta {
	struct seq_file *seq;
	u64 session_id;
	u64 seq_num; /* the program's runs so far in this session */
};

/* The context of SEC("iter/task_vma") programs: task and vma NULL on the last run. */
struct bpf_iter__task_vma {
	struct bpf_iter_meta *meta;
	struct task_struct *task;
	struct vm_area_struct *vma;
};

/* The open-coded task VMA iterator of bpf_iter_task_vma_new: the kernel's state, opaque. */
struct bpf_iter_task_vma {
	__u64 __opaque[1];
} __attribute__((aligned(8)));

#endif
