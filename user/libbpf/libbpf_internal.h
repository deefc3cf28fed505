/*
 * The loader's own structures, shared by the files of user/libbpf/ (one concept each: object.c
 * opens the ELF, maps.c the map definitions and global data, program.c the section table and
 * program accessors, extern.c the .ksyms externs, linker.c builds a program's instruction image,
 * load.c drives bpf_object__load, kernel_btf.c fetches the kernel's BTF, link.c attaches,
 * skeleton.c serves bpftool's skeletons, bpf.c wraps the bpf(2) commands, print.c the messages
 * and errno conventions).
 *
 * Ownership: a bpf_object owns a copy of the ELF buffer for its whole life, and every name below
 * points into it (or into the object's BTF, which it owns too). Kernel objects (map and program
 * fds, the object's BTF fd) are released by bpf_object__close, or by a failed load.
 */
#ifndef USER_LIBBPF_INTERNAL_H
#define USER_LIBBPF_INTERNAL_H

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "btf.h"
#include "btf_ext.h"
#include "elf.h"

/* Linux's kernel-internal "not supported", which bpf(2) may return (not in every <errno.h>). */
#ifndef ENOTSUPP
#define ENOTSUPP 524
#endif

/* Linux's enum bpf_attach_type values the loader uses (see <bpf/bpf.h>). */
#define ATTACH_CGROUP_INET_INGRESS 0
#define ATTACH_CGROUP_INET_EGRESS 1
#define ATTACH_TRACE_RAW_TP 23
#define ATTACH_TRACE_FENTRY 24
#define ATTACH_TRACE_FEXIT 25
#define ATTACH_MODIFY_RETURN 26
#define ATTACH_LSM_MAC 27
#define ATTACH_TRACE_ITER 28
#define ATTACH_SK_LOOKUP 36
#define ATTACH_XDP 37
#define ATTACH_PERF_EVENT 41

/* ---------------------------------------------------------------------------------------------
 * Messages and errno (print.c)
 */
