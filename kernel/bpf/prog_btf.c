/*
 * A program's func_info and line_info, checked against its BTF and its instructions (contract in
 * kernel/bpf/prog_btf.h). Linux checks them inside the verifier, before the walk; here the loader
 * does it just before the verifier runs, with Linux's messages, so a program whose records are
 * wrong is refused for them first as in Linux (except that a call to an instruction out of range
 * is left to the verifier, which reports it; here it starts no subprogram).
 */
#include "kernel/bpf/prog_btf.h"

#include <stdarg.h>

#include "kernel/bpf/btf_sys.h"
#include "kernel/bpf/syscall.h"
#include "kernel/bpf/verifier.h"
#include "kernel/kprintf.h"
#include "kernel/string.h"
#include "kernel/usercopy.h"
#include "mm/kmem.h"
#include "uapi/errno.h"

#define MIN_FUNC_INFO_SIZE 8  /* Linux's MIN_BPF_FUNCINFO_SIZE: insn_off and type_id */
#define MIN_LINE_INFO_SIZE 16 /* Linux's MIN_BPF_LINEINFO_SIZE: through line_col */
#define MAX_INFO_REC_SIZE 252 /* Linux's MAX_FUNCINFO_REC_SIZE and MAX_LINEINFO_REC_SIZE */
#define UPTR(a) ((const void *)(uintptr_t)(a))

/*
 * Log a rejection's reason as the verifier logs a line: nothing without a level; without a buffer
 * only its size; cut to the buffer (its end kept, or its start with BPF_LOG_FIXED) with -ENOSPC.
 */
static int log_reason(struct bpf_prog_btf_log *log, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int log_reason(struct bpf_prog_btf_log *log, int err, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	if (!log->level)
		return err;
	va_start(ap, fmt);
	int n = kvsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return err;
	uint32_t len = (uint32_t)n < sizeof(msg) ? (uint32_t)n : (uint32_t)sizeof(msg) - 1;
	log->true_size = len + 1;
	if (!log->buf)
		return err;
	uint32_t room = log->size - 1, keep = len < room ? len : room;
	const char *from = (log->level & BPF_LOG_FIXED) || len <= room ? msg : msg + len - room;
	memcpy(log->buf, from, keep);
	log->buf[keep] = 0;
	return len > room ? -ENOSPC : err;
}

/* Subprogram starts, as Linux's add_subprog_and_kfunc finds them: ascending, first 0. */
struct subprogs {
	uint32_t *start;
	uint32_t n;
};

static int find_subprogs(const struct bpf_insn *insns, uint32_t n, struct subprogs *sp)
{
	uint8_t *is_start = kzalloc(n);

	if (!is_start)
		return -ENOMEM;
	is_start[0] = 1;
	uint32_t count = 1;
	for (uint32_t i = 0; i < n; i++) {
		const struct bpf_insn *in = &insns[i];
		bool call = in->code == (BPF_JMP | BPF_CALL) && in->src_reg == BPF_PSEUDO_CALL;
		bool func =
			in->code == (BPF_LD | BPF_IMM | BPF_DW) && in->src_reg == BPF_PSEUDO_FUNC;
		int64_t target = (int64_t)i + in->imm + 1;
		if ((call || func) && target >= 0 && target < n && !is_start[target]) {
			is_start[target] = 1;
			count++;
		}
	}
	sp->start = kmalloc((size_t)count * sizeof(*sp->start));
	if (!sp->start) {
		kfree(is_start);
		return -ENOMEM;
	}
	sp->n = 0;
	for (uint32_t i = 0; i < n; i++)
		if (is_start[i])
			sp->start[sp->n++] = i;
	kfree(is_start);
	return 0;
}

/*
 * Copy record i of count from the user array at base (urec bytes each) into krec (krec_size
 * bytes, zero-filled past the user's record): 0, -EFAULT, or -E2BIG for a nonzero byte past
 * krec_size, after writing krec_size into the attribute at rec_size_off, as Linux does so that
 * a loader can retry with records of the kernel's size.
 */
static int copy_record(uint64_t uattr, size_t rec_size_off, uint64_t base, uint32_t i,
		       uint32_t urec, void *krec, uint32_t krec_size)
{
	uint64_t at = base + (uint64_t)i * urec;
	int err = bpf_check_uarg_tail_zero(at, krec_size, urec);

	if (err == -E2BIG &&
	    bpf_attr_put_u32(uattr, rec_size_off, urec < krec_size ? urec : krec_size))
		return -EFAULT;
	if (err)
		return err;
	memset(krec, 0, krec_size);
	return copyin(UPTR(at), krec, urec < krec_size ? urec : krec_size);
}

/* Linux's check_btf_func_early, then check_btf_func against the subprograms. */
static int load_func_info(const union bpf_attr *attr, uint64_t uattr, const struct subprogs *sp,
			  struct bpf_prog_btf *pb, struct bpf_prog_btf_log *log)
{
	uint32_t n = attr->func_info_cnt, urec = attr->func_info_rec_size;

	if (!n)
		return 0;
	if (urec < MIN_FUNC_INFO_SIZE || urec > MAX_INFO_REC_SIZE || urec % 4)
		return log_reason(log, -EINVAL, "invalid func info rec size %u", urec);
	pb->func_info = kmalloc((size_t)n * sizeof(*pb->func_info));
	if (!pb->func_info)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		struct bpf_func_info *r = &pb->func_info[i];
		int err = copy_record(uattr, offsetof(union bpf_attr, func_info_rec_size),
				      attr->func_info, i, urec, r, sizeof(*r));
		if (err == -E2BIG)
			return log_reason(log, err, "nonzero tailing record in func info");
		if (err)
			return err;
		if (i == 0 && r->insn_off)
			return log_reason(log, -EINVAL,
					  "nonzero insn_off %u for the first func info record",
					  r->insn_off);
		if (i && r->insn_off <= r[-1].insn_off)
			return log_reason(
				log, -EINVAL,
				"same or smaller insn offset (%u) than previous func info record (%u)",
				r->insn_off, r[-1].insn_off);
		const struct btf_type *t = btf_type_by_id(pb->btf, r->type_id);
		if (!t || BTF_INFO_KIND(t->info) != BTF_KIND_FUNC)
			return log_reason(log, -EINVAL, "invalid type id %d in func info",
					  (int)r->type_id);
		pb->nfunc_info = i + 1;
	}
	if (n != sp->n)
		return log_reason(
			log, -EINVAL,
			"number of funcs in func_info doesn't match number of subprogs\n");
	for (uint32_t i = 0; i < n; i++)
		if (pb->func_info[i].insn_off != sp->start[i])
			return log_reason(
				log, -EINVAL,
				"func_info BTF section doesn't match subprog layout in BPF program\n");
	return 0;
}

