/*
 * bpf_object__load: externs resolved, the object's BTF offered to the kernel, maps created, then
 * each program with autoload on linked (linker.c) and loaded, as libbpf does:
 *
 *   - The first attempt asks for no verifier log (unless a log level was set). If it fails the
 *     load is repeated with a log, which is printed after the error (or left in the caller's
 *     buffer); a log the buffer could not hold is asked for again with the kernel's maximum.
 *   - The object's BTF, func_info and line_info go to the kernel only if it takes them: a kernel
 *     without BPF_BTF_LOAD, or one that refuses the records, gets the program without them.
 *   - A program type the kernel refuses (EINVAL for a two-instruction program of that type,
 *     attach target and flags) fails with -EOPNOTSUPP and says so, rather than with the kernel's
 *     EINVAL; the table of section names need not know what the kernel runs. So does one whose
 *     BTF attach target cannot be looked up because the kernel has no BTF, if the kernel refuses
 *     the bare type too (the type, not the target, is what it lacks).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libbpf_internal.h"

#define LOG_BUF_SIZE (64u << 10)
#define LOG_BUF_MAX (1u << 20) /* the most the kernel keeps */

/* The BTF id of the kernel type a tp_btf/iter/fentry/lsm program attaches to. */
static int attach_btf_id(struct bpf_object *obj, struct bpf_program *prog, uint32_t *id)
{
	const struct sec_def *d = prog->def;
	const char *sec = prog->sec_name[0] == '?' ? prog->sec_name + 1 : prog->sec_name;
	const char *target = sec_target(sec);
	char name[128];
	int err;

	*id = 0;
	if (!d || !d->btf_prefix || d->type != prog->type)
		return 0;
	if (!target) {
		pr_warn("prog '%s': section '%s' names no attach target\n", prog->name,
			prog->sec_name);
		return -EINVAL;
	}
	struct btf *kbtf = obj_kernel_btf(obj, &err);
	if (!kbtf) {
		pr_warn("prog '%s': attach target '%s' cannot be found without the kernel's BTF\n",
			prog->name, target);
		return err;
	}
	snprintf(name, sizeof(name), "%s%s", d->btf_prefix, target);
	int r = btf_find_by_name_kind(kbtf, name, d->btf_kind);
	if (r < 0) {
		pr_warn("prog '%s': the kernel has no attach target '%s' (BTF %s)\n", prog->name,
			target, name);
		return -ESRCH;
	}
	*id = (uint32_t)r;
	return 0;
}

/* Whether the kernel loads programs of prog's kind at all: 0 yes, -EOPNOTSUPP no. */
static int probe_type(struct bpf_object *obj, struct bpf_program *prog,
		      const struct bpf_prog_load_opts *base)
{
	const struct bpf_insn insns[] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0},
		{.code = BPF_JMP | BPF_EXIT},
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = base->expected_attach_type,
		    .prog_flags = base->prog_flags, .attach_btf_id = base->attach_btf_id);
	int fd = bpf_prog_load(prog->type, NULL, obj->license, insns, 2, &opts);

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return fd == -EINVAL ? -EOPNOTSUPP : 0;
}

static void print_log(const struct bpf_program *prog, const char *log)
{
	if (!log || !log[0])
		return;
	size_t n = strlen(log);
	pr_warn("prog '%s': -- BEGIN PROG LOAD LOG --\n%s%s-- END PROG LOAD LOG --\n", prog->name,
		log, log[n - 1] == '\n' ? "" : "\n");
}

