/*
 * bpftool's skeletons (build/bpf/NAME.skel.h): the generated code describes the object's maps and
 * programs by name in a bpf_object_skeleton, and these calls fill the pointers it gives. Map and
 * program entries are read with the skeleton's own strides (map_skel_sz, prog_skel_sz), so a
 * skeleton generated with longer entries still works.
 */
#include <stdlib.h>

#include "libbpf_internal.h"

static struct bpf_map_skeleton *map_skel(const struct bpf_object_skeleton *s, int i)
{
	return (struct bpf_map_skeleton *)((char *)s->maps + (size_t)i * (size_t)s->map_skel_sz);
}

static struct bpf_prog_skeleton *prog_skel(const struct bpf_object_skeleton *s, int i)
{
	return (struct bpf_prog_skeleton *)((char *)s->progs + (size_t)i * (size_t)s->prog_skel_sz);
}

static bool skel_ok(const struct bpf_object_skeleton *s)
{
	if (!s || s->sz < offsetofend(struct bpf_object_skeleton, progs) || s->map_cnt < 0 ||
	    s->prog_cnt < 0 ||
	    (s->map_cnt && (!s->maps || s->map_skel_sz < (int)sizeof(struct bpf_map_skeleton))) ||
	    (s->prog_cnt &&
	     (!s->progs || s->prog_skel_sz < (int)sizeof(struct bpf_prog_skeleton)))) {
		pr_warn("skeleton: malformed bpf_object_skeleton\n");
		return false;
	}
	return true;
}

int bpf_object__open_skeleton(struct bpf_object_skeleton *s,
			      const struct bpf_object_open_opts *opts)
{
	LIBBPF_OPTS(bpf_object_open_opts, o);

	if (!skel_ok(s) || !s->obj || !OPTS_VALID(opts, bpf_object_open_opts))
		return libbpf_err(-EINVAL);
	if (opts)
		memcpy(&o, opts, opts->sz < sizeof(o) ? opts->sz : sizeof(o));
	o.sz = sizeof(o);
	if (!o.object_name)
		o.object_name = s->name;
	struct bpf_object *obj = bpf_object__open_mem(s->data, s->data_sz, &o);
	if (!obj)
		return libbpf_err(-errno);
	*s->obj = obj;
	for (int i = 0; i < s->map_cnt; i++) {
		struct bpf_map_skeleton *m = map_skel(s, i);
		struct bpf_map *map = bpf_object__find_map_by_name(obj, m->name);
		if (!map) {
			pr_warn("skeleton '%s': map '%s' is not in the object\n", s->name, m->name);
			return libbpf_err(-ESRCH);
		}
		*m->map = map;
		if (m->mmaped)
			*m->mmaped = map->mmaped;
	}
	for (int i = 0; i < s->prog_cnt; i++) {
		struct bpf_prog_skeleton *p = prog_skel(s, i);
		struct bpf_program *prog = bpf_object__find_program_by_name(obj, p->name);
		if (!prog) {
			pr_warn("skeleton '%s': program '%s' is not in the object\n", s->name,
				p->name);
			return libbpf_err(-ESRCH);
		}
		*p->prog = prog;
	}
	return 0;
}

int bpf_object__load_skeleton(struct bpf_object_skeleton *s)
{
	if (!skel_ok(s) || !s->obj || !*s->obj)
		return libbpf_err(-EINVAL);
	int r = bpf_object__load(*s->obj);
	if (r)
		return libbpf_err(r);
	/* The data maps were mapped over their images: the same addresses, now the maps. */
	for (int i = 0; i < s->map_cnt; i++) {
		struct bpf_map_skeleton *m = map_skel(s, i);
		if (m->mmaped)
			*m->mmaped = (*m->map)->mmaped;
	}
	return 0;
}

int bpf_object__attach_skeleton(struct bpf_object_skeleton *s)
{
	if (!skel_ok(s))
		return libbpf_err(-EINVAL);
	for (int i = 0; i < s->prog_cnt; i++) {
		struct bpf_prog_skeleton *p = prog_skel(s, i);
		struct bpf_program *prog = *p->prog;

		if (!prog->autoload || !prog->autoattach || !prog->def ||
		    prog->def->attach == ATTACH_NONE)
			continue;
		/* A raw_tp section without a tracepoint name can only be attached by hand. */
		const char *sec = prog->sec_name[0] == '?' ? prog->sec_name + 1 : prog->sec_name;
		if (prog->def->attach == ATTACH_RAW_TP && !sec_target(sec))
			continue;
		if (!p->link)
			continue;
		*p->link = bpf_program__attach(prog);
		if (!*p->link) {
			int r = -errno;
			pr_warn("skeleton '%s': failed to auto-attach program '%s': %s\n", s->name,
				prog->name, libbpf_errstr(r));
			return libbpf_err(r);
		}
	}
	return 0;
}

void bpf_object__detach_skeleton(struct bpf_object_skeleton *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->prog_cnt && s->progs; i++) {
		struct bpf_prog_skeleton *p = prog_skel(s, i);
		if (p->link && *p->link) {
			bpf_link__destroy(*p->link);
			*p->link = NULL;
		}
	}
}

void bpf_object__destroy_skeleton(struct bpf_object_skeleton *s)
{
	if (!s)
		return;
	if (s->progs)
		bpf_object__detach_skeleton(s);
	if (s->obj)
		bpf_object__close(*s->obj);
	free(s->maps);
	free(s->progs);
	free(s);
}
