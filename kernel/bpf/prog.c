/*
 * BPF programs (contract in kernel/bpf/prog.h): loading through the verifier, the executors, ids,
 * references and runs.
 *
 * While the verifier runs, the loader keeps a reference on every map it handed out (map_get), so
 * that no map can go away under the verifier's pointer whatever happens to the fds meanwhile;
 * after a successful verification the program takes its own reference on each map the verifier
 * kept (bpf_verifier_output.maps) and the loader's are dropped. Function values (LD_IMM64
 * BPF_PSEUDO_FUNC) are struct bpf_exec_func descriptors the loader allocates when the verifier
 * asks (func_value), one per subprogram named; their address is the constant the program
 * holds, so they are filled in once the executor exists and live as long as the program.
 */
#include "kernel/bpf/prog.h"

#include "kernel/bpf/btf.h"
#include "kernel/bpf/btf_sys.h"
#include "kernel/bpf/file.h"
#include "kernel/bpf/helpers.h"
#include "kernel/bpf/kfunc.h"
#include "kernel/bpf/map.h"
#include "kernel/bpf/obj.h"
#include "kernel/bpf/verifier.h"
#include "kernel/ktime.h"
#include "kernel/multiboot.h"
#include "kernel/rcu.h"
#include "kernel/string.h"
#include "kernel/usercopy.h"
#include "mm/kmem.h"
#include "uapi/errno.h"

/* A function value and the list it is on (the loader's, then the program's). */
struct func_node {
	struct bpf_exec_func f;
	struct func_node *next;
};

/*
 * Invariants: refcnt > 0 while anyone may use the program; id is in the table exactly while
 * refcnt > 0 (once loaded); exactly one of jit and interp is set, and entry is the JIT's
 * subprogram 0 when jit is; every func_node names the executor that is set.
 */
struct bpf_prog {
	int refcnt; /* atomic */
	uint32_t id;
	uint32_t type, prog_flags, expected_attach_type, attach_btf_id;
	char name[BPF_OBJ_NAME_LEN];
	bool gpl_compatible;
	uint64_t load_time;
	struct bpf_verifier_output *vo; /* the xlated program and what the verifier found */
	struct bpf_map **maps;          /* vo->nmaps, referenced */
	struct bpf_jit_image *jit;
	struct bpf_interp_image *interp;
	bpf_func_t entry;
	struct func_node *funcs;
	struct bpf_prog_btf btf;
	uint64_t run_cnt, run_time_ns; /* atomic */
};

static struct bpf_id_table prog_ids = BPF_ID_TABLE_INIT("bpf_prog_ids");
static size_t progs_live;

/* ---------------------------------------------------------------------------------------------
 * The verifier's callbacks
 */

/* One more than the verifier keeps, so that it, not the loader, reports the map too many. */
#define LOAD_MAPS_MAX (BPF_VERIFIER_MAX_MAPS + 1)

struct load_ctx {
	uint64_t fd_array;
	struct bpf_map *held[LOAD_MAPS_MAX]; /* referenced */
	uint32_t nheld;
	struct func_node *funcs;
};

/* Keep a reference on map for the rest of the load (once per map). */
static int hold_map(struct load_ctx *c, struct bpf_map *map)
{
	for (uint32_t i = 0; i < c->nheld; i++)
		if (c->held[i] == map)
			return 0;
	if (c->nheld == LOAD_MAPS_MAX)
		return -E2BIG;
	bpf_map_get(map);
	c->held[c->nheld++] = map;
	return 0;
}

/* The fd an LD_IMM64 names: imm itself, or fd_array[imm] (Linux reads the array lazily too). */
static int map_fd_of(const struct load_ctx *c, uint32_t pseudo, int32_t imm, int *fd)
{
	if (pseudo != BPF_PSEUDO_MAP_IDX) {
		*fd = imm;
		return 0;
	}
	if (!c->fd_array)
		return -EPROTO;
	int32_t v;
	uint64_t at = c->fd_array + (uint64_t)(int64_t)imm * sizeof(v);
	if (copyin((const void *)(uintptr_t)at, &v, sizeof(v)))
		return -EFAULT;
	*fd = v;
	return 0;
}

