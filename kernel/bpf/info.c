/*
 * BPF_OBJ_GET_INFO_BY_FD for maps and programs, as Linux's bpf_{map,prog}_get_info_by_fd
 * (contract in include/uapi/bpf.h): the caller's info_len may be smaller than Kestrel's struct
 * (the kernel writes that much) or larger (the excess must be zero); the kernel writes back
 * min(info_len, sizeof) bytes and that length into info_len. For a program, the caller's own
 * struct is read first: its counts and pointers ask for the arrays (map ids, xlated and jited
 * code, jited symbols and function lengths) to be copied out, each cut to the count given, and
 * each count is then replaced by the true one.
 *
 * A BTF object's info is kernel/bpf/btf_sys.c's; a link's kind fills its part (kernel/bpf/link.h).
 *
 * Left out for now (zero): the tag (Linux's SHA-1 of the instructions), attach BTF ids,
 * jited_line_info, created_by_uid (no users), and jited symbols for an interpreted program.
 */
#include "kernel/bpf/syscall.h"

#include "kernel/bpf/btf_sys.h"
#include "kernel/bpf/file.h"
#include "kernel/bpf/link.h"
#include "kernel/bpf/map.h"
#include "kernel/bpf/prog.h"
#include "kernel/string.h"
#include "kernel/task.h"
#include "kernel/usercopy.h"
#include "mm/kmem.h"
#include "uapi/errno.h"

#define UPTR(a) ((void *)(uintptr_t)(a))

/* The common end: the struct, cut to len, and len into info_len. */
static int info_finish(uint64_t uattr, uint64_t uinfo, const void *info, uint32_t len)
{
	if (copyout(info, UPTR(uinfo), len) ||
	    bpf_attr_put_u32(uattr, offsetof(union bpf_attr, info.info_len), len))
		return -EFAULT;
	return 0;
}

/* The caller's info_len checked (bpf_check_uarg_tail_zero) and cut to size. */
static int info_len(const union bpf_attr *attr, size_t size, uint32_t *len)
{
	int err = bpf_check_uarg_tail_zero(attr->info.info, size, attr->info.info_len);

	*len = attr->info.info_len < size ? attr->info.info_len : (uint32_t)size;
	return err;
}

static int map_info(struct bpf_map *map, const union bpf_attr *attr, uint64_t uattr)
{
	struct bpf_map_info info;
	uint32_t len;

	int err = info_len(attr, sizeof(info), &len);
	if (err)
		return err;
	bpf_map_get_info(map, &info);
	return info_finish(uattr, attr->info.info, &info, len);
}

/* A link's: the caller's struct is read first (a raw tracepoint's name buffer), as Linux's. */
static int link_info(const struct bpf_link *link, const union bpf_attr *attr, uint64_t uattr)
{
	struct bpf_link_info info;
	uint32_t len;

	int err = info_len(attr, sizeof(info), &len);
	if (err)
		return err;
	memset(&info, 0, sizeof(info));
	if (copyin(UPTR(attr->info.info), &info, len))
		return -EFAULT;
	err = bpf_link_fill_info(link, &info);
	return err ? err : info_finish(uattr, attr->info.info, &info, len);
}

/* Linux's set_info_rec_size: a record size asked for must be the kernel's (or 0 with no count). */
static int info_rec_sizes(struct bpf_prog_info *info)
{
	if ((info->nr_func_info || info->func_info_rec_size) &&
	    info->func_info_rec_size != sizeof(struct bpf_func_info))
		return -EINVAL;
	if ((info->nr_line_info || info->line_info_rec_size) &&
	    info->line_info_rec_size != sizeof(struct bpf_line_info))
		return -EINVAL;
	if ((info->nr_jited_line_info || info->jited_line_info_rec_size) &&
	    info->jited_line_info_rec_size != sizeof(uint64_t))
		return -EINVAL;
	info->func_info_rec_size = sizeof(struct bpf_func_info);
	info->line_info_rec_size = sizeof(struct bpf_line_info);
	info->jited_line_info_rec_size = sizeof(uint64_t);
	return 0;
}