int load_program(struct bpf_object *obj, struct bpf_program *prog)
{
	LIBBPF_OPTS(bpf_prog_load_opts, opts);
	struct prog_image img;
	char *own_log = NULL;
	uint32_t btf_id;
	int fd, r;

	if (prog->type == BPF_PROG_TYPE_UNSPEC) {
		pr_warn("prog '%s': section '%s' gives no program type\n", prog->name,
			prog->sec_name);
		return -EINVAL;
	}
	r = attach_btf_id(obj, prog, &btf_id);
	if (r && r == obj->kernel_btf_err) {
		/* Without the kernel's BTF the target is unknown; a kernel without the type says more. */
		opts.expected_attach_type = prog->expected_attach_type;
		opts.prog_flags = prog->prog_flags;
		if (probe_type(obj, prog, &opts) == -EOPNOTSUPP) {
			pr_warn("prog '%s': the kernel cannot load programs of type %u (section '%s')\n",
				prog->name, prog->type, prog->sec_name);
			return -EOPNOTSUPP;
		}
	}
	if (r)
		return r;
	r = link_program(obj, prog, obj->btf_fd >= 0, &img);
	if (r)
		return r;

	opts.expected_attach_type = prog->expected_attach_type;
	opts.prog_flags = prog->prog_flags;
	opts.kern_version = obj->kern_version;
	opts.attach_btf_id = btf_id;
	if (img.nr_func_info) {
		opts.prog_btf_fd = (uint32_t)obj->btf_fd;
		opts.func_info = img.func_info;
		opts.func_info_cnt = img.nr_func_info;
		opts.func_info_rec_size = sizeof(struct bpf_func_info_rec);
		opts.line_info = img.line_info;
		opts.line_info_cnt = img.nr_line_info;
		opts.line_info_rec_size = img.nr_line_info ? sizeof(struct bpf_line_info_rec) : 0;
	}
	char *user_log = prog->log_buf ? prog->log_buf : obj->log_buf;
	size_t user_size = prog->log_buf ? prog->log_size : obj->log_size;
	uint32_t level = prog->log_level ? prog->log_level : obj->log_level;
	if (level) {
		if (!user_log && !(user_log = own_log = malloc(user_size = LOG_BUF_SIZE))) {
			r = -ENOMEM;
			goto out;
		}
		opts.log_buf = user_log;
		opts.log_size = (uint32_t)user_size;
		opts.log_level = level;
		user_log[0] = 0;
	}

	fd = bpf_prog_load(prog->type, prog->name, obj->license, img.insns, img.cnt, &opts);
	if (fd < 0 && opts.func_info_cnt) {
		pr_debug("prog '%s': load with BTF info failed (%s), retrying without\n",
			 prog->name, libbpf_errstr(fd));
		opts.prog_btf_fd = opts.func_info_cnt = opts.line_info_cnt = 0;
		opts.func_info = opts.line_info = NULL;
		opts.func_info_rec_size = opts.line_info_rec_size = 0;
		fd = bpf_prog_load(prog->type, prog->name, obj->license, img.insns, img.cnt, &opts);
	}
	if (fd < 0 && !level) {
		if (!user_log && !(user_log = own_log = malloc(user_size = LOG_BUF_SIZE))) {
			r = -ENOMEM;
			goto out;
		}
		opts.log_buf = user_log;
		opts.log_size = (uint32_t)user_size;
		opts.log_level = 1;
		user_log[0] = 0;
		fd = bpf_prog_load(prog->type, prog->name, obj->license, img.insns, img.cnt, &opts);
		if (fd == -ENOSPC && own_log) {
			char *big = realloc(own_log, LOG_BUF_MAX);
			if (big) {
				user_log = own_log = big;
				opts.log_buf = big;
				opts.log_size = LOG_BUF_MAX;
				big[0] = 0;
				fd = bpf_prog_load(prog->type, prog->name, obj->license, img.insns,
						   img.cnt, &opts);
			}
		}
	}
	if (fd >= 0) {
		prog->fd = fd;
		if (own_log && level)
			pr_debug("prog '%s': verifier log:\n%s\n", prog->name, own_log);
		r = 0;
		goto out;
	}
	r = fd;
	if (r == -EINVAL && probe_type(obj, prog, &opts) == -EOPNOTSUPP) {
		pr_warn("prog '%s': the kernel cannot load programs of type %u (section '%s')\n",
			prog->name, prog->type, prog->sec_name);
		r = -EOPNOTSUPP;
		goto out;
	}
	pr_warn("prog '%s': BPF program load failed: %s\n", prog->name, libbpf_errstr(r));
	if (own_log)
		print_log(prog, own_log);
out:
	free(own_log);
	prog_image_free(&img);
	return r;
}

