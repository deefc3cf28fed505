/*
 * The bpf(2) system call: Linux's commands and union bpf_attr (contract, every command's errors in
 * order, in include/uapi/bpf.h). sys_bpf does what every command shares, as Linux's __sys_bpf:
 * the size rules, the copy, the command table and CHECK_ATTR (the bytes past the command's last
 * field must be zero). The map commands and the id commands are here; program loading, test runs
 * and info have their own files. Nothing here looks at a map's or program's type: the map layer
 * (kernel/bpf/map.h) and the program layer (kernel/bpf/prog.h) do.
 */
#include "kernel/bpf/syscall.h"

#include "kernel/bpf/btf.h"
#include "kernel/bpf/btf_sys.h"
#include "kernel/bpf/file.h"
#include "kernel/bpf/link.h"
#include "kernel/bpf/map.h"
#include "kernel/bpf/obj.h"
#include "kernel/bpf/prog.h"
#include "kernel/string.h"
#include "kernel/syscall.h"
#include "kernel/task.h"
#include "kernel/usercopy.h"
#include "mm/kmem.h"
#include "uapi/errno.h"

#define UARG_MAX 4096 /* bpf_check_uarg_tail_zero's "silly large" (Linux: PAGE_SIZE) */

int bpf_check_uarg_tail_zero(uint64_t uaddr, size_t expected, size_t actual)
{
	uint8_t buf[64];

	if (actual > UARG_MAX)
		return -E2BIG;
	for (size_t off = expected; off < actual; off += sizeof(buf)) {
		size_t n = actual - off < sizeof(buf) ? actual - off : sizeof(buf);
		if (copyin((const void *)(uintptr_t)(uaddr + off), buf, n))
			return -EFAULT;
		for (size_t i = 0; i < n; i++)
			if (buf[i])
				return -E2BIG;
	}
	return 0;
}

int bpf_attr_put_u32(uint64_t uattr, size_t off, uint32_t v)
{
	return copyout(&v, (void *)(uintptr_t)(uattr + off), sizeof(v));
}

int bpf_fd_of_unknown_kind(int fd)
{
	struct file *f = fd_get(&task_current()->fds, fd);

	if (!f)
		return -EBADF;
	file_put(f);
	return -EINVAL;
}

/* ---------------------------------------------------------------------------------------------
 * Maps
 */

static int map_create(int cmd, union bpf_attr *attr, uint64_t uattr, uint32_t size)
{
	struct bpf_map *map;
	unsigned fmode;

	(void)cmd, (void)uattr, (void)size;
	/* BTF's consistency rules come first in Linux; a vmlinux value type is for struct_ops maps. */
	if (attr->btf_vmlinux_value_type_id || (attr->btf_key_type_id && !attr->btf_value_type_id))
		return -EINVAL;
	int r = bpf_map_create(attr, &map);
	if (r)
		return r;
	/* Linux looks for the offload device (none here) and the BTF object after allocating. */
	if (attr->map_ifindex)
		r = -EINVAL;
	else if (attr->btf_key_type_id || attr->btf_value_type_id)
		r = bpf_map_btf_check(attr);
	if (!r)
		r = bpf_map_fmode(attr->map_flags, &fmode);
	if (r) {
		bpf_map_put(map);
		return r;
	}
	return bpf_map_fd_install(map, fmode);
}

/*
 * An element command's map and kernel buffers: key_size bytes for the key, then the value in the
 * user-space layout (bpf_map_sys_value_size), or for GET_NEXT_KEY the next key.
 */
struct elem_call {
	struct bpf_map_file *mf; /* referenced */
	struct bpf_map *map;
	uint8_t *key, *value;
	uint32_t key_size, value_size;
};

/*
 * The map, the permission and flag checks (bpf_map_sys_check) and the buffers, in Linux's order:
 * EBADF, EINVAL (not a map), EPERM, EINVAL (BPF_F_LOCK), ENOMEM. 0 with everything held
 * (elem_end releases it), or the error with nothing held.
 */
