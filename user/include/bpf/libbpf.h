/*
 * libbpf's object API (Linux's <bpf/libbpf.h>, libbpf 1.1 names, signatures and struct layouts;
 * the implementation is user/libbpf/): open a BPF ELF object built by clang -target bpf, load its
 * maps and programs into the kernel, attach them, and drive bpftool's skeletons (bpftool gen
 * skeleton, build/bpf/NAME.skel.h).
 *
 * Conventions, libbpf 1.x's: a call returning int gives 0 (or a count, an fd) on success and a
 * negated errno on failure, with errno set to it too; a call returning a pointer gives NULL on
 * failure with errno set, and libbpf_get_error(ptr) turns that into -errno. A failure also prints
 * one line naming the program or map and the reason through the print callback (libbpf_set_print;
 * by default warnings go to fd 2, prefixed "libbpf: "), and a program the verifier rejected has
 * its log printed after it.
 *
 * Lifetime: a bpf_object owns its programs, maps and the kernel objects it loaded; every pointer
 * into it is valid until bpf_object__close. A bpf_link is owned by the caller (bpf_link__destroy).
 * Nothing here is safe to call from two threads on the same object at once.
 */
#ifndef __LIBBPF_LIBBPF_H
#define __LIBBPF_LIBBPF_H

#include <linux/bpf.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libbpf_common.h"

struct bpf_object;
struct bpf_program;
struct bpf_map;
struct bpf_link;
struct btf;

/* ---------------------------------------------------------------------------------------------
 * Messages
 */
enum libbpf_print_level {
	LIBBPF_WARN,
	LIBBPF_INFO,
	LIBBPF_DEBUG,
};

typedef int (*libbpf_print_fn_t)(enum libbpf_print_level level, const char *fmt, va_list ap);

/* Routes the library's messages to fn (NULL: drop them); returns the previous callback. */
LIBBPF_API libbpf_print_fn_t libbpf_set_print(libbpf_print_fn_t fn);
/* The text for error err (positive or negative) into buf; 0, or -ERANGE if it was cut. */
LIBBPF_API int libbpf_strerror(int err, char *buf, size_t size);
/* 0 for a non-NULL ptr; for NULL, -errno (what the call that returned it set). */
LIBBPF_API long libbpf_get_error(const void *ptr);

/*
 * How many values a per-CPU map holds per key (a lookup writes this many, each rounded up to 8
 * bytes). Kestrel runs on one CPU and the kernel has no call that says otherwise yet: 1.
 */
LIBBPF_API int libbpf_num_possible_cpus(void);

/* ---------------------------------------------------------------------------------------------
 * Objects
 */
struct bpf_object_open_opts {
	size_t sz;
	/* The object's name (prefix of its global-data maps' names); default "bpf_object". */
	const char *object_name;
	bool relaxed_maps;
	const char *pin_root_path;
	__u32 : 32;
	const char *kconfig;
	const char *btf_custom_path;
	/* Where verifier logs go (instead of the print callback), and at which level from the start. */
	char *kernel_log_buf;
	size_t kernel_log_size;
	__u32 kernel_log_level;
	size_t : 0;
};
#define bpf_object_open_opts__last_field kernel_log_level

/*
 * Parses the ELF object in obj_buf (copied: the buffer may go once this returns): programs by
 * section, maps, global data, relocations, BTF. Nothing reaches the kernel yet. NULL and errno on
 * a malformed object (EINVAL, ENOEXEC for one that is not a BPF ELF object, EOPNOTSUPP for a
 * feature this loader lacks, ENOMEM).
 */
LIBBPF_API struct bpf_object *bpf_object__open_mem(const void *obj_buf, size_t obj_buf_sz,
						   const struct bpf_object_open_opts *opts);
/*
 * Creates the maps, relocates and loads every program whose autoload is on (a program type the
 * kernel cannot run: -EOPNOTSUPP). Once only: a second call is -EINVAL. On failure every kernel
 * object it made is released again and the object can only be closed.
 */
LIBBPF_API int bpf_object__load(struct bpf_object *obj);
/* Releases the object, its programs and maps (kernel objects included). NULL is a no-op. */
LIBBPF_API void bpf_object__close(struct bpf_object *obj);
LIBBPF_API const char *bpf_object__name(const struct bpf_object *obj);
LIBBPF_API unsigned int bpf_object__kversion(const struct bpf_object *obj);

/* The entry program (not a subprogram of .text) called name, or NULL with errno ENOENT. */
LIBBPF_API struct bpf_program *bpf_object__find_program_by_name(const struct bpf_object *obj,
								const char *name);
/*
 * The map called name: a map's own name, or for global data either its kernel name ("obj.bss")
 * or its section (".bss", ".data", ".rodata", ".rodata.str1.1"); NULL with errno ENOENT.
 */
LIBBPF_API struct bpf_map *bpf_object__find_map_by_name(const struct bpf_object *obj,
							const char *name);