static int loader_map_get(void *priv, uint32_t pseudo, int32_t imm, struct bpf_verifier_map *out)
{
	struct load_ctx *c = priv;
	struct bpf_map_file *mf;
	int fd;

	int r = map_fd_of(c, pseudo, imm, &fd);
	if (r)
		return r;
	r = bpf_map_file_get(fd, &mf);
	if (r)
		return r;
	struct bpf_map *map = mf->map;
	r = hold_map(c, map);
	file_put(&mf->file);
	if (r)
		return r;
	*out = (struct bpf_verifier_map){
		.map = map,
		.map_type = bpf_map_type(map),
		.key_size = bpf_map_key_size(map),
		.value_size = bpf_map_value_size(map),
		.max_entries = bpf_map_max_entries(map),
		.map_flags = bpf_map_flags(map),
		.frozen = bpf_map_frozen(map),
		.value_addr = bpf_map_direct_value_addr(map),
	};
	return 0;
}

static int loader_func_value(void *priv, uint32_t subprog, uint32_t start, uint64_t *value)
{
	struct load_ctx *c = priv;
	struct func_node *n;

	(void)start;
	for (n = c->funcs; n && n->f.subprog != subprog; n = n->next)
		;
	if (!n) {
		n = kzalloc(sizeof(*n));
		if (!n)
			return -ENOMEM;
		n->f.subprog = subprog;
		n->next = c->funcs;
		c->funcs = n;
	}
	*value = (uint64_t)(uintptr_t)&n->f;
	return 0;
}

/* Loads through typed kernel pointers: the kernel's BTF says what lies at each offset. */
static int loader_btf_access(void *priv, uint32_t btf_id, int32_t off, uint32_t size,
			     struct bpf_verifier_btf_field *out)
{
	struct btf_access a;

	(void)priv;
	if (!btf_vmlinux() || off < 0 ||
	    btf_struct_access(btf_vmlinux(), btf_id, (uint32_t)off, size, &a))
		return -EACCES;
	out->btf_id = a.btf_id;
	return 0;
}

static const char *loader_btf_name(void *priv, uint32_t btf_id)
{
	(void)priv;
	return btf_vmlinux() ? btf_type_name(btf_vmlinux(), btf_id) : NULL;
}

/* kfuncs: the kernel's table (kernel/bpf/kfunc.h); Kestrel has no module BTF (off != 0). */
static int loader_kfunc_get(void *priv, uint32_t prog_type, uint32_t btf_id, int16_t off,
			    struct bpf_verifier_kfunc *out)
{
	(void)priv;
	if (off)
		return -EINVAL;
	return bpf_kfunc_get(btf_vmlinux(), prog_type, btf_id, out);
}

/* Kernel variables are not resolved yet: the verifier refuses them as unknown. */
static const struct bpf_verifier_ops loader_ops = {
	.map_get = loader_map_get,
	.func_value = loader_func_value,
	.kfunc_get = loader_kfunc_get,
	.btf_access = loader_btf_access,
	.btf_name = loader_btf_name,
};

/* ---------------------------------------------------------------------------------------------
 * Loading and freeing
 */

static void free_funcs(struct func_node *n)
{
	while (n) {
		struct func_node *next = n->next;
		kfree(n);
		n = next;
	}
}

/* Free prog, loaded or partly built (whatever is set is released). refcnt is 0 or was never used. */
static void prog_free(struct bpf_prog *prog)
{
	if (prog->id)
		bpf_id_remove(&prog_ids, prog->id);
	bpf_jit_free(prog->jit);
	bpf_interp_free(prog->interp);
	if (prog->vo) {
		for (uint32_t i = 0; prog->maps && i < prog->vo->nmaps; i++)
			bpf_map_put(prog->maps[i]);
		bpf_verifier_output_free(prog->vo);
		kfree(prog->vo);
	}
	kfree(prog->maps);
	free_funcs(prog->funcs);
	bpf_prog_btf_release(&prog->btf);
	kfree(prog);
	__atomic_fetch_sub(&progs_live, 1, __ATOMIC_RELAXED);
}

/* Take the program's own references on the maps the verifier kept. */
static int take_maps(struct bpf_prog *prog)
{
	uint32_t n = prog->vo->nmaps;

	if (!n)
		return 0;
	prog->maps = kmalloc(n * sizeof(*prog->maps));
	if (!prog->maps)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		prog->maps[i] = prog->vo->maps[i].map;
		bpf_map_get(prog->maps[i]);
	}
	return 0;
}

/*
 * The program's maps whose lookups the JIT may inline (bpf_jit_compile_arrays): a kmalloc'd array
 * of *n, or NULL (none, or out of memory: the JIT then calls the helper, which is as correct).
 * The helper must be bpf_map_lookup_elem's, as exec.h's promise (struct bpf_exec_array) says.
 */
static struct bpf_exec_array *inline_arrays(const struct bpf_prog *prog, uint32_t *n)
{
	uint32_t nmaps = prog->vo->nmaps;
	struct bpf_exec_array *a;