static int elem_begin(int cmd, const union bpf_attr *attr, struct elem_call *c)
{
	uint64_t flags =
		cmd == BPF_MAP_DELETE_ELEM || cmd == BPF_MAP_GET_NEXT_KEY ? 0 : attr->flags;
	int r = bpf_map_file_get((int)attr->map_fd, &c->mf);

	if (r)
		return r;
	c->map = c->mf->map;
	r = bpf_map_sys_check(c->map, c->mf->fmode, cmd, flags);
	c->key_size = bpf_map_key_size(c->map);
	c->value_size = cmd == BPF_MAP_GET_NEXT_KEY ? c->key_size : bpf_map_sys_value_size(c->map);
	size_t koff = ((size_t)c->key_size + 7) & ~(size_t)7;
	if (!r && !(c->key = kmalloc(koff + c->value_size)))
		r = -ENOMEM;
	if (r) {
		file_put(&c->mf->file);
		return r;
	}
	c->value = c->key + koff;
	return 0;
}

static void elem_end(struct elem_call *c)
{
	kfree(c->key);
	file_put(&c->mf->file);
}

static int copy_value_out(const struct elem_call *c, uint64_t uvalue)
{
	return copyout(c->value, (void *)(uintptr_t)uvalue, c->value_size);
}

/* The command proper, key copied in (or absent: GET_NEXT_KEY's first key). */
static int elem_op(int cmd, const union bpf_attr *attr, struct elem_call *c, bool no_key)
{
	unsigned fmode = c->mf->fmode;
	int r;

	switch (cmd) {
	case BPF_MAP_LOOKUP_ELEM:
		r = bpf_map_sys_lookup(c->map, fmode, c->key, c->value, attr->flags);
		return r ? r : copy_value_out(c, attr->value);
	case BPF_MAP_UPDATE_ELEM:
		r = copyin((const void *)(uintptr_t)attr->value, c->value, c->value_size);
		return r ? r : bpf_map_sys_update(c->map, fmode, c->key, c->value, attr->flags);
	case BPF_MAP_DELETE_ELEM:
		return bpf_map_sys_delete(c->map, fmode, c->key);
	case BPF_MAP_GET_NEXT_KEY:
		r = bpf_map_sys_get_next_key(c->map, fmode, no_key ? NULL : c->key, c->value);
		return r ? r : copy_value_out(c, attr->next_key);
	default: /* BPF_MAP_LOOKUP_AND_DELETE_ELEM: bpf_map_sys_check refused any other cmd */
		r = bpf_map_sys_lookup_and_delete(c->map, fmode, c->key, c->value, attr->flags);
		return r ? r : copy_value_out(c, attr->value);
	}
}

int bpf_map_elem_cmd(int cmd, const union bpf_attr *attr)
{
	struct elem_call c;

	/* Lookups refuse unknown flags before they look at the fd. */
	if ((cmd == BPF_MAP_LOOKUP_ELEM || cmd == BPF_MAP_LOOKUP_AND_DELETE_ELEM) &&
	    (attr->flags & ~BPF_F_LOCK))
		return -EINVAL;
	int r = elem_begin(cmd, attr, &c);
	if (r)
		return r;
	bool no_key = cmd == BPF_MAP_GET_NEXT_KEY && !attr->key;
	if (!no_key)
		r = copyin((const void *)(uintptr_t)attr->key, c.key, c.key_size);
	if (!r)
		r = elem_op(cmd, attr, &c, no_key);
	elem_end(&c);
	return r;
}

static int map_elem(int cmd, union bpf_attr *attr, uint64_t uattr, uint32_t size)
{
	(void)uattr, (void)size;
	return bpf_map_elem_cmd(cmd, attr);
}