/*
 * The xlated instructions as user space may see them (Linux's bpf_insn_prepare_dump): a map's
 * address becomes BPF_PSEUDO_MAP_FD with the map's id, an address in a map's direct value
 * BPF_PSEUDO_MAP_VALUE with the id and the offset, and the probing loads plain loads.
 */
static void dump_sanitize(const struct bpf_prog *prog, const struct bpf_prog_stats *st,
			  struct bpf_insn *insns)
{
	for (uint32_t i = 0; i < st->xlated_len; i++) {
		struct bpf_insn *in = &insns[i];
		if (BPF_CLASS(in->code) == BPF_LDX && (BPF_MODE(in->code) == BPF_PROBE_MEM ||
						       BPF_MODE(in->code) == BPF_PROBE_MEMSX)) {
			uint8_t mode = BPF_MODE(in->code) == BPF_PROBE_MEM ? BPF_MEM : BPF_MEMSX;
			in->code = (uint8_t)(BPF_LDX | BPF_SIZE(in->code) | mode);
			continue;
		}
		if (in->code != (BPF_LD | BPF_IMM | BPF_DW) || i + 1 == st->xlated_len)
			continue;
		uint64_t v = (uint32_t)in[0].imm | (uint64_t)(uint32_t)in[1].imm << 32;
		for (uint32_t m = 0; m < st->nmaps; m++) {
			struct bpf_map *map = bpf_prog_map(prog, m);
			uint64_t base = bpf_map_direct_value_addr(map);
			if (v == (uint64_t)(uintptr_t)map) {
				in->src_reg = BPF_PSEUDO_MAP_FD;
				in[1].imm = 0;
			} else if (base && v >= base && v - base < bpf_map_value_size(map)) {
				in->src_reg = BPF_PSEUDO_MAP_VALUE;
				in[1].imm = (int32_t)(v - base);
			} else {
				continue;
			}
			in->imm = (int32_t)bpf_map_id(map);
			break;
		}
		i++;
	}
}

static int copy_xlated(const struct bpf_prog *prog, const struct bpf_prog_stats *st, uint64_t out,
		       uint32_t ulen)
{
	size_t bytes = (size_t)st->xlated_len * sizeof(struct bpf_insn);
	struct bpf_insn *dump = kmalloc(bytes);

	if (!dump)
		return -ENOMEM;
	memcpy(dump, st->xlated, bytes);
	dump_sanitize(prog, st, dump);
	int err = copyout(dump, UPTR(out), ulen < bytes ? ulen : bytes);
	kfree(dump);
	return err;
}

/* Subprogram i's JIT code length: to the next one's entry, or to the end (kernel/bpf/exec.h). */
static uint32_t jited_func_len(const struct bpf_prog *prog, const struct bpf_prog_stats *st,
			       uint32_t i)
{
	const uint8_t *start = bpf_prog_jited_func(prog, i);
	const uint8_t *end = i + 1 < st->nfuncs ? (const uint8_t *)bpf_prog_jited_func(prog, i + 1)
						: (const uint8_t *)st->jited + st->jited_len;
	return (uint32_t)(end - start);
}

/* The jited symbols (subprogram addresses) and lengths, each cut to what the caller asked for. */
static int copy_jited_funcs(const struct bpf_prog *prog, const struct bpf_prog_stats *st,
			    const struct bpf_prog_info *asked)
{
	for (uint32_t i = 0; i < st->nfuncs && i < asked->nr_jited_ksyms; i++) {
		uint64_t addr = (uint64_t)(uintptr_t)bpf_prog_jited_func(prog, i);
		if (copyout(&addr, UPTR(asked->jited_ksyms + i * sizeof(addr)), sizeof(addr)))
			return -EFAULT;
	}
	for (uint32_t i = 0; i < st->nfuncs && i < asked->nr_jited_func_lens; i++) {
		uint32_t len = jited_func_len(prog, st, i);
		if (copyout(&len, UPTR(asked->jited_func_lens + i * sizeof(len)), sizeof(len)))
			return -EFAULT;
	}
	return 0;
}

