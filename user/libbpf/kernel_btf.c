/*
 * The kernel's own BTF (vmlinux), which CO-RE relocations, kfunc externs and BTF attach targets
 * are resolved against. Linux's libbpf reads /sys/kernel/btf/vmlinux; Kestrel has no file system,
 * so it is found the way bpftool lists BTF objects: BPF_BTF_GET_NEXT_ID over every id, the first
 * whose BPF_OBJ_GET_INFO_BY_FD says kernel_btf and name "vmlinux", then its bytes (a second info
 * call with a buffer of the size the first reported).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libbpf_internal.h"

#define KERNEL_BTF_MAX (64u << 20)

/* The bytes of BTF object fd if it is the kernel's: 0 with *out, 1 if it is another, or -errno. */
static int fetch_if_vmlinux(int fd, struct btf **out)
{
	struct bpf_btf_info info;
	__u32 len = sizeof(info);
	char name[16] = "";
	const char *why;

	memset(&info, 0, sizeof(info));
	info.name = (__u64)(uintptr_t)name;
	info.name_len = sizeof(name);
	int r = bpf_obj_get_info_by_fd(fd, &info, &len);
	if (r)
		return r;
	name[sizeof(name) - 1] = 0;
	if (!info.kernel_btf || strcmp(name, "vmlinux"))
		return 1;
	if (info.btf_size == 0 || info.btf_size > KERNEL_BTF_MAX)
		return -EINVAL;
	uint32_t size = info.btf_size;
	void *data = malloc(size);
	if (!data)
		return -ENOMEM;
	memset(&info, 0, sizeof(info));
	info.btf = (__u64)(uintptr_t)data;
	info.btf_size = size;
	len = sizeof(info);
	r = bpf_obj_get_info_by_fd(fd, &info, &len);
	if (!r && info.btf_size != size)
		r = -EINVAL;
	if (!r) {
		r = btf_parse(data, size, out, &why);
		if (r)
			pr_warn("kernel BTF: %s\n", why);
	}
	free(data);
	return r;
}

int kernel_btf_fetch(struct btf **out)
{
	__u32 id = 0;

	*out = NULL;
	while (!bpf_btf_get_next_id(id, &id)) {
		int fd = bpf_btf_get_fd_by_id(id);
		/* gone since it was listed */
		if (fd == -ENOENT)
			continue;
		if (fd < 0)
			return fd;
		int r = fetch_if_vmlinux(fd, out);
		close(fd);
		if (r <= 0)
			return r;
	}
	/* No BTF object is the kernel's (or the kernel has no BTF commands): libbpf's answer. */
	return -ESRCH;
}

struct btf *obj_kernel_btf(struct bpf_object *obj, int *err)
{
	if (obj->kernel_btf)
		return obj->kernel_btf;
	if (!obj->kernel_btf_err) {
		obj->kernel_btf_err = kernel_btf_fetch(&obj->kernel_btf);
		if (obj->kernel_btf_err)
			pr_warn("object '%s': the kernel's BTF is not available: %s\n", obj->name,
				libbpf_errstr(obj->kernel_btf_err));
	}
	*err = obj->kernel_btf_err;
	return obj->kernel_btf;
}