static int map_freeze(int cmd, union bpf_attr *attr, uint64_t uattr, uint32_t size)
{
	struct bpf_map_file *mf;

	(void)cmd, (void)uattr, (void)size;
	int r = bpf_map_file_get((int)attr->map_fd, &mf);
	if (r)
		return r;
	r = bpf_map_freeze(mf->map, mf->fmode);
	file_put(&mf->file);
	return r;
}

/* ---------------------------------------------------------------------------------------------
 * Ids
 */

/* BPF_PROG_GET_NEXT_ID, BPF_MAP_GET_NEXT_ID and BPF_BTF_GET_NEXT_ID. */
static int get_next_id(int cmd, union bpf_attr *attr, uint64_t uattr, uint32_t size)
{
	uint32_t id;
	int r;

	(void)size;
	if (attr->start_id >= BPF_ID_MAX)
		return -EINVAL;
	if (cmd == BPF_PROG_GET_NEXT_ID)
		r = bpf_prog_get_next_id(attr->start_id, &id);
	else if (cmd == BPF_MAP_GET_NEXT_ID)
		r = bpf_map_get_next_id(attr->start_id, &id);
	else if (cmd == BPF_LINK_GET_NEXT_ID)
		r = bpf_link_get_next_id(attr->start_id, &id);
	else
		r = btf_get_next_id(attr->start_id, &id);
	return r ? r : bpf_attr_put_u32(uattr, offsetof(union bpf_attr, next_id), id);
}

static int prog_get_fd_by_id(int cmd, union bpf_attr *attr, uint64_t uattr, uint32_t size)
{
	struct bpf_prog *prog;

	(void)cmd, (void)uattr, (void)size;
	int r = bpf_prog_get_by_id(attr->prog_id, &prog);
	return r ? r : bpf_prog_fd_install(prog);
}

static int map_get_fd_by_id(int cmd, union bpf_attr *attr, uint64_t uattr, uint32_t size)
{
	struct bpf_map *map;
	unsigned fmode;

	(void)cmd, (void)uattr, (void)size;
	if (attr->open_flags & ~(BPF_F_RDONLY | BPF_F_WRONLY))
		return -EINVAL;
	int r = bpf_map_fmode(attr->open_flags, &fmode);
	if (!r)
		r = bpf_map_get_by_id(attr->map_id, &map);
	return r ? r : bpf_map_fd_install(map, fmode);
}

/* ---------------------------------------------------------------------------------------------
 * The system call
 */

struct cmd_entry {
	bpf_cmd_fn fn;
	size_t attr_end; /* BPF_ATTR_END of the command's last field */
};

/* Linux's BPF_LINK_CREATE_LAST_FIELD, link_create.uprobe_multi.pid (Kestrel's union stops before). */
#define LINK_CREATE_END (offsetof(union bpf_attr, link_create) + 60)

