/*
 * Externs: undefined symbols the BPF object names with __ksym (BTF DATASEC ".ksyms"): kernel
 * functions (kfuncs), called with BPF_PSEUDO_KFUNC_CALL and the function's id in the kernel's BTF,
 * and kernel variables, loaded with BPF_PSEUDO_BTF_ID (linker.c writes the instructions). A __weak
 * one the kernel lacks resolves to 0 instead of failing. .kconfig externs (CONFIG_*, LINUX_*) are
 * refused: Kestrel has no kernel configuration to read them from.
 */
#include <stdlib.h>
#include <string.h>

#include "libbpf_internal.h"
#include "relo_core.h"

/* The VAR or FUNC called name in DATASEC sec of btf: its id, or 0. */
static uint32_t datasec_entry(const struct btf *btf, const char *sec, const char *name)
{
	int ds = btf_find_by_name_kind(btf, sec, BTF_KIND_DATASEC);

	if (ds < 0)
		return 0;
	const struct btf_type *t = btf_type_by_id(btf, (uint32_t)ds);
	for (uint16_t i = 0; i < btf_vlen(t); i++) {
		uint32_t id = btf_var_secinfos(t)[i].type;
		const struct btf_type *v = btf_type_by_id(btf, id);
		if ((btf_kind(v) == BTF_KIND_VAR || btf_kind(v) == BTF_KIND_FUNC) &&
		    !strcmp(btf_str(btf, v->name_off), name))
			return id;
	}
	return 0;
}

int externs_collect(struct bpf_object *obj)
{
	const struct elf_file *ef = &obj->elf;
	uint32_t n = 0;

	for (uint32_t i = 1; i < ef->nr_syms; i++)
		n += ef->syms[i].st_shndx == SHN_UNDEF && elf_sym_name(ef, &ef->syms[i])[0];
	if (!n)
		return 0;
	obj->externs = calloc(n, sizeof(*obj->externs));
	if (!obj->externs)
		return -ENOMEM;
	for (uint32_t i = 1; i < ef->nr_syms; i++) {
		const struct elf64_sym *sym = &ef->syms[i];
		const char *name = elf_sym_name(ef, sym);

		if (sym->st_shndx != SHN_UNDEF || !name[0])
			continue;
		if (!obj->btf) {
			pr_warn("extern '%s': the object has no BTF to describe it\n", name);
			return -EINVAL;
		}
		if (datasec_entry(obj->btf, ".kconfig", name)) {
			pr_warn("extern (kcfg) '%s': .kconfig externs are not supported\n", name);
			return -EOPNOTSUPP;
		}
		uint32_t id = datasec_entry(obj->btf, ".ksyms", name);
		if (!id) {
			pr_warn("extern '%s': not a __ksym (no entry in the BTF's .ksyms)\n", name);
			return -EINVAL;
		}
		const struct btf_type *t = btf_type_by_id(obj->btf, id);
		struct extern_desc *e = &obj->externs[obj->nr_externs++];
		e->name = name;
		e->is_func = btf_kind(t) == BTF_KIND_FUNC;
		e->weak = ELF_ST_BIND(sym->st_info) == STB_WEAK;
		e->local_btf_id = id;
		if (!e->is_func) {
			const struct btf_type *vt = btf_skip_mods_typedefs(obj->btf, t->type, NULL);
			if (!vt || btf_kind(vt) == BTF_KIND_UNKN) {
				pr_warn("extern (var ksym) '%s': untyped ksyms (kallsyms addresses) are not supported\n",
					name);
				return -EOPNOTSUPP;
			}
		}
	}
	return 0;
}

/* Whether a kfunc's local prototype can call the kernel's: the same number of arguments. */
static bool func_compat(const struct btf *lb, const struct btf_type *lf, const struct btf *kb,
			const struct btf_type *kf)
{
	const struct btf_type *lp = btf_type_by_id(lb, lf->type);
	const struct btf_type *kp = btf_type_by_id(kb, kf->type);

	return lp && kp && btf_kind(lp) == BTF_KIND_FUNC_PROTO &&
	       btf_kind(kp) == BTF_KIND_FUNC_PROTO && btf_vlen(lp) == btf_vlen(kp);
}

int externs_resolve(struct bpf_object *obj)
{
	struct btf *kbtf;
	int err;

	if (!obj->nr_externs)
		return 0;
	kbtf = obj_kernel_btf(obj, &err);
	if (!kbtf) {
		pr_warn("extern '%s': cannot be resolved without the kernel's BTF\n",
			obj->externs[0].name);
		return err;
	}
	for (uint32_t i = 0; i < obj->nr_externs; i++) {
		struct extern_desc *e = &obj->externs[i];
		size_t len = core_essential_name_len(e->name);
		int kind = e->is_func ? BTF_KIND_FUNC : BTF_KIND_VAR;
		int id = -ENOENT;

		for (uint32_t k = 1; k < btf_type_cnt(kbtf) && id < 0; k++) {
			const struct btf_type *t = btf_type_by_id(kbtf, k);
			const char *kn = btf_str(kbtf, t->name_off);
			if (btf_kind(t) == kind && strlen(kn) == len && !strncmp(kn, e->name, len))
				id = (int)k;
		}
		if (id < 0) {
			if (e->weak) {
				e->kernel_btf_id = 0;
				pr_debug("extern '%s': not in the kernel, weak: resolved to 0\n",
					 e->name);
				continue;
			}
			pr_warn("extern (%s ksym) '%s': not found in the kernel's BTF\n",
				e->is_func ? "func" : "var", e->name);
			return -ESRCH;
		}
		if (e->is_func && !func_compat(obj->btf, btf_type_by_id(obj->btf, e->local_btf_id),
					       kbtf, btf_type_by_id(kbtf, (uint32_t)id))) {
			pr_warn("extern (func ksym) '%s': its declaration does not match the kernel's\n",
				e->name);
			return -EINVAL;
		}
		e->kernel_btf_id = id;
	}
	return 0;
}
