/*
 * The verifier log: Linux's semantics (kernel/bpf/log.c). By default the log rotates: when the
 * text outgrows the buffer, the oldest bytes go, since the reason for a rejection comes last;
 * BPF_LOG_FIXED keeps the first bytes instead. Either way the caller learns the size the whole log
 * needed and gets -ENOSPC when it did not fit; a level without a buffer only measures the log,
 * which cuts nothing, so no ENOSPC then.
 *
 * Positions are counts of bytes ever written (after resets). In rotating mode the byte at position
 * p lives at buf[p % (size - 1)]; the last byte of the buffer is kept for the NUL.
 */
#include <stdarg.h>

#include "kernel/bpf/disasm.h"
#include "kernel/bpf/verifier_impl.h"
#include "kernel/kprintf.h"
#include "kernel/string.h"
#include "uapi/errno.h"

bool bpf_verifier_log_attr_valid(bool has_buf, uint32_t size, uint32_t level)
{
	if (has_buf != (size != 0))
		return false;
	if (has_buf && !level)
		return false;
	return !(level & ~BPF_LOG_MASK) && size <= BPF_LOG_SIZE_MAX;
}

int vlog_init(struct vlog *log, const struct bpf_verifier_input *in)
{
	memset(log, 0, sizeof(*log));
	if (!bpf_verifier_log_attr_valid(in->log_buf != NULL, in->log_size, in->log_level))
		return -EINVAL;
	log->buf = in->log_buf;
	log->size = in->log_size;
	log->level = in->log_level;
	if (log->buf)
		log->buf[0] = 0;
	return 0;
}

static void vlog_append(struct vlog *log, const char *text, size_t n)
{
	/* A one-byte buffer keeps only the NUL; no buffer keeps nothing: both only measure. */
	uint64_t room = log->size > 1 ? log->size - 1 : 0;
	for (size_t i = 0; room && i < n; i++) {
		uint64_t pos = log->end + i;
		if (log->level & BPF_LOG_FIXED) {
			if (pos < room)
				log->buf[pos] = text[i];
		} else {
			log->buf[pos % room] = text[i];
		}
	}
	log->end += n;
	if (!(log->level & BPF_LOG_FIXED) && log->end - log->start > room)
		log->start = log->end - room;
	if (log->end > log->max_end)
		log->max_end = log->end;
}

void vlog(struct venv *env, const char *fmt, ...)
{
	if (!vlog_on(env))
		return;
	char line[256];
	va_list ap;
	va_start(ap, fmt);
	int n = kvsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	vlog_append(&env->log, line, (size_t)n);
}

void vlog_reset(struct vlog *log, uint64_t pos)
{
	if (!log->level || pos >= log->end)
		return;
	log->end = pos;
	if (log->start > pos)
		log->start = pos;
}

static void reverse(char *a, uint64_t lo, uint64_t hi)
{
	while (lo + 1 < hi) {
		char t = a[lo];
		a[lo] = a[hi - 1];
		a[hi - 1] = t;
		lo++;
		hi--;
	}
}

int vlog_finalize(struct vlog *log, uint32_t *true_size)
{
	*true_size = 0;
	if (!log->level)
		return 0;
	if (!log->buf) { /* only measured: nothing was cut (Linux 6.4's bpf_vlog_finalize) */
		*true_size = (uint32_t)(log->max_end + 1);
		return 0;
	}
	uint64_t room = log->size - 1;
	if (!room) {
		log->buf[0] = 0;
	} else if (log->level & BPF_LOG_FIXED) {
		log->buf[log->end < room ? log->end : room] = 0;
	} else {
		/* Rotate the ring left so the oldest kept byte comes first. */
		uint64_t first = log->start % room;
		if (first) {
			reverse(log->buf, 0, first);
			reverse(log->buf, first, room);
			reverse(log->buf, 0, room);
		}
		log->buf[log->end - log->start] = 0;
	}
	*true_size = (uint32_t)(log->max_end + 1);
	return log->max_end + 1 > log->size ? -ENOSPC : 0;
}

static const char *const type_names[] = {
	[VT_NOT_INIT] = "?",
	[VT_SCALAR] = "scalar",
	[VT_CTX] = "ctx",
	[VT_MAP_PTR] = "map_ptr",
	[VT_MAP_VALUE] = "map_value",
	[VT_MAP_KEY] = "map_key",
	[VT_STACK] = "fp",
	[VT_MEM] = "mem",
	[VT_BTF] = "ptr_",
	[VT_FUNC] = "func",
};

