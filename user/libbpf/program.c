/*
 * Programs: libbpf's section names (what type a SEC("...") program has, where it attaches), the
 * functions of the code sections (every STT_FUNC symbol: entry programs in their own sections,
 * subprograms in .text), and the bpf_program accessors.
 */
#include <stdlib.h>
#include <string.h>

#include "libbpf_internal.h"

/*
 * libbpf's section names for the program types Linux has. Kestrel's kernel decides which of them
 * it runs: a type it refuses fails bpf_object__load with -EOPNOTSUPP (load.c), so this table need
 * not change when the kernel learns a type.
 */
static const struct sec_def sec_defs[] = {
	{"syscall", false, BPF_PROG_TYPE_SYSCALL, 0, true, ATTACH_NONE, NULL, 0},
	{"tc", false, BPF_PROG_TYPE_SCHED_CLS, 0, false, ATTACH_NONE, NULL, 0},
	{"classifier", false, BPF_PROG_TYPE_SCHED_CLS, 0, false, ATTACH_NONE, NULL, 0},
	{"action", false, BPF_PROG_TYPE_SCHED_ACT, 0, false, ATTACH_NONE, NULL, 0},
	{"raw_tp", true, BPF_PROG_TYPE_RAW_TRACEPOINT, 0, false, ATTACH_RAW_TP, NULL, 0},
	{"raw_tracepoint", true, BPF_PROG_TYPE_RAW_TRACEPOINT, 0, false, ATTACH_RAW_TP, NULL, 0},
	{"raw_tp.w", true, BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE, 0, false, ATTACH_RAW_TP, NULL, 0},
	{"raw_tracepoint.w", true, BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE, 0, false, ATTACH_RAW_TP,
	 NULL, 0},
	{"tp_btf", true, BPF_PROG_TYPE_TRACING, ATTACH_TRACE_RAW_TP, false, ATTACH_TRACE,
	 "btf_trace_", BTF_KIND_TYPEDEF},
	{"iter", true, BPF_PROG_TYPE_TRACING, ATTACH_TRACE_ITER, false, ATTACH_ITER, "bpf_iter_",
	 BTF_KIND_FUNC},
	{"iter.s", true, BPF_PROG_TYPE_TRACING, ATTACH_TRACE_ITER, true, ATTACH_ITER, "bpf_iter_",
	 BTF_KIND_FUNC},
	{"fentry", true, BPF_PROG_TYPE_TRACING, ATTACH_TRACE_FENTRY, false, ATTACH_TRACE, "",
	 BTF_KIND_FUNC},
	{"fexit", true, BPF_PROG_TYPE_TRACING, ATTACH_TRACE_FEXIT, false, ATTACH_TRACE, "",
	 BTF_KIND_FUNC},
	{"fmod_ret", true, BPF_PROG_TYPE_TRACING, ATTACH_MODIFY_RETURN, false, ATTACH_TRACE, "",
	 BTF_KIND_FUNC},
	{"lsm", true, BPF_PROG_TYPE_LSM, ATTACH_LSM_MAC, false, ATTACH_TRACE, "bpf_lsm_",
	 BTF_KIND_FUNC},
	{"perf_event", false, BPF_PROG_TYPE_PERF_EVENT, 0, false, ATTACH_NONE, NULL, 0},
	{"kprobe", true, BPF_PROG_TYPE_KPROBE, 0, false, ATTACH_NONE, NULL, 0},
	{"kretprobe", true, BPF_PROG_TYPE_KPROBE, 0, false, ATTACH_NONE, NULL, 0},
	{"uprobe", true, BPF_PROG_TYPE_KPROBE, 0, false, ATTACH_NONE, NULL, 0},
	{"uretprobe", true, BPF_PROG_TYPE_KPROBE, 0, false, ATTACH_NONE, NULL, 0},
	{"ksyscall", true, BPF_PROG_TYPE_KPROBE, 0, false, ATTACH_NONE, NULL, 0},
	{"kretsyscall", true, BPF_PROG_TYPE_KPROBE, 0, false, ATTACH_NONE, NULL, 0},
	{"tracepoint", true, BPF_PROG_TYPE_TRACEPOINT, 0, false, ATTACH_NONE, NULL, 0},
	{"tp", true, BPF_PROG_TYPE_TRACEPOINT, 0, false, ATTACH_NONE, NULL, 0},
	{"socket", false, BPF_PROG_TYPE_SOCKET_FILTER, 0, false, ATTACH_NONE, NULL, 0},
	{"xdp", false, BPF_PROG_TYPE_XDP, ATTACH_XDP, false, ATTACH_NONE, NULL, 0},
	{"sk_skb", true, BPF_PROG_TYPE_SK_SKB, 0, false, ATTACH_NONE, NULL, 0},
	{"sk_msg", false, BPF_PROG_TYPE_SK_MSG, 0, false, ATTACH_NONE, NULL, 0},
	{"sk_lookup", false, BPF_PROG_TYPE_SK_LOOKUP, ATTACH_SK_LOOKUP, false, ATTACH_NONE, NULL,
	 0},
	{"flow_dissector", false, BPF_PROG_TYPE_FLOW_DISSECTOR, 0, false, ATTACH_NONE, NULL, 0},
	{"cgroup_skb/ingress", false, BPF_PROG_TYPE_CGROUP_SKB, ATTACH_CGROUP_INET_INGRESS, false,
	 ATTACH_NONE, NULL, 0},
	{"cgroup_skb/egress", false, BPF_PROG_TYPE_CGROUP_SKB, ATTACH_CGROUP_INET_EGRESS, false,
	 ATTACH_NONE, NULL, 0},
	{"lwt_in", false, BPF_PROG_TYPE_LWT_IN, 0, false, ATTACH_NONE, NULL, 0},
	{"lwt_out", false, BPF_PROG_TYPE_LWT_OUT, 0, false, ATTACH_NONE, NULL, 0},
	{"lwt_xmit", false, BPF_PROG_TYPE_LWT_XMIT, 0, false, ATTACH_NONE, NULL, 0},
	{"struct_ops", true, BPF_PROG_TYPE_STRUCT_OPS, 0, false, ATTACH_NONE, NULL, 0},
};