LIBBPF_API int bpf_object__find_map_fd_by_name(const struct bpf_object *obj, const char *name);
/* Iteration in ELF order: the first with prog/map NULL, NULL after the last. */
LIBBPF_API struct bpf_program *bpf_object__next_program(const struct bpf_object *obj,
							struct bpf_program *prog);
LIBBPF_API struct bpf_map *bpf_object__next_map(const struct bpf_object *obj,
						const struct bpf_map *map);

#define bpf_object__for_each_program(pos, obj)                             \
	for ((pos) = bpf_object__next_program((obj), NULL); (pos) != NULL; \
	     (pos) = bpf_object__next_program((obj), (pos)))
#define bpf_object__for_each_map(pos, obj)                             \
	for ((pos) = bpf_object__next_map((obj), NULL); (pos) != NULL; \
	     (pos) = bpf_object__next_map((obj), (pos)))

/* ---------------------------------------------------------------------------------------------
 * Programs. The setters work before bpf_object__load only (-EBUSY after).
 */
LIBBPF_API const char *bpf_program__name(const struct bpf_program *prog);
LIBBPF_API const char *bpf_program__section_name(const struct bpf_program *prog);
LIBBPF_API bool bpf_program__autoload(const struct bpf_program *prog);
/* Whether bpf_object__load loads the program (default: on, off for SEC("?...")). */
LIBBPF_API int bpf_program__set_autoload(struct bpf_program *prog, bool autoload);
LIBBPF_API bool bpf_program__autoattach(const struct bpf_program *prog);
/* Whether bpf_object__attach_skeleton attaches the program (default: on). */
LIBBPF_API void bpf_program__set_autoattach(struct bpf_program *prog, bool autoattach);
/* Instructions of the program as the ELF had them before load (its own function only). */
LIBBPF_API size_t bpf_program__insn_cnt(const struct bpf_program *prog);
/* The loaded program's fd; -ENOENT (errno too) if it is not loaded, -EINVAL for NULL. */
LIBBPF_API int bpf_program__fd(const struct bpf_program *prog);
LIBBPF_API enum bpf_prog_type bpf_program__type(const struct bpf_program *prog);
LIBBPF_API int bpf_program__set_type(struct bpf_program *prog, enum bpf_prog_type type);
LIBBPF_API __u32 bpf_program__expected_attach_type(const struct bpf_program *prog);
LIBBPF_API int bpf_program__set_expected_attach_type(struct bpf_program *prog, __u32 type);
/* BPF_PROG_LOAD's prog_flags (SEC("syscall") sets BPF_F_SLEEPABLE, as libbpf). */
LIBBPF_API __u32 bpf_program__flags(const struct bpf_program *prog);
LIBBPF_API int bpf_program__set_flags(struct bpf_program *prog, __u32 flags);
/*
 * The verifier log of this program: level (0: only when the load fails) and the caller's buffer
 * (NULL: the library's own, printed through the print callback on failure).
 */
LIBBPF_API __u32 bpf_program__log_level(const struct bpf_program *prog);
LIBBPF_API int bpf_program__set_log_level(struct bpf_program *prog, __u32 log_level);
LIBBPF_API const char *bpf_program__log_buf(const struct bpf_program *prog, size_t *log_size);
LIBBPF_API int bpf_program__set_log_buf(struct bpf_program *prog, char *log_buf, size_t log_size);

/* ---------------------------------------------------------------------------------------------
 * Links: a program attached to its hook; the attachment lasts until bpf_link__destroy (or the
 * task's exit). Every attach call returns NULL with errno on failure, the kernel's error when the
 * kernel refused.
 */
/*
 * Attaches as the section name says: raw_tp/NAME and raw_tracepoint/NAME (BPF_RAW_TRACEPOINT_OPEN),
 * tp_btf/NAME (BPF_RAW_TRACEPOINT_OPEN on the program's BTF target), iter/NAME (BPF_LINK_CREATE,
 * every task). EOPNOTSUPP for a section with nothing to attach to (syscall, tc, perf_event).
 */
LIBBPF_API struct bpf_link *bpf_program__attach(const struct bpf_program *prog);
LIBBPF_API struct bpf_link *bpf_program__attach_raw_tracepoint(const struct bpf_program *prog,
							       const char *tp_name);
LIBBPF_API struct bpf_link *bpf_program__attach_trace(const struct bpf_program *prog);

union bpf_iter_link_info;
struct bpf_iter_attach_opts {
	size_t sz;
	union bpf_iter_link_info *link_info;
	__u32 link_info_len;
};
#define bpf_iter_attach_opts__last_field link_info_len

/* An iterator link (BPF_LINK_CREATE, BPF_TRACE_ITER) with the optional link_info (e.g. one task). */
LIBBPF_API struct bpf_link *bpf_program__attach_iter(const struct bpf_program *prog,
						     const struct bpf_iter_attach_opts *opts);
