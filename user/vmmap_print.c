/* The map listing in the style of FreeBSD's procstat -v; format in user/include/vmmap.h. */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>
#include <vm_stat.h>
#include <vmmap.h>

#define VMMAP_BATCH 32

/* INHERIT_* as the INH column shows it. */
static const char *inheritance_name(uint32_t inh)
{
	static const char *const names[] = {"share", "copy", "none", "zero"};
	return inh < sizeof(names) / sizeof(names[0]) ? names[inh] : "?";
}

static void print_entry(int pid, const struct vm_map_ent *e)
{
	printf("%5d %#18lx %#18lx %c%c%c %c%c%c %8lu %4u %-5s %1u %c%c%c%c\n", pid,
	       (unsigned long)e->start, (unsigned long)e->end, e->prot & PROT_READ ? 'r' : '-',
	       e->prot & PROT_WRITE ? 'w' : '-', e->prot & PROT_EXEC ? 'x' : '-',
	       e->max_prot & PROT_READ ? 'r' : '-', e->max_prot & PROT_WRITE ? 'w' : '-',
	       e->max_prot & PROT_EXEC ? 'x' : '-', (unsigned long)e->resident_4k, e->resident_2m,
	       inheritance_name(e->inheritance), e->wired_count,
	       e->flags & VM_ENT_GUARD ? 'G' : '-', e->flags & VM_ENT_STACK ? 'S' : '-',
	       e->flags & VM_ENT_ANON ? 'A' : '-', e->flags & VM_ENT_IMAGE ? 'I' : '-');
}

int vmmap_print(int pid)
{
	struct vm_map_ent ents[VMMAP_BATCH];
	uint64_t from = 0;
	int shown_pid = pid ? pid : getpid();
	int printed = 0;
	ssize_t n;

	printf("%5s %18s %18s %3s %3s %8s %4s %-5s %1s %s\n", "PID", "START", "END", "PRT", "MAX",
	       "RES", "SPR", "INH", "W", "FLAGS");
	while ((n = vm_map_list(pid, ents, VMMAP_BATCH, from)) > 0) {
		for (ssize_t i = 0; i < n; i++)
			print_entry(shown_pid, &ents[i]);
		printed += (int)n;
		from = ents[n - 1].end;
	}
	return n < 0 ? -1 : printed;
}