static const struct cmd_entry cmds[__MAX_BPF_CMD] = {
	[BPF_MAP_CREATE] = {map_create, BPF_ATTR_END(map_token_fd)},
	[BPF_MAP_LOOKUP_ELEM] = {map_elem, BPF_ATTR_END(flags)},
	[BPF_MAP_UPDATE_ELEM] = {map_elem, BPF_ATTR_END(flags)},
	[BPF_MAP_DELETE_ELEM] = {map_elem, BPF_ATTR_END(key)},
	[BPF_MAP_GET_NEXT_KEY] = {map_elem, BPF_ATTR_END(next_key)},
	[BPF_PROG_LOAD] = {bpf_cmd_prog_load, BPF_ATTR_END(prog_token_fd)},
	[BPF_PROG_TEST_RUN] = {bpf_cmd_prog_test_run, BPF_ATTR_END(test.batch_size)},
	[BPF_PROG_GET_NEXT_ID] = {get_next_id, BPF_ATTR_END(next_id)},
	[BPF_MAP_GET_NEXT_ID] = {get_next_id, BPF_ATTR_END(next_id)},
	[BPF_PROG_GET_FD_BY_ID] = {prog_get_fd_by_id, BPF_ATTR_END(prog_id)},
	[BPF_MAP_GET_FD_BY_ID] = {map_get_fd_by_id, BPF_ATTR_END(open_flags)},
	[BPF_OBJ_GET_INFO_BY_FD] = {bpf_cmd_obj_get_info, BPF_ATTR_END(info.info)},
	[BPF_MAP_LOOKUP_AND_DELETE_ELEM] = {map_elem, BPF_ATTR_END(flags)},
	[BPF_MAP_FREEZE] = {map_freeze, BPF_ATTR_END(map_fd)},
	[BPF_RAW_TRACEPOINT_OPEN] = {bpf_cmd_raw_tracepoint_open,
				     BPF_ATTR_END(raw_tracepoint.cookie)},
	[BPF_LINK_GET_FD_BY_ID] = {bpf_cmd_link_get_fd_by_id, BPF_ATTR_END(open_flags)},
	[BPF_LINK_GET_NEXT_ID] = {get_next_id, BPF_ATTR_END(next_id)},
	[BPF_LINK_DETACH] = {bpf_cmd_link_detach, BPF_ATTR_END(link_detach.link_fd)},
	[BPF_LINK_CREATE] = {bpf_cmd_link_create, LINK_CREATE_END},
	[BPF_ITER_CREATE] = {bpf_cmd_iter_create, BPF_ATTR_END(iter_create.flags)},
	[BPF_BTF_LOAD] = {bpf_cmd_btf_load, BPF_ATTR_END(btf_token_fd)},
	[BPF_BTF_GET_FD_BY_ID] = {bpf_cmd_btf_get_fd_by_id, BPF_ATTR_END(open_flags)},
	[BPF_BTF_GET_NEXT_ID] = {get_next_id, BPF_ATTR_END(next_id)},
};

_Static_assert(sizeof(union bpf_attr) % 8 == 0, "zero_between reads the union in quadwords");
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "zero_between's masks");

/*
 * Whether bytes [from, to) of attr are zero: CHECK_ATTR on the bytes the caller gave (sys_bpf
 * zeroed the rest itself). Whole aligned quadwords, the bytes outside the range masked off
 * (little-endian: byte k of a quadword is bits 8k..8k+7), or-ed without a branch per word.
 * to <= sizeof(*attr), so no read passes the union's end.
 */
static bool zero_between(const union bpf_attr *attr, size_t from, size_t to)
{
	const uint8_t *b = (const uint8_t *)attr;
	uint64_t any = 0;

	for (size_t i = from & ~(size_t)7; i < to; i += 8) {
		uint64_t w = *(const uint64_t *)(b + i);
		if (i < from)
			w &= ~0ull << ((from - i) * 8);
		if (i + 8 > to)
			w &= ~0ull >> ((i + 8 - to) * 8);
		any |= w;
	}
	return !any;
}

long sys_bpf(struct trapframe *tf)
{
	int cmd = (int)syscall_arg(tf, 0);
	uint64_t uattr = syscall_arg(tf, 1);
	uint32_t size = (uint32_t)syscall_arg(tf, 2);
	union bpf_attr attr;

	if (size > sizeof(attr)) {
		int r = bpf_check_uarg_tail_zero(uattr, sizeof(attr), size);
		if (r)
			return r;
		size = sizeof(attr);
	}
	if (copyin((const void *)(uintptr_t)uattr, &attr, size))
		return -EFAULT;
	if (size < sizeof(attr))
		memset((uint8_t *)&attr + size, 0, sizeof(attr) - size);
	if (cmd < 0 || cmd >= __MAX_BPF_CMD || !cmds[cmd].fn ||
	    !zero_between(&attr, cmds[cmd].attr_end, size))
		return -EINVAL;
	return cmds[cmd].fn(cmd, &attr, uattr, size);
}