	*n = 0;
	const struct bpf_exec_prog *p = &prog->vo->exec;
	if (!nmaps || BPF_FUNC_map_lookup_elem >= p->ncalls ||
	    p->calls[BPF_FUNC_map_lookup_elem] != bpf_helper_fns[BPF_FUNC_map_lookup_elem] ||
	    !(a = kmalloc(nmaps * sizeof(*a))))
		return NULL;
	for (uint32_t i = 0; i < nmaps; i++) {
		struct bpf_map *map = prog->maps[i];
		struct bpf_exec_array *e = &a[*n];
		if (bpf_map_inline_lookup(map, &e->base, &e->stride)) {
			e->map = (uint64_t)(uintptr_t)map;
			e->max_entries = bpf_map_max_entries(map);
			(*n)++;
		}
	}
	return a;
}

/* The executor: the JIT if asked and it can, else the interpreter; then the function values. */
static int prepare_executor(struct bpf_prog *prog, bool jit)
{
	const struct bpf_exec_prog *p = &prog->vo->exec;

	if (jit) {
		uint32_t narrays;
		struct bpf_exec_array *arrays = inline_arrays(prog, &narrays);
		prog->jit = bpf_jit_compile_arrays(p, arrays, narrays);
		kfree(arrays);
	}
	if (prog->jit) {
		prog->entry = bpf_jit_entry(prog->jit, 0);
	} else {
		prog->interp = bpf_interp_prepare(p);
		if (!prog->interp)
			return p->len > BPF_INTERP_MAX_INSNS ? -E2BIG : -ENOMEM;
	}
	for (struct func_node *n = prog->funcs; n; n = n->next) {
		n->f.native = prog->jit ? bpf_jit_entry(prog->jit, n->f.subprog) : NULL;
		n->f.interp = prog->interp;
	}
	return 0;
}

int bpf_prog_load(const struct bpf_prog_load_req *req, struct bpf_prog **out,
		  uint32_t *verified_insns, uint32_t *log_true_size)
{
	struct load_ctx c = {.fd_array = req->fd_array};
	struct bpf_prog *prog = kzalloc(sizeof(*prog));
	struct bpf_verifier_output *vo = kzalloc(sizeof(*vo));

	*verified_insns = *log_true_size = 0;
	if (!prog || !vo) {
		kfree(prog);
		kfree(vo);
		return -ENOMEM;
	}
	__atomic_fetch_add(&progs_live, 1, __ATOMIC_RELAXED);
	prog->refcnt = 1;
	prog->type = req->prog_type;
	prog->prog_flags = req->prog_flags;
	prog->expected_attach_type = req->expected_attach_type;
	prog->attach_btf_id = req->attach_btf_id;
	memcpy(prog->name, req->name, sizeof(prog->name));
	prog->gpl_compatible = req->gpl_compatible;
	prog->load_time = ktime_get_ns();

	const struct bpf_verifier_input in = {
		.prog_type = req->prog_type,
		.desc = req->desc,
		.prog_flags = req->prog_flags,
		.insns = req->insns,
		.insn_cnt = req->insn_cnt,
		.ops = &loader_ops,
		.priv = &c,
		.helper_fns = bpf_helper_fns,
		.nhelper_fns = __BPF_FUNC_MAX_ID,
		.gpl_compatible = req->gpl_compatible,
		.log_buf = req->log_buf,
		.log_size = req->log_size,
		.log_level = req->log_level,
	};
	int err = bpf_verify(&in, vo);
	*verified_insns = vo->verified_insns;
	*log_true_size = vo->log_true_size;
	prog->funcs = c.funcs;
	if (err) {
		kfree(vo);
	} else {
		prog->vo = vo;
		err = take_maps(prog);
		if (!err)
			err = prepare_executor(prog, req->jit);
		if (!err && req->btf) {
			prog->btf = *req->btf;
			memset(req->btf, 0, sizeof(*req->btf));
		}
		if (!err)
			err = bpf_id_alloc(&prog_ids, prog, &prog->id);
	}
	for (uint32_t i = 0; i < c.nheld; i++)
		bpf_map_put(c.held[i]);
	if (err) {
		prog_free(prog);
		return err;
	}
	*out = prog;
	return 0;
}

bool bpf_jit_default(void)
{
	static int enabled = -1; /* the command line, read once */
	char v[8];

	if (enabled < 0)
		enabled = !(boot_cmdline_get("bpf.jit", v, sizeof(v)) && !strcmp(v, "0"));
	return enabled;
}