const char *vreg_type_str(struct venv *env, const struct vreg *r, char *buf, size_t size)
{
	(void)env;
	const char *prefix = r->flags & VF_RDONLY ? "rdonly_" : "";
	const char *postfix = "";
	if (r->flags & VF_MAYBE_NULL)
		postfix = r->type == VT_BTF ? "or_null_" : "_or_null";
	ksnprintf(buf, size, "%s%s%s", prefix, type_names[r->type], postfix);
	return buf;
}

static void vlog_reg(struct venv *env, const struct vreg *r)
{
	char name[32];
	if (r->type == VT_SCALAR && vreg_is_const(r)) {
		vlog(env, "%lld", (long long)r->var.value);
		return;
	}
	vlog(env, "%s", vreg_type_str(env, r, name, sizeof(name)));
	if (r->type == VT_STACK) {
		vlog(env, "%d", r->off);
		if (tnum_equals_const(r->var, 0))
			return;
	}
	vlog(env, "(");
	const char *sep = "";
	if (r->type == VT_MAP_PTR || r->type == VT_MAP_VALUE || r->type == VT_MAP_KEY) {
		vlog(env, "map=%u", r->aux);
		sep = ",";
	}
	if (r->type != VT_SCALAR && r->type != VT_STACK && r->off) {
		vlog(env, "%soff=%d", sep, r->off);
		sep = ",";
	}
	if (r->id && (r->flags & VF_MAYBE_NULL)) {
		vlog(env, "%sid=%u", sep, r->id);
		sep = ",";
	}
	if (!vreg_is_const(r) || r->type == VT_SCALAR) {
		if (r->smin != S64_MIN) {
			vlog(env, "%ssmin=%lld", sep, (long long)r->smin);
			sep = ",";
		}
		if (r->smax != S64_MAX) {
			vlog(env, "%ssmax=%lld", sep, (long long)r->smax);
			sep = ",";
		}
		if (r->umin) {
			vlog(env, "%sumin=%llu", sep, (unsigned long long)r->umin);
			sep = ",";
		}
		if (r->umax != U64_MAX) {
			vlog(env, "%sumax=%llu", sep, (unsigned long long)r->umax);
			sep = ",";
		}
		if (!tnum_is_unknown(r->var) && !vreg_is_const(r)) {
			char t[48];
			tnum_str(t, sizeof(t), r->var);
			vlog(env, "%svar_off=%s", sep, t);
		}
	}
	vlog(env, ")");
}

void vlog_state(struct venv *env, const struct vstate *st)
{
	if (!vlog_on(env))
		return;
	const struct vframe *fr = st->frame[st->curframe];
	if (st->curframe)
		vlog(env, "frame%u:", st->curframe);
	for (int i = 0; i < MAX_BPF_REG; i++) {
		if (fr->regs[i].type == VT_NOT_INIT)
			continue;
		vlog(env, " R%d=", i);
		vlog_reg(env, &fr->regs[i]);
	}
	for (uint32_t s = 0; s < fr->nslots; s++) {
		const struct vslot *sl = &fr->slots[s];
		char kinds[SLOT_SIZE + 1];
		bool any = false;
		for (int b = 0; b < SLOT_SIZE; b++) {
			/* Printed from the lowest address: byte 7 of the slot first. */
			uint8_t k = sl->kind[SLOT_SIZE - 1 - b];
			kinds[b] = k == SLOT_INVALID ? '?' : k == SLOT_MISC ? 'm' : 'r';
			any |= k != SLOT_INVALID;
		}
		kinds[SLOT_SIZE] = 0;
		if (!any)
			continue;
		vlog(env, " fp%d=", -(int)(s + 1) * SLOT_SIZE);
		if (sl->iter_state)
			vlog(env, "iter(ref_id=%u,state=%s,depth=%u)", sl->iter_ref,
			     sl->iter_state == ITER_ACTIVE ? "active" : "drained", sl->iter_depth);
		else if (sl->spill_size == SLOT_SIZE && sl->kind[0] == SLOT_SPILL)
			vlog_reg(env, &sl->spill);
		else
			vlog(env, "%s", kinds);
	}
	vlog(env, "\n");
}

static const char *helper_name(int32_t id)
{
	const struct bpf_func_proto *p = bpf_helper_proto(id);
	return p ? p->name : NULL;
}

void vlog_insn(struct venv *env, uint32_t i)
{
	/* As Linux: the walk is logged at levels 1 and 2; BPF_LOG_STATS alone gives reasons and stats. */
	if (!(env->log.level & (BPF_LOG_LEVEL1 | BPF_LOG_LEVEL2)))
		return;
	char text[128];
	bpf_disasm(text, sizeof(text), &env->in->insns[i], helper_name);
	vlog(env, "%u: %s\n", i, text);
}
