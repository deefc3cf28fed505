/*
 * A program's instruction image, as libbpf builds it: the entry function first, then every .text
 * function it reaches by call or by taking its address (a callback), each appended once, in the
 * order first reached; then each appended function's own references, until none is new. Every
 * instruction of a placed function is rewritten for the kernel:
 *
 *   call of a BPF function      imm = its image position - (this one + 1)   (BPF_PSEUDO_CALL)
 *   ld_imm64 of a BPF function  src_reg BPF_PSEUDO_FUNC, imm as above
 *   ld_imm64 of a .maps map     src_reg BPF_PSEUDO_MAP_FD, imm the map's fd
 *   ld_imm64 of global data     src_reg BPF_PSEUDO_MAP_VALUE, imm the fd, next imm the offset
 *   call of a kfunc             src_reg BPF_PSEUDO_KFUNC_CALL, imm its kernel BTF id, off 0
 *   ld_imm64 of a ksym          src_reg BPF_PSEUDO_BTF_ID, imm its kernel BTF id (0 and src_reg 0
 *                               for a weak one the kernel lacks)
 *
 * and CO-RE relocations are applied to it (relo_core.h). Calls inside .text that clang resolved
 * itself (no ELF relocation, imm relative to the section) are rebased the same way. A call may
 * reach only .text functions and the calling function itself: another program's section is not
 * code this program can contain.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libbpf_internal.h"
#include "relo_core.h"

struct placed {
	uint32_t func;
	uint32_t at; /* image index of its first instruction */
};

struct linker {
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct prog_image *img;
	uint32_t cap;
	struct placed *placed;
	uint32_t nr_placed;
	bool btf_info;
};

static bool is_ldimm64(const struct bpf_insn *insn)
{
	return insn->code == (BPF_LD | BPF_IMM | BPF_DW);
}