LIBBPF_API int bpf_link__fd(const struct bpf_link *link);
/* Detaches the link in the kernel (BPF_LINK_DETACH) but keeps its fd. */
LIBBPF_API int bpf_link__detach(struct bpf_link *link);
/* After this, destroy frees the link without detaching it. */
LIBBPF_API void bpf_link__disconnect(struct bpf_link *link);
/* Detaches (closes the link fd) and frees link; NULL is a no-op. 0 or the close error. */
LIBBPF_API int bpf_link__destroy(struct bpf_link *link);

/* ---------------------------------------------------------------------------------------------
 * Maps. The setters work before bpf_object__load only (-EBUSY after).
 */
LIBBPF_API int bpf_map__fd(const struct bpf_map *map);
LIBBPF_API const char *bpf_map__name(const struct bpf_map *map);
LIBBPF_API enum bpf_map_type bpf_map__type(const struct bpf_map *map);
LIBBPF_API int bpf_map__set_type(struct bpf_map *map, enum bpf_map_type type);
LIBBPF_API __u32 bpf_map__max_entries(const struct bpf_map *map);
LIBBPF_API int bpf_map__set_max_entries(struct bpf_map *map, __u32 max_entries);
LIBBPF_API __u32 bpf_map__map_flags(const struct bpf_map *map);
LIBBPF_API int bpf_map__set_map_flags(struct bpf_map *map, __u32 flags);
LIBBPF_API __u32 bpf_map__key_size(const struct bpf_map *map);
LIBBPF_API int bpf_map__set_key_size(struct bpf_map *map, __u32 size);
LIBBPF_API __u32 bpf_map__value_size(const struct bpf_map *map);
LIBBPF_API int bpf_map__set_value_size(struct bpf_map *map, __u32 size);
/* Whether the map holds global data (.bss, .data, .rodata*). */
LIBBPF_API bool bpf_map__is_internal(const struct bpf_map *map);
/*
 * A global-data map's contents: before load the image the map will be created with (writable:
 * what the skeleton's obj->rodata etc. point at), after load the map's own memory (mmapped).
 * NULL for other maps. *psize gets the size.
 */
LIBBPF_API const void *bpf_map__initial_value(struct bpf_map *map, size_t *psize);
/* Replaces a global-data map's image before load; size must be the map's value size. */
LIBBPF_API int bpf_map__set_initial_value(struct bpf_map *map, const void *data, size_t size);
/*
 * The element calls on a loaded map, with the caller's buffer sizes checked first (-EINVAL if
 * key_sz is not the key size, or value_sz not the value size, times the CPUs for per-CPU maps).
 */
LIBBPF_API int bpf_map__lookup_elem(const struct bpf_map *map, const void *key, size_t key_sz,
				    void *value, size_t value_sz, __u64 flags);
LIBBPF_API int bpf_map__update_elem(const struct bpf_map *map, const void *key, size_t key_sz,
				    const void *value, size_t value_sz, __u64 flags);
LIBBPF_API int bpf_map__delete_elem(const struct bpf_map *map, const void *key, size_t key_sz,
				    __u64 flags);
LIBBPF_API int bpf_map__get_next_key(const struct bpf_map *map, const void *cur_key, void *next_key,
				     size_t key_sz);

/* ---------------------------------------------------------------------------------------------
 * Skeletons (bpftool gen skeleton): the generated code fills these and calls the functions below.
 */
struct bpf_map_skeleton {
	const char *name;
	struct bpf_map **map;
	void **mmaped;
};

struct bpf_prog_skeleton {
	const char *name;
	struct bpf_program **prog;
	struct bpf_link **link;
};

struct bpf_object_skeleton {
	size_t sz;
	const char *name;
	const void *data;
	size_t data_sz;
	struct bpf_object **obj;
	int map_cnt;
	int map_skel_sz;
	struct bpf_map_skeleton *maps;
	int prog_cnt;
	int prog_skel_sz;
	struct bpf_prog_skeleton *progs;
};

/*
 * Opens s->data as object s->name, then fills every map and program pointer the skeleton names
 * (-ESRCH if one is missing) and points each global-data pointer at its map's image.
 */
LIBBPF_API int bpf_object__open_skeleton(struct bpf_object_skeleton *s,
					 const struct bpf_object_open_opts *opts);
/* bpf_object__load; afterwards the global-data pointers show the maps' memory. */
LIBBPF_API int bpf_object__load_skeleton(struct bpf_object_skeleton *s);
/*
 * Attaches every loaded program whose autoattach is on and whose section says where
 * (bpf_program__attach); programs with nothing to attach to (syscall, tc) are skipped.
 */
LIBBPF_API int bpf_object__attach_skeleton(struct bpf_object_skeleton *s);
/* Destroys the skeleton's links. */
LIBBPF_API void bpf_object__detach_skeleton(struct bpf_object_skeleton *s);
/* Detaches, closes the object and frees s (and its arrays). NULL is a no-op. */
LIBBPF_API void bpf_object__destroy_skeleton(struct bpf_object_skeleton *s);

#endif
