/* Parsing .BTF.ext (contract in btf_ext.h). */
#include "btf_ext.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct btf_ext_header {
	uint16_t magic;
	uint8_t version;
	uint8_t flags;
	uint32_t hdr_len;
	uint32_t func_info_off; /* from the end of the header */
	uint32_t func_info_len;
	uint32_t line_info_off;
	uint32_t line_info_len;
	/* present when hdr_len covers them */
	uint32_t core_relo_off;
	uint32_t core_relo_len;
};

#define EXT_HDR_MIN offsetof(struct btf_ext_header, core_relo_off)

/*
 * Indexes one kind's blocks in body[off, off + len): the record size (at least min_rec, a
 * multiple of 4), then whole blocks up to the end. Two passes: count, then fill.
 */
static int parse_info(struct btf_ext_info *info, const uint8_t *body, uint64_t body_len,
		      uint32_t off, uint32_t len, uint32_t min_rec, const struct btf *btf,
		      const char **why)
{
	memset(info, 0, sizeof(*info));
	if (len == 0)
		return 0;
	*why = "info section outside the blob";
	if ((uint64_t)off + len > body_len || off % 4 || len < 4)
		return -EINVAL;
	const uint8_t *p = body + off;
	uint32_t rec_size = *(const uint32_t *)p;
	*why = "bad record size";
	if (rec_size < min_rec || rec_size % 4 || rec_size > 1024)
		return -EINVAL;

	for (int pass = 0; pass < 2; pass++) {
		uint32_t n = 0;

		for (uint64_t at = 4; at < len; n++) {
			const uint32_t *h = (const uint32_t *)(p + at);
			*why = "truncated block header";
			if (len - at < 8)
				return -EINVAL;
			uint32_t name_off = h[0], num = h[1];
			*why = "block section name outside the BTF strings";
			if (name_off >= btf->str_len || !btf_str(btf, name_off)[0])
				return -EINVAL;
			*why = "empty or truncated block";
			if (num == 0 || (uint64_t)num * rec_size > len - at - 8)
				return -EINVAL;
			if (pass == 1) {
				info->secs[n].sec_name = btf_str(btf, name_off);
				info->secs[n].num = num;
				info->secs[n].recs = p + at + 8;
			}
			at += 8 + (uint64_t)num * rec_size;
		}
		if (pass == 0) {
			info->secs = calloc(n ? n : 1, sizeof(*info->secs));
			if (!info->secs)
				return -ENOMEM;
		}
		info->nr_secs = n;
	}
	info->rec_size = rec_size;
	return 0;
}

int btf_ext_parse(const void *data, size_t size, const struct btf *btf, struct btf_ext **out,
		  const char **why)
{
	struct btf_ext_header hdr = {0};
	struct btf_ext *ext;
	int r;

	*out = NULL;
	*why = "truncated header";
	if (!data || size < EXT_HDR_MIN)
		return -EINVAL;
	memcpy(&hdr, data, EXT_HDR_MIN);
	*why = "bad magic or version";
	if (hdr.magic != BTF_MAGIC || hdr.version != BTF_VERSION)
		return -EINVAL;
	*why = "bad header length";
	if (hdr.hdr_len < EXT_HDR_MIN || hdr.hdr_len > size || hdr.hdr_len % 4)
		return -EINVAL;
	if (hdr.hdr_len >= sizeof(hdr))
		memcpy(&hdr, data, sizeof(hdr));

	ext = calloc(1, sizeof(*ext));
	if (!ext || !(ext->data = malloc(size))) {
		free(ext);
		return -ENOMEM;
	}
	memcpy(ext->data, data, size);
	const uint8_t *body = ext->data + hdr.hdr_len;
	uint64_t body_len = size - hdr.hdr_len;
	r = parse_info(&ext->func_info, body, body_len, hdr.func_info_off, hdr.func_info_len,
		       sizeof(struct bpf_func_info_rec), btf, why);
	if (!r)
		r = parse_info(&ext->line_info, body, body_len, hdr.line_info_off,
			       hdr.line_info_len, sizeof(struct bpf_line_info_rec), btf, why);
	if (!r)
		r = parse_info(&ext->core_relo, body, body_len, hdr.core_relo_off,
			       hdr.core_relo_len, sizeof(struct bpf_core_relo_rec), btf, why);
	if (r) {
		btf_ext_free(ext);
		return r;
	}
	*out = ext;
	return 0;
}

void btf_ext_free(struct btf_ext *ext)
{
	if (!ext)
		return;
	free(ext->func_info.secs);
	free(ext->line_info.secs);
	free(ext->core_relo.secs);
	free(ext->data);
	free(ext);
}

const struct btf_ext_sec *btf_ext_find_sec(const struct btf_ext_info *info, const char *sec_name)
{
	for (uint32_t i = 0; i < info->nr_secs; i++)
		if (!strcmp(info->secs[i].sec_name, sec_name))
			return &info->secs[i];
	return NULL;
}
