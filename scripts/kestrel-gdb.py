# gdb commands for looking inside a running Kestrel (make debug loads this file).
#
#   kestrel task              the task running on the boot CPU
#   kestrel tasks             every task: pid, state, name, map entries
#   kestrel vmmap [PID]       a task's vm_map entries (default: the current task), with the 4 KiB
#                             and 2 MiB pages its page tables map inside each
#   kestrel pmm               free frames per buddy order
#   kestrel walk ADDR [PID]   the page-table walk of ADDR: each level's entry and flags, and which
#                             level maps it (default: the current task's tables, or the kernel's)
#
# The commands read kernel memory through the direct map (dmap_base), so they work whenever gdb
# has stopped the kernel, in ring 0 or ring 3.
import gdb

TASK_STATES = ["RUNNABLE", "RUNNING", "SLEEPING", "ZOMBIE", "DEAD"]
PTE_P, PTE_RW, PTE_US, PTE_PS, PTE_G = 1 << 0, 1 << 1, 1 << 2, 1 << 7, 1 << 8
PTE_A, PTE_D, PTE_NX = 1 << 5, 1 << 6, 1 << 63
PTE_ADDR = 0x000FFFFFFFFFF000
LEVELS = ["PML4", "PDPT", "PD", "PT"]
PAGE_SIZES = [None, 1 << 30, 1 << 21, 1 << 12]


def u64(addr):
    data = gdb.selected_inferior().read_memory(addr, 8)
    return int.from_bytes(bytes(data), "little")


def dmap():
    return int(gdb.parse_and_eval("dmap_base"))


def current_task():
    # The stopped vCPU's own per-CPU area while it runs the kernel (GS base, <machine/percpu.h>);
    # in ring 3 the GS base is the user's (0): then the boot CPU's.
    try:
        gs = int(gdb.parse_and_eval("$gs_base"))
    except gdb.error:
        gs = 0
    if gs >> 63:
        return gdb.parse_and_eval("((struct percpu *)%d)->current" % gs)
    sym = gdb.lookup_static_symbol("cpu0")
    if sym is None:
        raise gdb.GdbError("no symbol cpu0 (is this a Kestrel kernel with symbols?)")
    return sym.value()["current"]


def tasks():
    t = gdb.parse_and_eval("task_list")
    while int(t) != 0:
        yield t
        t = t["next"]


def find_task(pid):
    for t in tasks():
        if int(t["pid"]) == pid:
            return t
    raise gdb.GdbError("no task with pid %d" % pid)


def task_arg(arg):
    return find_task(int(arg, 0)) if arg.strip() else current_task()


def task_name(t):
    return t["name"].string()


def pml4_of(task):
    """The physical address of a task's top-level table (the kernel's for kernel threads)."""
    if int(task["pmap"]) != 0:
        return int(task["pmap"].dereference()["pml4_pa"])
    return int(gdb.lookup_static_symbol("kernel_pmap").value()["pml4_pa"])


def flags_text(e):
    names = [("RW", PTE_RW), ("US", PTE_US), ("PS", PTE_PS), ("G", PTE_G), ("A", PTE_A), ("D", PTE_D)]
    out = [n for n, bit in names if e & bit]
    out.append("NX" if e & PTE_NX else "X")
    return " ".join(out)


def walk(pml4_pa, va):
    """[(level, entry address, entry)] down to the entry that maps va or is not present."""
    steps, table = [], pml4_pa
    for level in range(4):
        index = (va >> (39 - 9 * level)) & 0x1FF
        ea = dmap() + table + 8 * index
        e = u64(ea)
        steps.append((level, ea, e))
        if not e & PTE_P or (level in (1, 2) and e & PTE_PS) or level == 3:
            break
        table = e & PTE_ADDR
    return steps


