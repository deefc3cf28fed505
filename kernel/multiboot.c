/* Multiboot2 information parsing (the multiboot2 specification, section 3.6). */
#include "kernel/multiboot.h"
#include "kernel/string.h"
#include "mm/memlayout.h"
#include "uapi/errno.h"

struct boot_info boot_info;

#define TAG_END 0
#define TAG_CMDLINE 1
#define TAG_LOADER 2
#define TAG_MODULE 3
#define TAG_MMAP 6

struct mb2_tag {
	uint32_t type, size;
};

struct mb2_module {
	uint32_t type, size, mod_start, mod_end;
	char cmdline[];
};

struct mb2_mmap {
	uint32_t type, size, entry_size, entry_version;
};

struct mb2_mmap_entry {
	uint64_t base, len;
	uint32_t type, reserved;
};

static void copy_str(char *dst, size_t size, const char *src, size_t max)
{
	size_t n = 0;
	while (n + 1 < size && n < max && src[n])
		dst[n] = src[n], n++;
	dst[n] = '\0';
}

int multiboot_parse(vm_paddr_t mbi)
{
	const uint8_t *base = phys_to_virt(mbi);
	uint32_t total = *(const uint32_t *)base;
	size_t off = 8;

	boot_info.mbi_start = mbi;
	boot_info.mbi_end = mbi + total;
	while (off + sizeof(struct mb2_tag) <= total) {
		const struct mb2_tag *tag = (const void *)(base + off);
		size_t payload = tag->size - sizeof(*tag);
		if (tag->size < sizeof(*tag) || off + tag->size > total)
			return -EINVAL;
		switch (tag->type) {
		case TAG_END:
			return 0;
		case TAG_CMDLINE:
			copy_str(boot_info.cmdline, sizeof(boot_info.cmdline), (const char *)(tag + 1), payload);
			break;
		case TAG_LOADER:
			copy_str(boot_info.loader, sizeof(boot_info.loader), (const char *)(tag + 1), payload);
			break;
		case TAG_MODULE: {
			const struct mb2_module *m = (const void *)tag;
			if (boot_info.nmodules < BOOT_MODULES_MAX) {
				struct boot_module *bm = &boot_info.modules[boot_info.nmodules++];
				bm->start = m->mod_start;
				bm->end = m->mod_end;
				copy_str(bm->name, sizeof(bm->name), m->cmdline, tag->size - sizeof(*m));
			}
			break;
		}
		case TAG_MMAP: {
			const struct mb2_mmap *mm = (const void *)tag;
			if (mm->entry_size < sizeof(struct mb2_mmap_entry))
				return -EINVAL;
			for (size_t e = sizeof(*mm); e + mm->entry_size <= tag->size; e += mm->entry_size) {
				const struct mb2_mmap_entry *me = (const void *)((const uint8_t *)tag + e);
				if (boot_info.nmmap < BOOT_MMAP_MAX)
					boot_info.mmap[boot_info.nmmap++] =
						(struct boot_mmap_entry){me->base, me->len, me->type};
			}
			break;
		}
		default:
			break;
		}
		off += (tag->size + 7) & ~7u;
	}
	return -EINVAL;
}

bool boot_cmdline_get(const char *key, char *buf, size_t size)
{
	size_t klen = strlen(key);
	const char *p = boot_info.cmdline;

	while (*p) {
		while (*p == ' ')
			p++;
		const char *word = p;
		while (*p && *p != ' ')
			p++;
		if ((size_t)(p - word) > klen && !strncmp(word, key, klen) && word[klen] == '=') {
			copy_str(buf, size, word + klen + 1, (size_t)(p - word) - klen - 1);
			return true;
		}
	}
	return false;
}