/* Linux's check_btf_line. */
static int load_line_info(const union bpf_attr *attr, uint64_t uattr, const struct bpf_insn *insns,
			  const struct subprogs *sp, struct bpf_prog_btf *pb,
			  struct bpf_prog_btf_log *log)
{
	uint32_t n = attr->line_info_cnt, urec = attr->line_info_rec_size, len = attr->insn_cnt,
		 s = 0;

	if (!n)
		return 0;
	if (n > INT32_MAX / sizeof(struct bpf_line_info))
		return -EINVAL;
	if (urec < MIN_LINE_INFO_SIZE || urec > MAX_INFO_REC_SIZE || urec % 4)
		return -EINVAL;
	pb->line_info = kmalloc((size_t)n * sizeof(*pb->line_info));
	if (!pb->line_info)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		struct bpf_line_info *r = &pb->line_info[i];
		int err = copy_record(uattr, offsetof(union bpf_attr, line_info_rec_size),
				      attr->line_info, i, urec, r, sizeof(*r));
		if (err == -E2BIG)
			return log_reason(log, err, "nonzero tailing record in line_info");
		if (err)
			return err;
		uint32_t prev = i ? r[-1].insn_off : 0;
		if ((i && r->insn_off <= prev) || r->insn_off >= len)
			return log_reason(
				log, -EINVAL,
				"Invalid line_info[%u].insn_off:%u (prev_offset:%u prog->len:%u)\n",
				i, r->insn_off, prev, len);
		if (!insns[r->insn_off].code)
			return log_reason(log, -EINVAL,
					  "Invalid insn code at line_info[%u].insn_off\n", i);
		if (!btf_name_by_offset(pb->btf, r->line_off) ||
		    !btf_name_by_offset(pb->btf, r->file_name_off))
			return log_reason(log, -EINVAL,
					  "Invalid line_info[%u].line_off or .file_name_off\n", i);
		if (s != sp->n) {
			if (r->insn_off == sp->start[s])
				s++;
			else if (sp->start[s] < r->insn_off)
				return log_reason(log, -EINVAL,
						  "missing bpf_line_info for func#%u\n", s);
		}
		pb->nline_info = i + 1;
	}
	if (s != sp->n)
		return log_reason(log, -EINVAL,
				  "missing bpf_line_info for %u funcs starting from func#%u\n",
				  sp->n - s, s);
	return 0;
}

int bpf_prog_btf_load(const union bpf_attr *attr, uint64_t uattr, const struct bpf_insn *insns,
		      struct bpf_prog_btf *out, struct bpf_prog_btf_log *log)
{
	struct subprogs sp = {0};

	memset(out, 0, sizeof(*out));
	log->true_size = 0;
	if (!attr->func_info_cnt && !attr->line_info_cnt)
		return 0;
	int err = bpf_btf_fd_get((int)attr->prog_btf_fd, &out->btf);
	if (err)
		return err;
	if (btf_is_kernel(out->btf))
		err = -EACCES;
	if (!err)
		err = find_subprogs(insns, attr->insn_cnt, &sp);
	if (!err)
		err = load_func_info(attr, uattr, &sp, out, log);
	if (!err)
		err = load_line_info(attr, uattr, insns, &sp, out, log);
	kfree(sp.start);
	if (err)
		bpf_prog_btf_release(out);
	return err;
}

void bpf_prog_btf_release(struct bpf_prog_btf *pb)
{
	if (pb->btf)
		btf_put(pb->btf);
	kfree(pb->func_info);
	kfree(pb->line_info);
	memset(pb, 0, sizeof(*pb));
}