/* The program's BTF id and its func_info and line_info records, each cut to the count asked for. */
static int prog_btf_info(const struct bpf_prog_btf *pb, const struct bpf_prog_info *asked,
			 struct bpf_prog_info *info)
{
	info->btf_id = pb->btf ? btf_obj_id(pb->btf) : 0;
	info->nr_func_info = pb->nfunc_info;
	uint32_t n = asked->nr_func_info < pb->nfunc_info ? asked->nr_func_info : pb->nfunc_info;
	if (n && copyout(pb->func_info, UPTR(asked->func_info), n * sizeof(*pb->func_info)))
		return -EFAULT;
	info->nr_line_info = pb->nline_info;
	n = asked->nr_line_info < pb->nline_info ? asked->nr_line_info : pb->nline_info;
	if (n && copyout(pb->line_info, UPTR(asked->line_info), n * sizeof(*pb->line_info)))
		return -EFAULT;
	return 0;
}

static int prog_info(const struct bpf_prog *prog, const union bpf_attr *attr, uint64_t uattr)
{
	struct bpf_prog_info info, asked;
	struct bpf_prog_stats st;
	uint32_t len;

	int err = info_len(attr, sizeof(info), &len);
	if (err)
		return err;
	memset(&info, 0, sizeof(info));
	if (copyin(UPTR(attr->info.info), &info, len))
		return -EFAULT;
	asked = info;
	bpf_prog_stats(prog, &st);
	info.type = st.type;
	info.id = st.id;
	info.load_time = st.load_time;
	info.created_by_uid = 0;
	info.gpl_compatible = st.gpl_compatible;
	memset(info.tag, 0, sizeof(info.tag));
	memcpy(info.name, st.name, sizeof(info.name));

	info.nr_map_ids = st.nmaps;
	for (uint32_t i = 0; i < st.nmaps && i < asked.nr_map_ids; i++) {
		uint32_t id = bpf_map_id(bpf_prog_map(prog, i));
		if (copyout(&id, UPTR(asked.map_ids + i * sizeof(id)), sizeof(id)))
			return -EFAULT;
	}
	err = info_rec_sizes(&info);
	if (err)
		return err;
	info.run_time_ns = st.run_time_ns;
	info.run_cnt = st.run_cnt;
	info.recursion_misses = 0;
	info.verified_insns = st.verified_insns;

	info.xlated_prog_len = st.xlated_len * (uint32_t)sizeof(struct bpf_insn);
	if (info.xlated_prog_len && asked.xlated_prog_len &&
	    (err = copy_xlated(prog, &st, asked.xlated_prog_insns, asked.xlated_prog_len)))
		return err;
	info.jited_prog_len = st.jited_len;
	if (st.jited_len && asked.jited_prog_len &&
	    copyout(st.jited, UPTR(asked.jited_prog_insns),
		    asked.jited_prog_len < st.jited_len ? asked.jited_prog_len : st.jited_len))
		return -EFAULT;
	info.nr_jited_ksyms = info.nr_jited_func_lens = st.jited ? st.nfuncs : 0;
	if (st.jited && (err = copy_jited_funcs(prog, &st, &asked)))
		return err;
	if ((err = prog_btf_info(bpf_prog_btf(prog), &asked, &info)))
		return err;
	info.attach_btf_id = info.attach_btf_obj_id = 0;
	info.nr_jited_line_info = info.nr_prog_tags = 0;
	return info_finish(uattr, attr->info.info, &info, len);
}

int bpf_cmd_obj_get_info(int cmd, union bpf_attr *attr, uint64_t uattr, uint32_t size)
{
	struct file *f = fd_get(&task_current()->fds, (int)attr->info.bpf_fd);
	struct btf *btf;
	struct bpf_link *link;
	int err;

	(void)cmd, (void)size;
	if (!f)
		return -EBADFD;
	if (f->ops == &bpf_prog_file_ops)
		err = prog_info(((struct bpf_prog_file *)f)->prog, attr, uattr);
	else if (f->ops == &bpf_map_file_ops)
		err = map_info(((struct bpf_map_file *)f)->map, attr, uattr);
	else if ((link = bpf_link_of_file(f)))
		err = link_info(link, attr, uattr);
	else if ((btf = bpf_btf_of_file(f)))
		err = bpf_btf_get_info(btf, attr, uattr);
	else
		err = -EINVAL;
	file_put(f);
	return err;
}