const struct sec_def *sec_def_find(const char *sec)
{
	for (size_t i = 0; i < sizeof(sec_defs) / sizeof(sec_defs[0]); i++) {
		const struct sec_def *d = &sec_defs[i];
		size_t n = strlen(d->prefix);

		if (!strncmp(sec, d->prefix, n) && (sec[n] == 0 || (d->plus && sec[n] == '/')))
			return d;
	}
	return NULL;
}

const char *sec_target(const char *sec)
{
	const char *slash = strchr(sec, '/');

	return slash && slash[1] ? slash + 1 : NULL;
}

/* Sorts functions by (section, offset) (insertion sort: symbols come nearly in order). */
static void sort_funcs(struct code_func *f, uint32_t n)
{
	for (uint32_t i = 1; i < n; i++) {
		struct code_func x = f[i];
		uint32_t j = i;

		for (; j > 0 &&
		       (f[j - 1].sec > x.sec || (f[j - 1].sec == x.sec && f[j - 1].off > x.off));
		     j--)
			f[j] = f[j - 1];
		f[j] = x;
	}
}

/* One STT_FUNC symbol of a code section into *f: -EINVAL for one outside its section. */
static int read_func(struct bpf_object *obj, const struct elf64_sym *sym, struct code_func *f)
{
	const struct elf_sec *s = &obj->elf.secs[sym->st_shndx];
	const char *name = elf_sym_name(&obj->elf, sym);
	uint64_t insns = s->size / 8;

	if (!name[0] || sym->st_value % 8 || sym->st_size % 8 || !sym->st_size ||
	    sym->st_value / 8 > insns || sym->st_size / 8 > insns - sym->st_value / 8) {
		pr_warn("elf: section '%s': function '%s' (offset %llu, size %llu) does not fit the section\n",
			s->name, name, (unsigned long long)sym->st_value,
			(unsigned long long)sym->st_size);
		return -EINVAL;
	}
	if (sym->st_shndx != obj->text_sec && ELF_ST_BIND(sym->st_info) == STB_LOCAL) {
		pr_warn("elf: section '%s': program '%s' is static, which is not supported\n",
			s->name, name);
		return -EOPNOTSUPP;
	}
	*f = (struct code_func){name, sym->st_shndx, (uint32_t)(sym->st_value / 8),
				(uint32_t)(sym->st_size / 8), -1};
	return 0;
}