/* Appends function f's instructions; its index in placed. */
static int place(struct linker *l, uint32_t f)
{
	const struct code_func *fn = &l->obj->funcs[f];
	struct prog_image *img = l->img;

	if (img->cnt + (uint64_t)fn->cnt > 1000000) {
		pr_warn("prog '%s': more than 10^6 instructions with its subprograms\n",
			l->prog->name);
		return -E2BIG;
	}
	if (img->cnt + fn->cnt > l->cap) {
		uint32_t cap = (img->cnt + fn->cnt) * 2;
		struct bpf_insn *insns = realloc(img->insns, (size_t)cap * sizeof(*insns));
		if (!insns)
			return -ENOMEM;
		img->insns = insns;
		l->cap = cap;
	}
	struct placed *p = realloc(l->placed, (l->nr_placed + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	l->placed = p;
	p[l->nr_placed] = (struct placed){f, img->cnt};
	memcpy(img->insns + img->cnt, l->obj->code[fn->sec].insns + fn->off,
	       (size_t)fn->cnt * sizeof(struct bpf_insn));
	img->cnt += fn->cnt;
	return (int)l->nr_placed++;
}

/*
 * The image index of section instruction tgt_insn of tgt_sec, placing its function if needed, for
 * a reference from function `from`: -errno if the target is not code this program may contain.
 */
static int64_t target_pos(struct linker *l, uint32_t from, uint32_t tgt_sec, uint32_t tgt_insn,
			  uint32_t at)
{
	const struct code_func *fn = obj_func_at(l->obj, tgt_sec, tgt_insn);
	const struct code_func *src = &l->obj->funcs[l->placed[from].func];

	if (!fn) {
		pr_warn("prog '%s': insn %u refers to insn %u of section '%s', which is in no function\n",
			l->prog->name, at, tgt_insn, l->obj->elf.secs[tgt_sec].name);
		return -EINVAL;
	}
	uint32_t f = (uint32_t)(fn - l->obj->funcs);
	if (fn->sec != l->obj->text_sec && fn != src) {
		pr_warn("prog '%s': insn %u refers to '%s', an entry program of section '%s'; only .text functions "
			"can be called\n",
			l->prog->name, at, fn->name, l->obj->elf.secs[fn->sec].name);
		return -EINVAL;
	}
	for (uint32_t i = 0; i < l->nr_placed; i++)
		if (l->placed[i].func == f)
			return (int64_t)l->placed[i].at + (tgt_insn - fn->off);
	int k = place(l, f);
	if (k < 0)
		return k;
	return (int64_t)l->placed[k].at + (tgt_insn - fn->off);
}

/* One instruction with an ELF relocation. */
static int apply_reloc(struct linker *l, uint32_t from, uint32_t at, const struct reloc *r)
{
	struct bpf_object *obj = l->obj;
	struct bpf_insn *insn;
	int64_t pos;

	switch (r->kind) {
	case RELO_CALL:
	case RELO_FUNC_ADDR:
		pos = target_pos(l, from, r->tgt_sec, r->tgt_insn, at);
		if (pos < 0)
			return (int)pos;
		insn = &l->img->insns[at];
		insn->imm = (int32_t)(pos - (at + 1));
		if (r->kind == RELO_FUNC_ADDR) {
			insn->src_reg = BPF_PSEUDO_FUNC;
			insn[1].imm = 0;
		}
		return 0;
	case RELO_MAP:
		insn = &l->img->insns[at];
		insn->src_reg = BPF_PSEUDO_MAP_FD;
		insn->imm = obj->maps[r->map].fd;
		insn[1].imm = 0;
		return 0;
	case RELO_DATA:
		insn = &l->img->insns[at];
		insn->src_reg = BPF_PSEUDO_MAP_VALUE;
		insn->imm = obj->maps[r->map].fd;
		insn[1].imm = (int32_t)r->data_off;
		return 0;
	case RELO_EXTERN: {
		const struct extern_desc *e = &obj->externs[r->ext];
		insn = &l->img->insns[at];
		if (insn->code == (BPF_JMP | BPF_CALL)) {
			insn->src_reg = BPF_PSEUDO_KFUNC_CALL;
			insn->imm = e->kernel_btf_id;
			insn->off = 0;
		} else {
			insn->src_reg = e->kernel_btf_id ? BPF_PSEUDO_BTF_ID : 0;
			insn->imm = e->kernel_btf_id;
			insn[1].imm = 0;
		}
		return 0;
	}
	}
	return -EINVAL;
}

/* The CO-RE relocations of placed function k. */
static int apply_core(struct linker *l, uint32_t k)
{
	struct bpf_object *obj = l->obj;
	const struct code_func *fn = &obj->funcs[l->placed[k].func];
	const char *sname = obj->elf.secs[fn->sec].name;
	const struct btf_ext_sec *es;
	char msg[160];

	if (!obj->btf_ext || !(es = btf_ext_find_sec(&obj->btf_ext->core_relo, sname)))
		return 0;
	for (uint32_t i = 0; i < es->num; i++) {
		struct bpf_core_relo_rec rec;
		struct core_relo_res res;
		struct btf *targ = NULL;
		int err = 0, r;

		memcpy(&rec, es->recs + (size_t)i * obj->btf_ext->core_relo.rec_size, sizeof(rec));
		if (rec.insn_off % 8) {
			pr_warn("prog '%s': CO-RE relocation #%u of '%s' is not on an instruction\n",
				l->prog->name, i, sname);
			return -EINVAL;
		}
		uint32_t si = rec.insn_off / 8;
		if (si < fn->off || si >= fn->off + fn->cnt)
			continue;
		if (rec.kind != BPF_CORE_TYPE_ID_LOCAL) {
			targ = obj_kernel_btf(obj, &err);
			if (!targ) {
				pr_warn("prog '%s': CO-RE relocation #%u (insn %u of '%s') needs the kernel's BTF\n",
					l->prog->name, i, si, sname);
				return err;
			}
		}
		r = core_calc_relo(obj->btf, &rec, targ, &res, msg, sizeof(msg));
		if (!r)
			r = core_patch_insn(l->img->insns, l->img->cnt,
					    l->placed[k].at + (si - fn->off), &rec, &res, msg,
					    sizeof(msg));
		if (r) {
			pr_warn("prog '%s': CO-RE relocation #%u (kind %u, insn %u of '%s') failed: %s\n",
				l->prog->name, i, rec.kind, si, sname, msg);
			return r;
		}
		if (res.poison)
			pr_debug(
				"prog '%s': CO-RE relocation #%u: no match in the kernel, insn %u poisoned\n",
				l->prog->name, i, si);
	}
	return 0;
}

/* Appends the func_info and line_info records of placed function k, rebased to the image. */
static int add_btf_info(struct linker *l, uint32_t k)
{
	struct bpf_object *obj = l->obj;
	struct prog_image *img = l->img;
	const struct code_func *fn = &obj->funcs[l->placed[k].func];
	const char *sname = obj->elf.secs[fn->sec].name;

	for (int kind = 0; kind < 2; kind++) {
		const struct btf_ext_info *info =
			kind ? &obj->btf_ext->line_info : &obj->btf_ext->func_info;
		const struct btf_ext_sec *es = btf_ext_find_sec(info, sname);

		for (uint32_t i = 0; es && i < es->num; i++) {
			const uint8_t *rec = es->recs + (size_t)i * info->rec_size;
			uint32_t off;

			memcpy(&off, rec, sizeof(off));
			if (off % 8 || off / 8 < fn->off || off / 8 >= fn->off + fn->cnt)
				continue;
			uint32_t pos = l->placed[k].at + (off / 8 - fn->off);
			if (kind == 0) {
				struct bpf_func_info_rec *p = realloc(
					img->func_info, (img->nr_func_info + 1) * sizeof(*p));
				if (!p)
					return -ENOMEM;
				img->func_info = p;
				memcpy(&p[img->nr_func_info], rec, sizeof(*p));
				p[img->nr_func_info++].insn_off = pos;
			} else {
				struct bpf_line_info_rec *p = realloc(
					img->line_info, (img->nr_line_info + 1) * sizeof(*p));
				if (!p)
					return -ENOMEM;
				img->line_info = p;
				memcpy(&p[img->nr_line_info], rec, sizeof(*p));
				p[img->nr_line_info++].insn_off = pos;
			}
		}
	}
	return 0;
}

/* Rewrites the instructions of placed function k (which may place more functions). */
static int link_func(struct linker *l, uint32_t k)
{
	struct bpf_object *obj = l->obj;
	uint32_t f = l->placed[k].func, at0 = l->placed[k].at;
	const struct code_func *fn = &obj->funcs[f];

	for (uint32_t i = 0; i < fn->cnt; i++) {
		uint32_t at = at0 + i, si = fn->off + i;
		const struct reloc *r = obj_reloc_at(obj, fn->sec, si);
		struct bpf_insn insn = l->img->insns[at];
		int err = 0;

		if (is_ldimm64(&insn) && i + 1 == fn->cnt) {
			pr_warn("prog '%s': function '%s' ends in the middle of an ld_imm64\n",
				l->prog->name, fn->name);
			return -EINVAL;
		}
		if (r) {
			err = apply_reloc(l, k, at, r);
		} else if (insn.code == (BPF_JMP | BPF_CALL) && insn.src_reg == BPF_PSEUDO_CALL) {
			int64_t t = (int64_t)si + insn.imm + 1;
			if (t < 0 || t >= obj->code[fn->sec].insn_cnt) {
				pr_warn("prog '%s': call at insn %u of '%s' leaves the section\n",
					l->prog->name, si, obj->elf.secs[fn->sec].name);
				return -EINVAL;
			}
			int64_t pos = target_pos(l, k, fn->sec, (uint32_t)t, si);
			if (pos < 0)
				return (int)pos;
			l->img->insns[at].imm = (int32_t)(pos - (at + 1));
		}
		if (err)
			return err;
		if (is_ldimm64(&insn))
			i++;
	}
	int r = apply_core(l, k);
	if (!r && l->btf_info)
		r = add_btf_info(l, k);
	return r;
}

int link_program(struct bpf_object *obj, struct bpf_program *prog, bool with_btf_info,
		 struct prog_image *img)
{
	struct linker l = {
		.obj = obj, .prog = prog, .img = img, .btf_info = with_btf_info && obj->btf_ext};
	int r;

	memset(img, 0, sizeof(*img));
	r = place(&l, prog->func);
	for (uint32_t k = 0; r >= 0 && k < l.nr_placed; k++)
		r = link_func(&l, k);
	free(l.placed);
	if (r < 0) {
		prog_image_free(img);
		return r;
	}
	return 0;
}

void prog_image_free(struct prog_image *img)
{
	free(img->insns);
	free(img->func_info);
	free(img->line_info);
	memset(img, 0, sizeof(*img));
}