def count_mapped(pml4_pa, start, end):
    """(4 KiB pages, 2 MiB pages) the tables map inside [start, end), skipping empty tables."""
    small = large = 0

    def visit(table, level, base):
        nonlocal small, large
        span = 1 << (39 - 9 * level)
        first = max(0, (start - base) // span)
        last = min(511, (end - 1 - base) // span)
        for i in range(first, last + 1):
            e = u64(dmap() + table + 8 * i)
            if not e & PTE_P:
                continue
            va = base + i * span
            if level == 3:
                small += 1
            elif level == 2 and e & PTE_PS:
                large += 1
            elif level < 3 and not e & PTE_PS:
                visit(e & PTE_ADDR, level + 1, va)

    if start < end:
        visit(pml4_pa, 0, 0)
    return small, large


class Kestrel(gdb.Command):
    """Kestrel kernel inspection: kestrel task|tasks|vmmap|pmm|walk (see scripts/kestrel-gdb.py)."""

    def __init__(self):
        super().__init__("kestrel", gdb.COMMAND_USER, gdb.COMPLETE_NONE, True)


class KTask(gdb.Command):
    """Print the task running on the boot CPU."""

    def __init__(self):
        super().__init__("kestrel task", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        t = current_task()
        print("pid %d  %s  %s  %s" % (int(t["pid"]), TASK_STATES[int(t["state"])], task_name(t),
                                      "user" if bool(t["user"]) else "kernel thread"))


class KTasks(gdb.Command):
    """List every task."""

    def __init__(self):
        super().__init__("kestrel tasks", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        cur = int(current_task())
        print("%5s %-9s %-6s %3s %7s  %s" % ("PID", "STATE", "KIND", "CPU", "ENTRIES", "NAME"))
        for t in tasks():
            entries = int(t["map"]["nentries"]) if int(t["map"]) != 0 else 0
            print("%5d %-9s %-6s %3d %7d  %s%s" % (int(t["pid"]), TASK_STATES[int(t["state"])],
                                                   "user" if bool(t["user"]) else "kernel",
                                                   int(t["cpu"]), entries, task_name(t),
                                                   "  <- current" if int(t) == cur else ""))


class KVmmap(gdb.Command):
    """Print a task's vm_map entries: kestrel vmmap [PID]."""

    def __init__(self):
        super().__init__("kestrel vmmap", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        t = task_arg(arg)
        m = t["map"]
        if int(m) == 0:
            raise gdb.GdbError("task %d has no address space" % int(t["pid"]))
        pml4 = pml4_of(t)
        print("task %d (%s): %d entries" % (int(t["pid"]), task_name(t), int(m["nentries"])))
        print("%18s %18s %-4s %-4s %18s %7s %4s" % ("START", "END", "PROT", "MAX", "OBJECT", "RES4K",
                                                  "RES2M"))
        header = m["header"].address
        e = m["header"]["next"]
        while int(e) != int(header):
            start, end = int(e["start"]), int(e["end"])
            small, large = count_mapped(pml4, start, end) if pml4 is not None else (0, 0)
            print("%#18x %#18x %-4s %-4s %#18x %7d %4d" % (start, end, prot_text(int(e["protection"])),
                                                         prot_text(int(e["max_protection"])),
                                                         int(e["object"]), small, large))
            e = e["next"]


def prot_text(p):
    return ("r" if p & 1 else "-") + ("w" if p & 2 else "-") + ("x" if p & 4 else "-")


class KPmm(gdb.Command):
    """Print the buddy allocator's free blocks per order."""

    def __init__(self):
        super().__init__("kestrel pmm", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        area = gdb.lookup_static_symbol("free_area").value()
        total = 0
        lo, hi = area.type.range()
        print("%5s %9s %8s %10s" % ("ORDER", "BLOCK", "BLOCKS", "FRAMES"))
        for order in range(lo, hi + 1):
            n = int(area[order]["count"])
            total += n << order
            print("%5d %8dK %8d %10d" % (order, 4 << order, n, n << order))
        print("free frames: %d (%d MiB); pmm says %d" % (total, total >> 8,
                                                        int(gdb.lookup_static_symbol("free_frames").value())))


class KWalk(gdb.Command):
    """Walk the page tables for an address: kestrel walk ADDR [PID]."""

    def __init__(self):
        super().__init__("kestrel walk", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        args = gdb.string_to_argv(arg)
        if not args:
            raise gdb.GdbError("usage: kestrel walk ADDR [PID]")
        v = gdb.parse_and_eval(args[0])
        if v.type.code == gdb.TYPE_CODE_FUNC:
            v = v.address
        va = int(v) & (2**64 - 1)
        t = find_task(int(args[1], 0)) if len(args) > 1 else current_task()
        pml4 = pml4_of(t)
        print("walk of %#x in the tables of task %d (%s), PML4 at phys %#x" % (va, int(t["pid"]),
                                                                             task_name(t), pml4))
        for level, ea, e in walk(pml4, va):
            index = (va >> (39 - 9 * level)) & 0x1FF
            if not e & PTE_P:
                print("  %-4s[%3d] = %#018x  not present: %#x is not mapped" % (LEVELS[level], index, e, va))
                return
            print("  %-4s[%3d] = %#018x  %s" % (LEVELS[level], index, e, flags_text(e)))
            size = PAGE_SIZES[level]
            if size and (level == 3 or e & PTE_PS):
                pa = (e & PTE_ADDR & ~(size - 1)) + (va & (size - 1))
                print("  mapped by a %s page at %s level: physical %#x" % (
                    {1 << 30: "1 GiB", 1 << 21: "2 MiB", 1 << 12: "4 KiB"}[size], LEVELS[level], pa))
                return


Kestrel()
KTask()
KTasks()
KVmmap()
KPmm()
KWalk()
