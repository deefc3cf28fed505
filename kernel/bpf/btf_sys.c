/*
 * BTF in bpf(2): the kernel's BTF object, BTF fds and the BTF commands (contract in
 * kernel/bpf/btf_sys.h; the commands' errors, in order, in include/uapi/bpf.h).
 *
 * BPF_BTF_LOAD's log goes through a kernel buffer of at most LOG_KBUF_MAX bytes, copied back to
 * btf_log_buf up to and including its NUL, as BPF_PROG_LOAD's does (kernel/bpf/prog_load.c): a
 * larger btf_log_size acts as LOG_KBUF_MAX.
 */
#include "kernel/bpf/btf_sys.h"

#include "kernel/bpf/syscall.h"
#include "kernel/bpf/verifier.h"
#include "kernel/kprintf.h"
#include "kernel/panic.h"
#include "kernel/string.h"
#include "kernel/task.h"
#include "kernel/usercopy.h"
#include "mm/kmem.h"
#include "uapi/errno.h"

#define LOG_KBUF_MAX (1u << 20)
#define UPTR(a) ((void *)(uintptr_t)(a))

extern const uint8_t __kestrel_btf_start[], __kestrel_btf_end[];

/* Set once by btf_vmlinux_init, before any task runs; read-only afterwards. */
static struct btf *vmlinux;

void btf_vmlinux_init(void)
{
	uint32_t size = (uint32_t)(__kestrel_btf_end - __kestrel_btf_start);
	int err = btf_parse_kernel(__kestrel_btf_start, size, "vmlinux", &vmlinux);

	if (!err)
		err = btf_publish(vmlinux);
	if (err)
		panic("btf: the kernel's BTF (%u bytes) does not load: %d", size, err);
	kprintf("btf: vmlinux, %u types, %u bytes, id %u\n", btf_nr_types(vmlinux) - 1, size,
		btf_obj_id(vmlinux));
}

struct btf *btf_vmlinux(void)
{
	return vmlinux;
}

/* ---------------------------------------------------------------------------------------------
 * BTF fds (Linux's: no read, no write, no mmap)
 */

struct bpf_btf_file {
	struct file file; /* first: the file_ops methods get back to the struct by a cast */
	struct btf *btf;
};

_Static_assert(offsetof(struct bpf_btf_file, file) == 0, "bpf_btf_file: file first");

static void btf_file_close(struct file *f)
{
	struct bpf_btf_file *bf = (struct bpf_btf_file *)f;

	btf_put(bf->btf);
	kfree(bf);
}

static const struct file_ops btf_file_ops = {.name = "btf", .close = btf_file_close};

int bpf_btf_fd_install(struct btf *btf)
{
	struct bpf_btf_file *bf = kmalloc(sizeof(*bf));

	if (!bf) {
		btf_put(btf);
		return -ENOMEM;
	}
	file_init(&bf->file, &btf_file_ops);
	bf->btf = btf;
	int fd = fd_install(&task_current()->fds, &bf->file);
	if (fd < 0)
		file_put(&bf->file);
	return fd;
}

int bpf_btf_fd_get(int fd, struct btf **out)
{
	struct file *f;
	int err = fd_get_typed(&task_current()->fds, fd, &btf_file_ops, &f);

	if (err)
		return err;
	*out = ((struct bpf_btf_file *)f)->btf;
	btf_get(*out);
	file_put(f);
	return 0;
}

struct btf *bpf_btf_of_file(struct file *f)
{
	return f->ops == &btf_file_ops ? ((struct bpf_btf_file *)f)->btf : NULL;
}

/* ---------------------------------------------------------------------------------------------
 * The commands
 */

static int copy_from_user(void *dst, const void *src, size_t n)
{
	return copyin(src, dst, n);
}

int bpf_cmd_btf_load(int cmd, union bpf_attr *attr, uint64_t uattr, uint32_t size)
{
	struct btf *btf;

	(void)cmd;
	if (attr->btf_flags & ~BPF_F_TOKEN_FD)
		return -EINVAL;
	if (attr->btf_flags & BPF_F_TOKEN_FD)
		return bpf_fd_of_unknown_kind(attr->btf_token_fd);
	/* btf_parse_copy checks these too; they come before the log buffer's allocation. */
	if (attr->btf_size > BTF_MAX_SIZE)
		return -E2BIG;
	if (!bpf_verifier_log_attr_valid(attr->btf_log_buf != 0, attr->btf_log_size,
					 attr->btf_log_level))
		return -EINVAL;
	struct btf_log_attr log = {
		.size = attr->btf_log_size < LOG_KBUF_MAX ? attr->btf_log_size : LOG_KBUF_MAX,
		.level = attr->btf_log_level,
	};
	if (log.size) {
		log.buf = kmalloc(log.size);
		if (!log.buf)
			return -ENOMEM;
		log.buf[0] = 0;
	}
	int err = btf_parse_copy(UPTR(attr->btf), attr->btf_size, copy_from_user, &log, &btf);
	/* As Linux's finalize_log: a log or a size that cannot be written back is EFAULT. */
	if (log.buf && copyout(log.buf, UPTR(attr->btf_log_buf), strlen(log.buf) + 1))
		err = -EFAULT;
	if (size >= BPF_ATTR_END(btf_log_true_size) &&
	    bpf_attr_put_u32(uattr, offsetof(union bpf_attr, btf_log_true_size), log.true_size))
		err = -EFAULT;
	kfree(log.buf);
	if (err) {
		if (btf)
			btf_put(btf);
		return err;
	}
	err = btf_publish(btf);
	if (err) {
		btf_put(btf);
		return err;
	}
	return bpf_btf_fd_install(btf);
}