/* ---------------------------------------------------------------------------------------------
 * References and ids
 */

void bpf_prog_get(struct bpf_prog *prog)
{
	__atomic_fetch_add(&prog->refcnt, 1, __ATOMIC_RELAXED);
}

void bpf_prog_put(struct bpf_prog *prog)
{
	if (__atomic_sub_fetch(&prog->refcnt, 1, __ATOMIC_ACQ_REL) == 0)
		prog_free(prog);
}

static bool prog_get_not_zero(void *obj)
{
	return bpf_ref_get_not_zero(&((struct bpf_prog *)obj)->refcnt);
}

int bpf_prog_get_by_id(uint32_t id, struct bpf_prog **out)
{
	struct bpf_prog *prog = bpf_id_get(&prog_ids, id, prog_get_not_zero);

	if (!prog)
		return -ENOENT;
	*out = prog;
	return 0;
}

int bpf_prog_get_next_id(uint32_t start, uint32_t *next)
{
	return bpf_id_next(&prog_ids, start, next);
}

size_t bpf_progs_live(void)
{
	return __atomic_load_n(&progs_live, __ATOMIC_RELAXED);
}

/* ---------------------------------------------------------------------------------------------
 * Runs and what a program is
 */

static __attribute__((noinline)) uint64_t run_interpreted(const struct bpf_prog *prog, void *ctx)
{
	const uint64_t args[5] = {(uint64_t)(uintptr_t)ctx};

	return bpf_interp_run(prog->interp, 0, args);
}

bpf_ctx_func_t bpf_prog_jited_entry(const struct bpf_prog *prog)
{
	return prog->entry ? bpf_ctx_entry(prog->entry) : NULL;
}

/* A JIT'd program is a tail call: no frame of its own. */
uint64_t bpf_prog_run_rcu(const struct bpf_prog *prog, void *ctx)
{
	if (__builtin_expect(!prog->entry, 0))
		return run_interpreted(prog, ctx);
	return bpf_ctx_entry(prog->entry)((uint64_t)(uintptr_t)ctx);
}

uint64_t bpf_prog_run(const struct bpf_prog *prog, void *ctx)
{
	int rcu = rcu_read_lock();
	uint64_t r0 = bpf_prog_run_rcu(prog, ctx);
	rcu_read_unlock(rcu);
	return r0;
}

void bpf_prog_account(struct bpf_prog *prog, uint64_t runs, uint64_t ns)
{
	__atomic_fetch_add(&prog->run_cnt, runs, __ATOMIC_RELAXED);
	__atomic_fetch_add(&prog->run_time_ns, ns, __ATOMIC_RELAXED);
}

void bpf_prog_stats(const struct bpf_prog *prog, struct bpf_prog_stats *st)
{
	*st = (struct bpf_prog_stats){
		.type = prog->type,
		.id = prog->id,
		.expected_attach_type = prog->expected_attach_type,
		.attach_btf_id = prog->attach_btf_id,
		.prog_flags = prog->prog_flags,
		.gpl_compatible = prog->gpl_compatible,
		.load_time = prog->load_time,
		.verified_insns = prog->vo->verified_insns,
		.max_ctx_offset = prog->vo->max_ctx_offset,
		.run_cnt = __atomic_load_n(&prog->run_cnt, __ATOMIC_RELAXED),
		.run_time_ns = __atomic_load_n(&prog->run_time_ns, __ATOMIC_RELAXED),
		.xlated = prog->vo->exec.insns,
		.xlated_len = prog->vo->exec.len,
		.jited = prog->jit ? (const void *)prog->entry : NULL,
		.jited_len = prog->jit ? (uint32_t)bpf_jit_size(prog->jit) : 0,
		.nfuncs = prog->vo->exec.nsubprogs,
		.nmaps = prog->vo->nmaps,
	};
	memcpy(st->name, prog->name, sizeof(st->name));
}

uint32_t bpf_prog_type_of(const struct bpf_prog *prog)
{
	return prog->type;
}

uint32_t bpf_prog_max_ctx_offset(const struct bpf_prog *prog)
{
	return prog->vo->max_ctx_offset;
}

const struct bpf_prog_btf *bpf_prog_btf(const struct bpf_prog *prog)
{
	return &prog->btf;
}

struct bpf_map *bpf_prog_map(const struct bpf_prog *prog, uint32_t i)
{
	return prog->maps[i];
}

const void *bpf_prog_jited_func(const struct bpf_prog *prog, uint32_t i)
{
	return (const void *)bpf_jit_entry(prog->jit, i);
}