void libbpf_print(enum libbpf_print_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
#define pr_warn(fmt, ...) libbpf_print(LIBBPF_WARN, "libbpf: " fmt, ##__VA_ARGS__)
#define pr_info(fmt, ...) libbpf_print(LIBBPF_INFO, "libbpf: " fmt, ##__VA_ARGS__)
#define pr_debug(fmt, ...) libbpf_print(LIBBPF_DEBUG, "libbpf: " fmt, ##__VA_ARGS__)
/* The message text of a negative or positive errno, for messages. */
const char *libbpf_errstr(int err);

/* libbpf 1.x: a negative result also goes to errno. Returns ret. */
static inline int libbpf_err(int ret)
{
	if (ret < 0)
		errno = -ret;
	return ret;
}

/* libbpf 1.x: pointer-returning calls fail with NULL and errno. err is negative. */
static inline void *libbpf_err_ptr(int err)
{
	errno = -err;
	return NULL;
}

#define offsetofend(TYPE, FIELD) (offsetof(TYPE, FIELD) + sizeof(((TYPE *)0)->FIELD))

/*
 * Whether an options struct of the library's size lib_sz may be read: sz at least sizeof(size_t),
 * and every byte past lib_sz (when the caller's struct is longer) zero. Prints why not.
 */
bool libbpf_opts_valid(const void *opts, size_t lib_sz, const char *type_name);
/* The common case, a struct no longer than the library's, is settled inline. */
#define OPTS_VALID(opts, type)                                           \
	(!(opts) ||                                                      \
	 ((opts)->sz >= sizeof(size_t) &&                                \
	  (opts)->sz <= offsetofend(struct type, type##__last_field)) || \
	 libbpf_opts_valid((opts), offsetofend(struct type, type##__last_field), #type))
#define OPTS_HAS(opts, field) ((opts) && (opts)->sz >= offsetofend(__typeof__(*(opts)), field))
#define OPTS_GET(opts, field, fallback) (OPTS_HAS(opts, field) ? (opts)->field : (fallback))

/* ---------------------------------------------------------------------------------------------
 * Section definitions (program.c): what a program's ELF section name means, as libbpf reads it.
 */
enum attach_kind {
	ATTACH_NONE,   /* nothing to attach to (syscall, tc, perf_event, ...) */
	ATTACH_RAW_TP, /* BPF_RAW_TRACEPOINT_OPEN with the name after '/' */
	ATTACH_TRACE,  /* BPF_RAW_TRACEPOINT_OPEN on the program's BTF target */
	ATTACH_ITER,   /* BPF_LINK_CREATE, BPF_TRACE_ITER */
};

struct sec_def {
	const char *prefix;
	bool plus; /* matches "prefix" and "prefix/..." (libbpf's "prefix+") */
	enum bpf_prog_type type;
	uint32_t attach_type; /* expected_attach_type */
	bool sleepable;
	enum attach_kind attach;
	/* non-NULL: the target after '/' is kernel BTF btf_prefix + target */
	const char *btf_prefix;
	int btf_kind; /* ... of this BTF kind */
};

/* The definition section name sec falls under (a leading '?' already removed), or NULL. */
const struct sec_def *sec_def_find(const char *sec);
/* The name a section gives its target ("sys_enter" of "raw_tp/sys_enter"), or NULL. */
const char *sec_target(const char *sec);

/* ---------------------------------------------------------------------------------------------
 * The object
 */

/* A BPF function: an STT_FUNC symbol of a code section (an entry program, or a .text subprogram). */
struct code_func {
	const char *name;
	uint32_t sec; /* ELF section */
	uint32_t off; /* first instruction in the section */
	uint32_t cnt; /* instructions */
	int prog;     /* index in obj->progs, or -1 for a subprogram */
};

struct bpf_program {
	struct bpf_object *obj;
	const char *name;
	const char *sec_name;      /* as written, '?' included */
	uint32_t func;             /* obj->funcs index */
	const struct sec_def *def; /* NULL: a section name this loader does not know */
	enum bpf_prog_type type;
	uint32_t expected_attach_type;
	uint32_t prog_flags;
	bool autoload;
	bool autoattach;
	uint32_t log_level;
	char *log_buf; /* the caller's, or NULL */
	size_t log_size;
	int fd; /* -1 until loaded */
};

enum map_kind {
	MAP_BTF_DEF, /* a definition in .maps */
	MAP_DATA,    /* .data, .data.* */
	MAP_RODATA,  /* .rodata, .rodata.* (frozen after load, read-only to programs) */
	MAP_BSS,     /* .bss, .bss.* */
};

struct bpf_map {
	struct bpf_object *obj;
	char name[BPF_OBJ_NAME_LEN]; /* what the kernel is told (cut, sanitized as libbpf does) */
	const char *real_name;       /* the .maps variable, or the data section's name */
	enum map_kind kind;
	uint32_t sec;     /* ELF section */
	uint64_t sec_off; /* .maps: where the definition starts */
	uint32_t type, key_size, value_size, max_entries, map_flags, numa_node;
	uint64_t map_extra;
	uint32_t btf_key_type_id, btf_value_type_id; /* in the object's BTF; 0 for none */
	int fd;                                      /* -1 until created */
	void *mmaped; /* data maps: the image, then the map itself (mmap) */
	size_t mmap_sz;
};

/* An extern of .ksyms: a kernel function (kfunc) or variable, by its BTF name. */
struct extern_desc {
	const char *name;
	bool is_func;
	bool weak;
	uint32_t local_btf_id; /* FUNC or VAR in the object's BTF */
	int32_t kernel_btf_id; /* after resolution: its id in the kernel's BTF (0: weak, absent) */
};

enum reloc_kind {
	RELO_MAP,       /* ld_imm64 of a .maps definition: BPF_PSEUDO_MAP_FD */
	RELO_DATA,      /* ld_imm64 of global data: BPF_PSEUDO_MAP_VALUE */
	RELO_CALL,      /* a call of a BPF function */
	RELO_FUNC_ADDR, /* ld_imm64 of a BPF function (a callback): BPF_PSEUDO_FUNC */
	RELO_EXTERN,    /* a kfunc call or a ksym's ld_imm64 */
};

struct reloc {
	uint32_t insn; /* instruction index in its section */
	enum reloc_kind kind;
	uint32_t map;      /* MAP, DATA: obj->maps index */
	uint32_t data_off; /* DATA: offset in the map's value */
	uint32_t ext;      /* EXTERN: obj->externs index */
	uint32_t tgt_sec;  /* CALL, FUNC_ADDR: the target instruction */
	uint32_t tgt_insn;
};

/* A code section: its instructions (an aligned copy) and relocations, sorted by instruction. */
struct code_sec {
	struct bpf_insn *insns;
	uint32_t insn_cnt;
	struct reloc *relocs;
	uint32_t nr_relocs;
};

struct bpf_object {
	char name[64];
	uint8_t *elf_buf; /* the owned copy of the object */
	size_t elf_size;
	struct elf_file elf;
	char license[128];
	uint32_t kern_version;
	uint32_t text_sec;       /* .text, or 0 */
	uint32_t maps_sec;       /* .maps, or 0 */
	struct btf *btf;         /* the object's .BTF, or NULL */
	struct btf_ext *btf_ext; /* its .BTF.ext, or NULL */
	struct code_sec *code;   /* indexed by ELF section (NULL insns for other sections) */
	struct code_func *funcs; /* sorted by (sec, off) */
	uint32_t nr_funcs;
	struct bpf_program *progs;
	uint32_t nr_progs;
	struct bpf_map *maps;
	uint32_t nr_maps;
	struct extern_desc *externs;
	uint32_t nr_externs;
	char *log_buf; /* from the open options */
	size_t log_size;
	uint32_t log_level;
	bool loaded;            /* bpf_object__load ran (successfully or not) */
	struct btf *kernel_btf; /* during load only */
	int kernel_btf_err;     /* why it could not be had (0: not tried yet) */
	int btf_fd;             /* the object's BTF in the kernel, or -1 */
};

/* object.c */
/* The function containing instruction insn of section sec, or NULL. */
const struct code_func *obj_func_at(const struct bpf_object *obj, uint32_t sec, uint32_t insn);
/* The relocation of instruction insn of section sec, or NULL. */
const struct reloc *obj_reloc_at(const struct bpf_object *obj, uint32_t sec, uint32_t insn);

/* maps.c */
int maps_collect_btf_defs(struct bpf_object *obj);
int maps_collect_data(struct bpf_object *obj);
/* The data map of ELF section sec, or -1. */
int maps_of_data_sec(const struct bpf_object *obj, uint32_t sec);
/* Creates every map (data maps filled, .rodata frozen, mapped over their images). */
int maps_create(struct bpf_object *obj);
/* Closes the maps' fds (a data map stays mapped until bpf_object__close unmaps it). */
void maps_release(struct bpf_object *obj);

/* extern.c */
int externs_collect(struct bpf_object *obj);
int externs_resolve(struct bpf_object *obj);

/* program.c */
int programs_collect(struct bpf_object *obj);

/* kernel_btf.c: the kernel's BTF for obj (fetched once per load), or NULL with the error printed. */
struct btf *obj_kernel_btf(struct bpf_object *obj, int *err);
/*
 * The kernel's BTF (the BTF object the kernel marks as its own, "vmlinux"): 0 with *out, -ESRCH if
 * the kernel has none, or another -errno.
 */
int kernel_btf_fetch(struct btf **out);

/*
 * linker.c: the instruction image of prog: its function, the subprograms it reaches (appended in
 * the order first reached), relocations and CO-RE applied. With func/line info when with_btf_info.
 */
struct prog_image {
	struct bpf_insn *insns;
	uint32_t cnt;
	struct bpf_func_info_rec *func_info;
	uint32_t nr_func_info;
	struct bpf_line_info_rec *line_info;
	uint32_t nr_line_info;
};
int link_program(struct bpf_object *obj, struct bpf_program *prog, bool with_btf_info,
		 struct prog_image *img);
void prog_image_free(struct prog_image *img);

/* load.c */
int load_program(struct bpf_object *obj, struct bpf_program *prog);

#endif