int bpf_cmd_btf_get_fd_by_id(int cmd, union bpf_attr *attr, uint64_t uattr, uint32_t size)
{
	struct btf *btf;

	(void)cmd, (void)uattr, (void)size;
	/* Linux's BPF_F_TOKEN_FD names a token in a field Kestrel's union does not have yet. */
	if (attr->open_flags)
		return -EINVAL;
	int err = btf_get_by_id(attr->btf_id, &btf);
	return err ? err : bpf_btf_fd_install(btf);
}

/* The map type's rule for its key (Linux's map_check_btf op); key NULL: keyless. */
static bool map_key_ok(const union bpf_attr *attr, const struct btf_type *key,
		       const struct btf_type *value)
{
	bool array =
		attr->map_type == BPF_MAP_TYPE_ARRAY || attr->map_type == BPF_MAP_TYPE_PERCPU_ARRAY;

	if (!key)
		return attr->map_type == BPF_MAP_TYPE_ARRAY && attr->max_entries == 1 &&
		       BTF_INFO_KIND(value->info) == BTF_KIND_DATASEC;
	if (!array)
		return true;
	uint32_t v = BTF_INFO_KIND(key->info) == BTF_KIND_INT ? *(const uint32_t *)(key + 1) : 0;
	return BTF_INT_BITS(v) == 32 && !BTF_INT_OFFSET(v);
}

int bpf_map_btf_check(const union bpf_attr *attr)
{
	struct btf *btf;
	int err = bpf_btf_fd_get((int)attr->btf_fd, &btf);

	if (err)
		return err;
	const struct btf_type *key = btf_type_skip_modifiers(btf, attr->btf_key_type_id, NULL);
	const struct btf_type *value = btf_type_skip_modifiers(btf, attr->btf_value_type_id, NULL);
	if (btf_is_kernel(btf))
		err = -EACCES;
	else if ((attr->btf_key_type_id &&
		  (!key || btf_type_size(btf, attr->btf_key_type_id) != attr->key_size)) ||
		 !value || btf_type_size(btf, attr->btf_value_type_id) != attr->value_size ||
		 !map_key_ok(attr, attr->btf_key_type_id ? key : NULL, value))
		err = -EINVAL;
	btf_put(btf);
	return err;
}

int bpf_btf_get_info(const struct btf *btf, const union bpf_attr *attr, uint64_t uattr)
{
	struct bpf_btf_info info;
	uint32_t raw_size;
	int ret = 0;

	int err = bpf_check_uarg_tail_zero(attr->info.info, sizeof(info), attr->info.info_len);
	if (err)
		return err;
	uint32_t len =
		attr->info.info_len < sizeof(info) ? attr->info.info_len : (uint32_t)sizeof(info);
	memset(&info, 0, sizeof(info));
	if (copyin(UPTR(attr->info.info), &info, len))
		return -EFAULT;
	info.id = btf_obj_id(btf);
	const void *raw = btf_raw_data(btf, &raw_size);
	if (copyout(raw, UPTR(info.btf), info.btf_size < raw_size ? info.btf_size : raw_size))
		return -EFAULT;
	info.btf_size = raw_size;
	info.kernel_btf = btf_is_kernel(btf);

	const char *name = btf_obj_name(btf);
	uint32_t name_len = (uint32_t)strlen(name), ulen = info.name_len;
	if (!info.name != !ulen)
		return -EINVAL;
	info.name_len = name_len;
	if (info.name) {
		/* A short buffer gets the name's start and a NUL, and the call says ENOSPC. */
		uint32_t n = ulen >= name_len + 1 ? name_len : ulen - 1;
		char zero = 0;
		if (copyout(name, UPTR(info.name), n) || copyout(&zero, UPTR(info.name + n), 1))
			return -EFAULT;
		if (n < name_len)
			ret = -ENOSPC;
	}
	if (copyout(&info, UPTR(attr->info.info), len) ||
	    bpf_attr_put_u32(uattr, offsetof(union bpf_attr, info.info_len), len))
		return -EFAULT;
	return ret;
}