int programs_collect(struct bpf_object *obj)
{
	const struct elf_file *ef = &obj->elf;
	uint32_t n = 0, nprogs = 0;

	for (int pass = 0; pass < 2; pass++) {
		n = nprogs = 0;
		for (uint32_t i = 1; i < ef->nr_syms; i++) {
			const struct elf64_sym *sym = &ef->syms[i];

			if (ELF_ST_TYPE(sym->st_info) != STT_FUNC || sym->st_shndx >= ef->nr_secs ||
			    !obj->code[sym->st_shndx].insns)
				continue;
			if (pass == 1) {
				int r = read_func(obj, sym, &obj->funcs[n]);
				if (r)
					return r;
			}
			n++;
			nprogs += sym->st_shndx != obj->text_sec;
		}
		if (pass == 0) {
			obj->funcs = calloc(n ? n : 1, sizeof(*obj->funcs));
			obj->progs = calloc(nprogs ? nprogs : 1, sizeof(*obj->progs));
			if (!obj->funcs || !obj->progs)
				return -ENOMEM;
		}
	}
	obj->nr_funcs = n;
	sort_funcs(obj->funcs, n);
	for (uint32_t i = 1; i < n; i++) {
		const struct code_func *a = &obj->funcs[i - 1], *b = &obj->funcs[i];
		if (a->sec == b->sec && a->off + a->cnt > b->off) {
			pr_warn("elf: functions '%s' and '%s' overlap\n", a->name, b->name);
			return -EINVAL;
		}
	}

	for (uint32_t i = 0; i < n; i++) {
		struct code_func *f = &obj->funcs[i];
		if (f->sec == obj->text_sec)
			continue;
		struct bpf_program *p = &obj->progs[obj->nr_progs];
		const char *sec = ef->secs[f->sec].name;

		f->prog = (int)obj->nr_progs++;
		p->obj = obj;
		p->name = f->name;
		p->sec_name = sec;
		p->func = i;
		p->autoload = sec[0] != '?';
		p->autoattach = true;
		p->def = sec_def_find(sec[0] == '?' ? sec + 1 : sec);
		p->fd = -1;
		if (p->def) {
			p->type = p->def->type;
			p->expected_attach_type = p->def->attach_type;
			p->prog_flags = p->def->sleepable ? BPF_F_SLEEPABLE : 0;
		}
	}
	return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Accessors
 */
const char *bpf_program__name(const struct bpf_program *prog)
{
	return prog->name;
}

const char *bpf_program__section_name(const struct bpf_program *prog)
{
	return prog->sec_name;
}

bool bpf_program__autoload(const struct bpf_program *prog)
{
	return prog->autoload;
}

int bpf_program__set_autoload(struct bpf_program *prog, bool autoload)
{
	if (prog->obj->loaded)
		return libbpf_err(-EBUSY);
	prog->autoload = autoload;
	return 0;
}

bool bpf_program__autoattach(const struct bpf_program *prog)
{
	return prog->autoattach;
}

void bpf_program__set_autoattach(struct bpf_program *prog, bool autoattach)
{
	prog->autoattach = autoattach;
}

size_t bpf_program__insn_cnt(const struct bpf_program *prog)
{
	return prog->obj->funcs[prog->func].cnt;
}

int bpf_program__fd(const struct bpf_program *prog)
{
	if (!prog)
		return libbpf_err(-EINVAL);
	if (prog->fd < 0)
		return libbpf_err(-ENOENT);
	return prog->fd;
}

enum bpf_prog_type bpf_program__type(const struct bpf_program *prog)
{
	return prog->type;
}

int bpf_program__set_type(struct bpf_program *prog, enum bpf_prog_type type)
{
	if (prog->obj->loaded)
		return libbpf_err(-EBUSY);
	prog->type = type;
	return 0;
}

__u32 bpf_program__expected_attach_type(const struct bpf_program *prog)
{
	return prog->expected_attach_type;
}

int bpf_program__set_expected_attach_type(struct bpf_program *prog, __u32 type)
{
	if (prog->obj->loaded)
		return libbpf_err(-EBUSY);
	prog->expected_attach_type = type;
	return 0;
}

__u32 bpf_program__flags(const struct bpf_program *prog)
{
	return prog->prog_flags;
}

int bpf_program__set_flags(struct bpf_program *prog, __u32 flags)
{
	if (prog->obj->loaded)
		return libbpf_err(-EBUSY);
	prog->prog_flags = flags;
	return 0;
}

__u32 bpf_program__log_level(const struct bpf_program *prog)
{
	return prog->log_level;
}

int bpf_program__set_log_level(struct bpf_program *prog, __u32 log_level)
{
	if (prog->obj->loaded)
		return libbpf_err(-EBUSY);
	prog->log_level = log_level;
	return 0;
}

const char *bpf_program__log_buf(const struct bpf_program *prog, size_t *log_size)
{
	*log_size = prog->log_size;
	return prog->log_buf;
}

int bpf_program__set_log_buf(struct bpf_program *prog, char *log_buf, size_t log_size)
{
	if (!log_buf != !log_size)
		return libbpf_err(-EINVAL);
	if (log_size > UINT32_MAX)
		return libbpf_err(-EINVAL);
	if (prog->obj->loaded)
		return libbpf_err(-EBUSY);
	prog->log_buf = log_buf;
	prog->log_size = log_size;
	return 0;
}