/*
 * DATASEC records as clang leaves them have size 0 and variable offsets 0; the kernel wants the
 * sections' sizes and the variables' offsets, which the ELF symbols give. false if some DATASEC
 * has no section (.ksyms, .kconfig): such BTF is not offered to the kernel.
 */
static bool fixup_datasecs(struct bpf_object *obj)
{
	struct btf *btf = obj->btf;

	for (uint32_t id = 1; id < btf_type_cnt(btf); id++) {
		struct btf_type *t = btf_type_mut(btf, id);
		if (btf_kind(t) != BTF_KIND_DATASEC)
			continue;
		uint32_t sec = elf_find_sec(&obj->elf, btf_str(btf, t->name_off));
		if (!sec || obj->elf.secs[sec].size > UINT32_MAX)
			return false;
		t->size = (uint32_t)obj->elf.secs[sec].size;
		struct btf_var_secinfo *vs = (struct btf_var_secinfo *)(t + 1);
		for (uint16_t i = 0; i < btf_vlen(t); i++) {
			const struct btf_type *v = btf_type_by_id(btf, vs[i].type);
			const char *vname = btf_str(btf, v->name_off);
			bool found = false;
			for (uint32_t s = 1; s < obj->elf.nr_syms && !found; s++) {
				const struct elf64_sym *sym = &obj->elf.syms[s];
				if (sym->st_shndx == sec &&
				    !strcmp(elf_sym_name(&obj->elf, sym), vname)) {
					vs[i].offset = (uint32_t)sym->st_value;
					found = true;
				}
			}
			if (!found)
				return false;
		}
	}
	return true;
}

/* Offers the object's BTF to the kernel; on any refusal the load goes on without it. */
static void upload_btf(struct bpf_object *obj)
{
	if (!obj->btf || !fixup_datasecs(obj))
		return;
	int fd = bpf_btf_load(obj->btf->data, obj->btf->size, NULL);
	if (fd < 0) {
		pr_debug("object '%s': the kernel did not take its BTF (%s); going on without\n",
			 obj->name, libbpf_errstr(fd));
		return;
	}
	obj->btf_fd = fd;
}

static void unload(struct bpf_object *obj)
{
	for (uint32_t i = 0; i < obj->nr_progs; i++) {
		if (obj->progs[i].fd >= 0)
			close(obj->progs[i].fd);
		obj->progs[i].fd = -1;
	}
	maps_release(obj);
	if (obj->btf_fd >= 0)
		close(obj->btf_fd);
	obj->btf_fd = -1;
}

int bpf_object__load(struct bpf_object *obj)
{
	int r;

	if (!obj)
		return libbpf_err(-EINVAL);
	if (obj->loaded) {
		pr_warn("object '%s': loaded already\n", obj->name);
		return libbpf_err(-EINVAL);
	}
	obj->loaded = true;
	r = externs_resolve(obj);
	if (!r) {
		upload_btf(obj);
		r = maps_create(obj);
	}
	for (uint32_t i = 0; !r && i < obj->nr_progs; i++)
		if (obj->progs[i].autoload)
			r = load_program(obj, &obj->progs[i]);
	btf_free(obj->kernel_btf);
	obj->kernel_btf = NULL;
	if (r) {
		unload(obj);
		pr_warn("object '%s': failed to load: %s\n", obj->name, libbpf_errstr(r));
	}
	return libbpf_err(r);
}
