/*
 * BPF_PROG_TEST_RUN: run a loaded program on a context built from the caller's buffers and report
 * r0 and the time it took (contract and errors in include/uapi/bpf.h). What a run's context is
 * depends on the program type: one entry per type in test_runs below, as Linux's prog ops'
 * test_run (net/bpf/test_run.c); a type without one gives ENOTSUPP.
 *
 * The runs: repeat times (0 means once), each its own RCU read-side section (bpf_prog_run);
 * between two runs the task may be preempted (preempt_point), so a huge repeat never holds the
 * CPU, and a task that was killed stops early with EINTR. duration is the mean nanoseconds per
 * run over the runs made, time spent preempted left out, as Linux's bpf_test_timer.
 */
#include "kernel/bpf/syscall.h"

#include "kernel/bpf/file.h"
#include "kernel/bpf/prog.h"
#include "kernel/ktime.h"
#include "kernel/preempt.h"
#include "kernel/string.h"
#include "kernel/task.h"
#include "kernel/usercopy.h"
#include "mm/kmem.h"
#include "uapi/errno.h"

#define SYSCALL_CTX_MAX 0xffffu /* Linux's U16_MAX for BPF_PROG_TYPE_SYSCALL contexts */
/* Most syscall contexts are a few arguments: those live on the stack, with no allocation per run. */
#define SYSCALL_CTX_ONSTACK 64
#define ETH_HLEN 14
/* Linux's bound on skb test data: a page less headroom (64) and the shared info's tailroom (320). */
#define SKB_DATA_MAX (4096u - 64 - 320)
#define SKB_WIRE_LEN_MAX 65536u /* GSO_LEGACY_MAX_SIZE */
#define SKB_GSO_SEGS_MAX 65535u /* GSO_MAX_SEGS */
#define LOOPBACK_IFINDEX 1

#define UPTR(a) ((void *)(uintptr_t)(a))
#define TEST_OFF(field) offsetof(union bpf_attr, test.field)

/* The result every type reports back. */
struct run_result {
	uint32_t retval, duration;
};

static int run_repeat(struct bpf_prog *prog, void *ctx, uint32_t repeat, struct run_result *res)
{
	uint64_t spent = 0, t0 = ktime_get_ns();
	uint32_t runs = 0;
	int err = 0;

	/* One run, the common case (one BPF_PROG_TEST_RUN per call): no loop, no division. */
	if (repeat <= 1) {
		res->retval = (uint32_t)bpf_prog_run(prog, ctx);
		spent = ktime_get_ns() - t0;
		bpf_prog_account(prog, 1, spent);
		res->duration = spent > UINT32_MAX ? UINT32_MAX : (uint32_t)spent;
		return 0;
	}
	for (;;) {
		res->retval = (uint32_t)bpf_prog_run(prog, ctx);
		if (++runs == repeat)
			break;
		if (__atomic_load_n(&task_current()->killed, __ATOMIC_RELAXED)) {
			err = -EINTR;
			break;
		}
		if (preempt_due()) {
			spent += ktime_get_ns() - t0;
			preempt_point();
			t0 = ktime_get_ns();
		}
	}
	spent += ktime_get_ns() - t0;
	bpf_prog_account(prog, runs, spent);
	res->duration = spent / runs > UINT32_MAX ? UINT32_MAX : (uint32_t)(spent / runs);
	return err;
}

/*
 * Linux's bpf_ctx_finish and bpf_test_finish's copy: size bytes of buf to out, cut to size_out
 * when that is smaller (-ENOSPC then, after everything is written; size_out 0 means no limit for
 * data, as Linux), and size itself into the attribute at size_off. 0, -ENOSPC or -EFAULT.
 */
static int copy_back(const void *buf, uint32_t size, uint64_t out, uint32_t size_out,
		     bool zero_is_unlimited, uint64_t uattr, size_t size_off)
{
	uint32_t n = size;
	int err = 0;

	if ((size_out || !zero_is_unlimited) && n > size_out) {
		n = size_out;
		err = -ENOSPC;
	}
	if (out && copyout(buf, UPTR(out), n))
		return -EFAULT;
	if (bpf_attr_put_u32(uattr, size_off, size))
		return -EFAULT;
	return err;
}

/* retval and duration into the caller's attribute block, in one user-access window. */
static int put_result(uint64_t uattr, const struct run_result *res)
{
	const struct user_u32 puts[] = {
		{TEST_OFF(retval), res->retval},
		{TEST_OFF(duration), res->duration},
	};

	return copyout_u32s(UPTR(uattr), TEST_OFF(duration) + sizeof(uint32_t), puts, 2);
}

/* ---------------------------------------------------------------------------------------------
 * BPF_PROG_TYPE_SYSCALL: the context is ctx_in's bytes, read and written by the program.
 */
static int run_syscall(struct bpf_prog *prog, const union bpf_attr *attr, uint64_t uattr)
{
	uint32_t size = attr->test.ctx_size_in;
	struct run_result res = {0};
	uint64_t onstack[SYSCALL_CTX_ONSTACK / sizeof(uint64_t)];
	void *ctx = NULL;

	if (attr->test.data_in || attr->test.data_out || attr->test.duration || attr->test.flags)
		return -EINVAL;
	if (size < bpf_prog_max_ctx_offset(prog) || size > SYSCALL_CTX_MAX)
		return -EINVAL;
	if (size && size <= sizeof(onstack))
		ctx = onstack;
	else if (size && !(ctx = kmalloc(size)))
		return -ENOMEM;
	/* No context (the common case): nothing to copy (bpf_cmd_prog_test_run made ctx_in 0 too). */
	int err = size ? copyin(UPTR(attr->test.ctx_in), ctx, size) : 0;
	if (!err)
		err = run_repeat(prog, ctx, attr->test.repeat, &res);
	if (!err)
		err = put_result(uattr, &res);
	/* Linux writes the context back over ctx_in; ctx_out is Kestrel's addition. */
	if (!err && size && copyout(ctx, UPTR(attr->test.ctx_in), size))
		err = -EFAULT;
	if (!err && attr->test.ctx_out)
		err = copy_back(ctx, size, attr->test.ctx_out, attr->test.ctx_size_out, false,
				uattr, TEST_OFF(ctx_size_out));
	if (ctx != onstack)
		kfree(ctx);
	return err;
}

/* ---------------------------------------------------------------------------------------------
 * BPF_PROG_TYPE_SCHED_CLS: a struct __sk_buff over data_in's bytes, as Linux's
 * bpf_prog_test_run_skb builds it on the loopback device.
 */

/* Whether bytes [from, to) of the user's __sk_buff are zero (Linux's range_is_zero). */
static bool skb_zero(const struct __sk_buff *s, size_t from, size_t to)
{
	const uint8_t *b = (const uint8_t *)s;

	for (size_t i = from; i < to; i++)
		if (b[i])
			return false;
	return true;
}

#define SKB_OFF(f) offsetof(struct __sk_buff, f)
#define SKB_END(f) (offsetof(struct __sk_buff, f) + sizeof(((struct __sk_buff *)0)->f))

/* Linux's convert___skb_to_skb: only the fields a test may set may be nonzero. */
static int skb_ctx_check(const struct __sk_buff *u, uint32_t len)
{
	if (!skb_zero(u, 0, SKB_OFF(mark)) || !skb_zero(u, SKB_END(mark), SKB_OFF(priority)) ||
	    !skb_zero(u, SKB_END(ifindex), SKB_OFF(cb)) ||
	    !skb_zero(u, SKB_END(cb), SKB_OFF(tstamp)) ||
	    !skb_zero(u, SKB_END(gso_segs), SKB_OFF(gso_size)) ||
	    !skb_zero(u, SKB_END(gso_size), SKB_OFF(hwtstamp)) ||
	    !skb_zero(u, SKB_END(hwtstamp), sizeof(*u)))
		return -EINVAL;
	if (u->wire_len && (u->wire_len < len || u->wire_len > SKB_WIRE_LEN_MAX))
		return -EINVAL;
	return u->gso_segs > SKB_GSO_SEGS_MAX ? -EINVAL : 0;
}

/* What eth_type_trans makes of the frame on the loopback device (address 00:00:00:00:00:00). */
static void skb_eth(struct __sk_buff *skb, const uint8_t *d, uint32_t len)
{
	static const uint8_t zero[6];
	uint16_t type = (uint16_t)(d[12] << 8 | d[13]);

	if (memcmp(d, zero, 6))
		skb->pkt_type = !(d[0] & 1) ? 3 /* PACKET_OTHERHOST */
				: (d[0] & d[1] & d[2] & d[3] & d[4] & d[5]) == 0xff
					? 1 /* PACKET_BROADCAST */
					: 2 /* PACKET_MULTICAST */;
	/* protocol is a big-endian __be16, as a program reads it */
	if (type >= 0x600)
		skb->protocol = (uint32_t)(d[12] | d[13] << 8);
	/* ETH_P_802_3 */
	else if (len >= ETH_HLEN + 2 && d[14] == 0xff && d[15] == 0xff)
		skb->protocol = 0x0100;
	/* ETH_P_802_2 */
	else
		skb->protocol = 0x0400;
}

/* The context a run gets: len and the frame's fields, the loopback ifindex, and the caller's fields. */
static void skb_build(struct __sk_buff *skb, const struct __sk_buff *u, const uint8_t *data,
		      uint32_t len)
{
	memset(skb, 0, sizeof(*skb));
	skb->len = len;
	skb->ifindex = LOOPBACK_IFINDEX;
	skb_eth(skb, data, len);
	if (!u)
		return;
	skb->mark = u->mark;
	skb->priority = u->priority;
	skb->ingress_ifindex = u->ingress_ifindex;
	skb->tstamp = u->tstamp;
	memcpy(skb->cb, u->cb, sizeof(skb->cb));
	skb->wire_len = u->wire_len ? u->wire_len : len;
	skb->gso_segs = u->gso_segs;
	skb->gso_size = u->gso_size;
	skb->hwtstamp = u->hwtstamp;
}

/* Linux's convert_skb_to___skb: what a test gets back in ctx_out. */
static void skb_result(struct __sk_buff *u, const struct __sk_buff *skb)
{
	u->mark = skb->mark;
	u->priority = skb->priority;
	u->ingress_ifindex = skb->ingress_ifindex;
	u->ifindex = skb->ifindex;
	u->tstamp = skb->tstamp;
	memcpy(u->cb, skb->cb, sizeof(u->cb));
	u->wire_len = skb->wire_len;
	u->gso_segs = skb->gso_segs;
	u->hwtstamp = skb->hwtstamp;
}

/* The caller's __sk_buff (zero-extended) if it gave one: 1 with *u filled, 0 without, or -errno. */
static int skb_ctx_in(const union bpf_attr *attr, struct __sk_buff *u)
{
	uint32_t n = attr->test.ctx_size_in;

	if (!attr->test.ctx_in && !attr->test.ctx_out)
		return 0;
	memset(u, 0, sizeof(*u));
	if (!attr->test.ctx_in)
		return 1;
	int err = bpf_check_uarg_tail_zero(attr->test.ctx_in, sizeof(*u), n);
	if (err)
		return err;
	if (copyin(UPTR(attr->test.ctx_in), u, n < sizeof(*u) ? n : sizeof(*u)))
		return -EFAULT;
	return 1;
}

static int run_skb(struct bpf_prog *prog, const union bpf_attr *attr, uint64_t uattr)
{
	uint32_t len = attr->test.data_size_in;
	struct __sk_buff u = {0}, skb;
	struct run_result res = {0};

	if ((attr->test.flags & ~BPF_F_TEST_SKB_CHECKSUM_COMPLETE) || attr->test.cpu ||
	    attr->test.batch_size)
		return -EINVAL;
	if (len < ETH_HLEN || len > SKB_DATA_MAX)
		return -EINVAL;
	uint8_t *data = kmalloc(len);
	if (!data)
		return -ENOMEM;
	int err = copyin(UPTR(attr->test.data_in), data, len) ? -EFAULT : skb_ctx_in(attr, &u);
	bool have_ctx = err == 1;
	if (have_ctx)
		err = u.ifindex > LOOPBACK_IFINDEX ? -ENODEV : skb_ctx_check(&u, len);
	if (!err) {
		skb_build(&skb, have_ctx ? &u : NULL, data, len);
		err = run_repeat(prog, &skb, attr->test.repeat, &res);
	}
	if (!err)
		err = copy_back(data, len, attr->test.data_out, attr->test.data_size_out, true,
				uattr, TEST_OFF(data_size_out));
	if (!err || err == -ENOSPC) {
		int e = put_result(uattr, &res);
		err = e ? e : err;
	}
	if (!err && have_ctx && attr->test.ctx_out) {
		skb_result(&u, &skb);
		err = copy_back(&u, sizeof(u), attr->test.ctx_out, attr->test.ctx_size_out, false,
				uattr, TEST_OFF(ctx_size_out));
	}
	kfree(data);
	return err;
}

/* ---------------------------------------------------------------------------------------------
 * The command
 */

typedef int (*test_run_fn)(struct bpf_prog *prog, const union bpf_attr *attr, uint64_t uattr);

static const test_run_fn test_runs[__MAX_BPF_PROG_TYPE] = {
	[BPF_PROG_TYPE_SYSCALL] = run_syscall,
	[BPF_PROG_TYPE_SCHED_CLS] = run_skb,
};

int bpf_cmd_prog_test_run(int cmd, union bpf_attr *attr, uint64_t uattr, uint32_t size)
{
	struct bpf_prog_file *pf;

	(void)cmd, (void)size;
	if (!attr->test.ctx_size_in != !attr->test.ctx_in ||
	    !attr->test.ctx_size_out != !attr->test.ctx_out)
		return -EINVAL;
	int err = bpf_prog_file_get((int)attr->test.prog_fd, &pf);
	if (err)
		return err;
	uint32_t type = bpf_prog_type_of(pf->prog);
	test_run_fn run = type < __MAX_BPF_PROG_TYPE ? test_runs[type] : NULL;
	err = run ? run(pf->prog, attr, uattr) : -ENOTSUPP;
	file_put(&pf->file);
	return err;
}
