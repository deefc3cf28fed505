/*
 * BPF-like maps and callback system calls (shared by the kernel and user/).
 *
 * The contracts are Linux's (bpf(2) map commands, bpf_find_vma, bpf_for_each_map_elem, the
 * task_vma iterator), adapted to user tasks: a task is named by its pid (0 means the caller), a map
 * by a file descriptor, and a callback is a user function that the kernel runs in user mode, on
 * the calling thread's stack, in the middle of the system call. Every call returns >= 0 on
 * success and a negated errno (include/uapi/errno.h) on failure; the user library passes these
 * through unchanged.
 *
 * Maps (SYS_bpf_map_*): the maps of bpf(2) (kernel/bpf/map.h), reached through an fd that may
 * read and write, with map_flags 0.
 *   create(type, key_size, value_size, max_entries) -> fd. type: BPF_MAP_TYPE_HASH, ARRAY,
 *     PERCPU_HASH, PERCPU_ARRAY, LRU_HASH or LRU_PERCPU_HASH. EINVAL: another type, a size or
 *     max_entries of 0, or an array whose key_size is not 4; E2BIG: a size or max_entries over
 *     the kernel's limits (kernel/bpf/map.h); ENOMEM; EMFILE. close(fd) frees it (once no
 *     running call uses it), and so does the task's exit.
 *     Arrays: keys are uint32_t indexes 0..max_entries-1, every element exists, zero-filled.
 *     Hash types: up to max_entries keys, compared bytewise; the LRU types evict the least
 *     recently used element to make room instead of failing.
 *     Per-CPU types: lookup and update take one value per possible CPU, each rounded up to 8
 *     bytes (Linux's layout); for_each's callback gets this CPU's value.
 *   update(fd, key, value, flags): flags BPF_ANY, BPF_NOEXIST (EEXIST if the key is present) or
 *     BPF_EXIST (ENOENT if absent); anything else EINVAL. Arrays: E2BIG for an index out of range,
 *     and BPF_NOEXIST always fails with EEXIST. HASH, PERCPU_HASH: E2BIG when inserting into a
 *     full map. ENOMEM if an element cannot be allocated.
 *   lookup(fd, key, value_out): ENOENT if absent (arrays: index out of range).
 *   delete(fd, key): ENOENT if absent; arrays: EINVAL (their elements cannot be deleted).
 *   next_key(fd, key, next_key): key NULL, or a key not in the map, gives the first key; the last
 *     key gives ENOENT (as does an empty map). Array order is index order; hash order is
 *     unspecified but stable while the map does not change.
 *   Any call: EBADF if fd is not open; EINVAL if it is not a map; EPERM if the fd may not read or
 *     write as the call needs (bpf(2) fds opened with BPF_F_RDONLY / BPF_F_WRONLY) or the map was
 *     frozen (BPF_MAP_FREEZE) and the call writes; EFAULT for a bad pointer. The element calls are
 *     bpf(2)'s element commands (below), errors and their order included.
 *
 * Task errors (find_vma, task_vma_batch), checked in this order: ESRCH no task has that pid;
 * EPERM the task is neither the caller nor a descendant of it; ENOENT the task has no address
 * space (it is exiting, or a zombie); EBUSY its map lock cannot be taken for reading without
 * waiting (a writer holds it: SYS_task_lock_map, or a system call of that task in progress).
 *
 * SYS_bpf_find_vma(pid, addr, cb, ctx, flags) -> 0
 *   Finds the VMA of task pid that contains addr (vm_start <= addr < vm_end) and runs
 *   cb(task, vma, ctx) once with copies of the task and VMA records (writes to them change nothing
 *   in the kernel); returns 0 whatever cb returns. Errors, in this order: EINVAL flags is not 0;
 *   ELOOP BPF_CB_MAX_DEPTH callbacks are running already; the task errors above; EFAULT cb is
 *   not in an executable mapping of the caller (EBUSY if the caller's own map lock cannot be
 *   had to check that); ENOENT no VMA contains addr. cb is not called after an error. While cb
 *   runs the kernel holds the target's map lock for read, as Linux holds mmap_lock: calls from
 *   the callback that would wait for it (mmap, munmap, mprotect, SYS_task_lock_map of that map)
 *   fail with EBUSY instead, and page faults in the callback are still served. The target
 *   cannot finish exiting meanwhile (its exit waits for the callback).
 *
 * SYS_bpf_for_each_map_elem(fd, cb, ctx, flags) -> elements visited
 *   Runs cb(fd, key, value, ctx) for elements in next_key order: ARRAY every index, set or not;
 *   HASH each key present when the walk started, at most once, skipping a key that is absent when
 *   its turn comes (so a callback that deletes and re-inserts its own key is not called again).
 *   The callback gets copies of key and value; if it changed its value, the copy is stored back
 *   into the element when it returns (unless the element is gone by then), so an untouched copy
 *   leaves an update the callback made through the map in place; writes to the key are lost.
 *   cb returns 0 to go on and nonzero to stop; the result counts every callback run, the
 *   stopping one included. Errors, in this order: EINVAL flags is not 0; ELOOP as find_vma;
 *   EBADF fd is not open; EINVAL it is not a map; ENOMEM; EFAULT (or EBUSY) cb as find_vma.
 *   No lock is held while cb runs: it may update, insert and delete elements of the map.
 *
 * SYS_bpf_task_vma_batch(pid, from, out, max) -> count
 *   Stores up to max VMAs with vm_end > from into out, in ascending address order, all from one
 *   snapshot of the map (taken with its lock held for read, copied out after it is dropped).
 *   It stores at most 64 per call, and may store fewer than max even when more follow; 0 means
 *   there are none above `from`. max 0 returns 0. Errors: the task errors, then EFAULT for out.
 *   The user library's bpf_iter_task_vma (user/include/bpf.h) is built on it.
 *
 * How the kernel runs a callback (the trampoline protocol):
 *   0. Every task has the trampoline page mapped at BPF_CB_TRAMPOLINE (below), read+execute with
 *      max_protection read+execute, in its map listing like any other mapping. It does not move
 *      with ASLR (mm/memlayout.h): the stack ends at or below it (with "aslr=0", the page right
 *      below the guard gap under the stack). Its code passes rax to SYS_cb_return.
 *   1. The kernel copies the records the callback gets (struct bpf_task and struct bpf_vma; or key
 *      and value) onto the calling thread's user stack, below the 128 bytes under the rsp the
 *      system call was made with (the System V red zone), each 16-byte aligned. EFAULT if the
 *      stack cannot take them.
 *   2. It enters user mode at cb with rdi, rsi, rdx, rcx = the callback's arguments, rsp such
 *      that rsp + 8 is 16-byte aligned and [rsp] = BPF_CB_TRAMPOLINE, rflags with IF set and DF
 *      clear, other registers 0. cb is thus called as an ordinary System V function.
 *   3. When cb returns, it lands in the trampoline, which makes SYS_cb_return(rax). The kernel
 *      accepts that call only from the trampoline's syscall instruction with rsp exactly what
 *      cb's return left (rsp + 8 of step 2) for the innermost callback running; it then resumes
 *      the system call that ran the callback, which goes on or returns as above, and restores
 *      every general register and the flags of its caller from the kernel's own copy, whatever
 *      the callback did. The FPU/SSE state is not restored: like any C function, a callback
 *      must leave the control words (MXCSR, x87 CW) as the SysV ABI says it found them.
 *      Otherwise (no callback running, another address, another depth) SYS_cb_return fails
 *      with EINVAL (and the trampoline then faults).
 *   A callback may make any system call, including further bpf calls that run callbacks, up to
 *   BPF_CB_MAX_DEPTH callbacks running at once on one thread; the call that would start one more
 *   fails with ELOOP. A callback that faults (and is not resolved), exits or is killed ends the
 *   task, and the kernel releases everything held for the callbacks. A callback may also be left
 *   by longjmp, to an outer callback or to the program: the first system call made with rsp
 *   above the one the callback was entered with ends that callback's system call (and any inner
 *   one) for good, releasing what it held; that system call never returns.
 */
/*
 * SYS_bpf: Linux's bpf(2). bpf(cmd, attr, size) runs command cmd (Linux's numbers) on the first
 * size bytes of attr (union bpf_attr, include/uapi/linux/bpf.h) and returns 0, an fd, or a negated
 * errno. Its map commands and the native calls above are one implementation: the same maps, fds
 * and errors. Kestrel has no privileges yet: every task may use every command (Linux's CAP_BPF
 * and CAP_SYS_ADMIN checks never fail); what a program can learn of kernel addresses is written
 * in kernel/bpf/verifier.h. Errors are listed in the order they are checked.
 *
 * Every command: E2BIG size above 4096, or above sizeof(union bpf_attr) with a nonzero byte past
 * it; EFAULT attr (or that tail) unreadable; EINVAL cmd not among those below; EINVAL a nonzero
 * byte past the command's last field (Linux's CHECK_ATTR). A smaller size is zero-extended.
 * Results go back into attr's own fields (next_id, info.info_len, log_true_size, test.retval ...)
 * at their offsets, as Linux writes them: EFAULT if that fails. An fd that is not open is EBADF,
 * one of the wrong kind (not a map, not a program) EINVAL; BPF_OBJ_GET_INFO_BY_FD says EBADFD for
 * the first, as Linux.
 *
 * BPF_MAP_CREATE: EINVAL btf_vmlinux_value_type_id, or btf_key_type_id without
 *   btf_value_type_id; then bpf_map_create's errors (kernel/bpf/map.h: map_extra, flags, type,
 *   sizes, ENOTSUPP, E2BIG, ENOMEM, map_name); EINVAL map_ifindex (no device to offload to);
 *   when a BTF type is named, btf_fd's (kernel/bpf/btf_sys.h bpf_map_btf_check): EBADF / EINVAL
 *   the fd, EACCES the kernel's BTF, EINVAL types that do not fit the key and value (a keyless
 *   map must be a one-element ARRAY of a DATASEC); ENOMEM, EMFILE. The fd's mode follows
 *   BPF_F_RDONLY / BPF_F_WRONLY. The map does not keep the BTF (its info shows no BTF ids).
 * BPF_MAP_LOOKUP_ELEM: EINVAL flags other than BPF_F_LOCK (before the fd); the fd; EPERM the fd
 *   may not read; EINVAL BPF_F_LOCK (no value holds a spin lock); ENOMEM; EFAULT key; ENOENT;
 *   EFAULT value.
 * BPF_MAP_UPDATE_ELEM: the fd; EPERM the fd may not write, or the map is frozen; EINVAL
 *   BPF_F_LOCK; EFAULT key, then value; bpf_map_sys_update's (EINVAL flags, E2BIG, EEXIST,
 *   ENOENT, ENOMEM).
 * BPF_MAP_DELETE_ELEM: the fd; EPERM; EFAULT key; ENOENT, or EINVAL for an array.
 * BPF_MAP_GET_NEXT_KEY: the fd; EPERM the fd may not read; EFAULT key (0: the first key); ENOENT
 *   after the last; EFAULT next_key.
 * BPF_MAP_LOOKUP_AND_DELETE_ELEM: EINVAL flags other than BPF_F_LOCK; the fd; EPERM (it needs read
 *   and write); EINVAL BPF_F_LOCK; EFAULT key; ENOTSUPP arrays; ENOENT; EFAULT value (the element
 *   is gone then, as in Linux).
 * BPF_MAP_FREEZE: the fd; EPERM the fd may not write; EBUSY frozen already, or mapped writable.
 *
 * BPF_PROG_LOAD:
 *   EINVAL prog_flags outside Linux's set (BPF_F_SLEEPABLE and the test flags are accepted);
 *   EBADF / EINVAL BPF_F_TOKEN_FD's prog_token_fd (no tokens yet); E2BIG insn_cnt 0 or above
 *   1000000; EINVAL attach_prog_fd, attach_btf_id for a type other than TRACING, or an
 *   expected_attach_type for a SYSCALL program; ENOMEM the instructions cannot be held (above
 *   524288, 4 MiB); EFAULT insns; EFAULT license (127 bytes at most are read: a longer one is cut;
 *   Linux's GPL-compatible names set gpl_compatible); EINVAL prog_ifindex, or a prog_type Kestrel
 *   cannot load (SYSCALL, SCHED_CLS, RAW_TRACEPOINT, TRACING and PERF_EVENT today; a PERF_EVENT
 *   program loads but nothing attaches it: Kestrel has no perf events); EINVAL prog_name; EINVAL the log
 *   attributes (the verifier's rule, Linux 6.4's: log_buf and log_size both set or both 0, level
 *   within 1|2|4|8 and nonzero with a buffer, log_size below 2^30; a level with neither asks for
 *   the size the log needs, returned in log_true_size beside the verdict); EINVAL core_relo_cnt;
 *   TRACING (kernel/bpf/tracing.h): EINVAL unless expected_attach_type is BPF_TRACE_ITER with
 *   attach_btf_id the kernel BTF's FUNC bpf_iter_task_vma, or BPF_TRACE_RAW_TP with the typedef
 *   btf_trace_<tracepoint> (sys_enter, sys_exit, vm_fault); the context is the attach point's
 *   arguments, typed (iter/task_vma: meta, then task and vma, NULL on the last run and so to be
 *   checked before use);
 *   when func_info_cnt or line_info_cnt is set, their checks against prog_btf_fd's BTF (Linux's, with its log
 *   lines: kernel/bpf/prog_btf.h): EBADF / EINVAL the fd, EACCES the kernel's BTF, EINVAL a record
 *   size, ENOMEM, E2BIG a record's nonzero tail (the kernel's record size written back into
 *   func_info_rec_size / line_info_rec_size), EFAULT, EINVAL records that do not fit the BTF or
 *   the program's functions and instructions; then the verifier's verdict (kernel/bpf/verifier.h: EINVAL, EACCES, E2BIG,
 *   ENOSPC for a log that did not fit, which overrides the rest; for an LD_IMM64 map fd EBADF or
 *   EINVAL, EFAULT fd_array, EPROTO BPF_PSEUDO_MAP_IDX without fd_array; ENOENT kfuncs and BTF ids,
 *   none yet); EFAULT the log (from the start of log_buf, up to its NUL) or log_true_size
 *   (written when size reaches it) could not be written back, whatever the verdict; E2BIG the
 *   interpreter must run a program of more than 131072 instructions; ENOMEM; ENOSPC no id left;
 *   EMFILE. At most 1 MiB of log is kept in the kernel: a larger log_size acts as 1 MiB.
 *   The program runs JIT-compiled unless the kernel command line says bpf.jit=0 (or the JIT
 *   cannot take it): then the interpreter runs it, and its info's jited_prog_len is 0.
 *
 * BPF_PROG_TEST_RUN: EINVAL ctx_in and ctx_size_in not both set or both 0, the same for ctx_out;
 *   the fd (a map fd is EINVAL); ENOTSUPP a program type without test runs; then by type. The
 *   program runs repeat times (0: once), each run on the context the previous one left, the task
 *   preemptible between runs; EINTR if it is killed meanwhile. retval is the last run's r0 (low
 *   32 bits), duration the mean nanoseconds per run (time preempted left out), and the program's
 *   run_cnt and run_time_ns count the runs.
 *   SYSCALL: EINVAL data_in, data_out, duration or flags not 0; EINVAL ctx_size_in below the
 *     end of the furthest context byte the program may touch, or above 65535; ENOMEM; EFAULT
 *     ctx_in. The program's r1 is a kernel copy of ctx_in (NULL for none); afterwards retval and
 *     duration are written and the context copied back over ctx_in, as Linux. Kestrel's
 *     additions: repeat (Linux: EINVAL), and ctx_out, which gets the context too (cut to
 *     ctx_size_out: ENOSPC) with ctx_size_out set to its size.
 *   SCHED_CLS: EINVAL flags other than BPF_F_TEST_SKB_CHECKSUM_COMPLETE, cpu, batch_size; EINVAL
 *     data_size_in below 14 (an Ethernet header) or above 3712 (Linux's page less head and tail
 *     room); ENOMEM; EFAULT data_in; E2BIG / EFAULT ctx_in (past Kestrel's __sk_buff it must be
 *     zero); ENODEV its ifindex above 1; EINVAL it sets a field a test may not (only mark,
 *     priority, ingress_ifindex, ifindex, cb, tstamp, wire_len, gso_segs, gso_size and hwtstamp
 *     may be nonzero), wire_len below the length or above 65536, gso_segs above 65535. The
 *     program's __sk_buff: len = data_size_in, protocol and pkt_type from the frame on the
 *     loopback device (ifindex 1), the context's fields, the rest 0 (programs cannot reach the
 *     packet bytes yet). Afterwards: data_out gets the packet (cut to data_size_out when that is
 *     not 0 and smaller: ENOSPC, after the rest is written), data_size_out, retval and duration
 *     are written; then ctx_out gets Linux's fields back (mark, priority, ingress_ifindex, ifindex,
 *     tstamp, cb, wire_len, gso_segs, hwtstamp; cut to ctx_size_out: ENOSPC) and ctx_size_out.
 *
 * BPF_OBJ_GET_INFO_BY_FD: EBADFD the fd is not open; EINVAL not a map, program, BTF or link; E2BIG info_len
 *   above 4096, or a nonzero byte past Kestrel's struct; EFAULT. Writes min(info_len, sizeof)
 *   bytes and that length into info_len. For a program the caller's struct is read first: the
 *   arrays it asks for (map_ids, xlated_prog_insns, jited_prog_insns, jited_ksyms,
 *   jited_func_lens: a count or length and a pointer) are copied, cut to what it asked, and the
 *   true counts written; EINVAL a func_info, line_info or jited_line_info record size other than
 *   Linux's. The xlated dump shows maps as BPF_PSEUDO_MAP_FD / _VALUE with the map id, as Linux.
 *   btf_id is the program's BTF (prog_btf_fd at load, 0 without func_info and line_info), and
 *   func_info and line_info are copied as the other arrays. Zero for now: the tag, the attach BTF
 *   ids, jited_line_info, created_by_uid, and the jited arrays of an interpreted program.
 *   A BTF object (struct bpf_btf_info): the caller's struct is read first; btf gets the raw blob
 *   cut to btf_size, and btf_size the blob's size; id; kernel_btf (1 for the kernel's); name
 *   ("vmlinux" for the kernel's, "" otherwise) into name, name_len bytes at most with its NUL,
 *   and name_len its length. EINVAL name and name_len not both set or both 0; EFAULT; ENOSPC the
 *   name was cut (the rest is written).
 *   A link (struct bpf_link_info): the caller's struct is read first; type, id, prog_id; a raw
 *   tracepoint link's tp_name gets the tracepoint's name, tp_name_len bytes at most with its NUL
 *   (ENOSPC when cut), and tp_name_len its size with the NUL; EINVAL a length without a buffer.
 *
 * BPF_PROG_GET_NEXT_ID, BPF_MAP_GET_NEXT_ID, BPF_BTF_GET_NEXT_ID, BPF_LINK_GET_NEXT_ID: EINVAL
 *   start_id >= 2^31 - 1;
 *   ENOENT no id above it. BTF id 1 is the kernel's own BTF (always there).
 * BPF_PROG_GET_FD_BY_ID: ENOENT (id 0 too); ENOMEM, EMFILE. BPF_MAP_GET_FD_BY_ID: EINVAL
 *   open_flags other than BPF_F_RDONLY / BPF_F_WRONLY, or both; ENOENT; ENOMEM, EMFILE.
 * BPF_BTF_GET_FD_BY_ID: EINVAL open_flags not 0 (no tokens yet); ENOENT (id 0 too); ENOMEM,
 *   EMFILE. Every call gives a new fd; the object lives while an fd or a program holds it.
 * BPF_LINK_GET_FD_BY_ID: EINVAL open_flags not 0; ENOENT (id 0 too); ENOMEM, EMFILE.
 *
 * BPF_RAW_TRACEPOINT_OPEN: attach a BPF_PROG_TYPE_RAW_TRACEPOINT program to the tracepoint named
 *   name (kernel/trace.h: sys_enter, sys_exit, vm_fault); returns a link fd (kernel/bpf/link.h):
 *   the program runs until BPF_LINK_DETACH or the last close of the link. EINVAL cookie (no
 *   bpf_get_attach_cookie yet); EFAULT name (a name of 128 bytes or more is cut, so names
 *   nothing); EBADF / EINVAL prog_fd not a program; EINVAL another program type, or no name;
 *   ENOENT no such tracepoint; EINVAL the program reads its context past the tracepoint's
 *   arguments (8 bytes each); E2BIG 64 programs on it already; ENOMEM, ENOSPC no id, EMFILE.
 *   The program's context is the arguments as u64s, read-only; besides the base helpers it may
 *   call bpf_get_current_task (a struct task_struct of include/uapi/kestrel_btf_types.h, read
 *   with bpf_probe_read_kernel), bpf_get_current_uid_gid (0: Kestrel has no users) and
 *   bpf_probe_read_{kernel,user}{,_str} (the kernel: the direct map and the kernel image only;
 *   user memory: what the task has mapped, read through its page tables, never faulted in).
 *   So may SYSCALL and TRACING programs (Linux gives its syscall programs the tracing helpers),
 *   and two more with Linux's contracts: bpf_get_current_task_btf (158), the same task_struct as
 *   a typed pointer, whose fields are read directly (read-only; a load through a bad pointer
 *   reads 0); bpf_find_vma(task, addr, callback_fn, callback_ctx, flags) (180): calls
 *   callback_fn(task, vma, callback_ctx), a BPF function returning 0 or 1 (ignored), once with
 *   the struct vm_area_struct of task's VMA containing addr (a snapshot: kernel/vma_btf.h; vm_file
 *   is the program's file for its text and data, kernel/image_btf.h) and returns 0; -EINVAL flags
 *   not 0; -ENOENT task has no address space (a kernel thread, exiting, or no task's at all) or
 *   no VMA contains addr; -EBUSY the map's lock is held for writing (an mmap in progress,
 *   SYS_task_lock_map), as Linux's mmap_read_trylock. task and vma are read-only for the
 *   callback: a program whose callback writes to them is refused ("only read is supported").
 *   A tp_btf program (TRACING, BPF_TRACE_RAW_TP) is opened with name 0 (its tracepoint was named
 *   at load; a name is EINVAL) and reads its arguments as typed pointers.
 * BPF_LINK_CREATE (kernel/bpf/tracing.c; the bytes past Linux's link_create.uprobe_multi.pid must
 *   be 0): EBADF / EINVAL prog_fd; EINVAL a program that is not TRACING, an attach_type that is
 *   not its expected_attach_type, target_fd or flags set. BPF_TRACE_RAW_TP: as
 *   BPF_RAW_TRACEPOINT_OPEN of a tp_btf program (EINVAL tracing.cookie). BPF_TRACE_ITER
 *   (kernel/bpf/bpf_iter.h): iter_info, iter_info_len a union bpf_iter_link_info: EINVAL one
 *   without the other, more than one of task.tid, task.pid, task.pid_fd, or pid_fd (no pid fds);
 *   E2BIG nonzero bytes past the union; EFAULT; an iterator link (nothing runs until it is read).
 *   Returns a link fd; ENOMEM, ENOSPC, EMFILE.
 * BPF_ITER_CREATE: EINVAL flags; EBADF / EINVAL link_fd not a link, EINVAL not an iterator link;
 *   returns an fd read(2) reads (kernel/bpf/bpf_iter.h: every task's VMAs in pid and address
 *   order, or the link's one task, then one run with task and vma NULL; reads of any size resume
 *   where the last stopped; EBUSY a read of the same fd in progress; E2BIG one run's output is
 *   above 8192 bytes). The program prints with bpf_seq_printf (Linux's format subset: %d %i %u
 *   %x %X with l/ll, %c %s %p %%, flags -+ #0 and a width; EINVAL a bad format or seq_file,
 *   EOVERFLOW the buffer is full) and bpf_seq_write, and may call bpf_d_path on its VMA's
 *   &vma->vm_file->f_path (any other pointer: EINVAL; ENAMETOOLONG the buffer is too small).
 * BPF_LINK_DETACH: EBADF / EINVAL not a link; detaches it now (the fd stays until closed).
 *
 * BPF_BTF_LOAD: a BTF blob (include/uapi/linux/btf.h) checked as Linux checks it
 *   (kernel/bpf/btf.h), given an id, returned as an fd. EINVAL btf_flags other than
 *   BPF_F_TOKEN_FD; EBADF / EINVAL its btf_token_fd (no tokens yet); E2BIG btf_size above 16 MiB;
 *   EINVAL the log attributes (btf_log_buf, btf_log_size, btf_log_level: BPF_PROG_LOAD's rule);
 *   ENOMEM (a blob above about 4 MiB cannot be held); EFAULT btf; EINVAL a malformed blob, the
 *   reason the log's last line ("Invalid magic", "[3] STRUCT foo Invalid member", "Loop
 *   detected" ...), ENOTSUPP an unknown version or flags, E2BIG a header longer than Linux's
 *   with nonzero bytes past it, too many types or a type chain deeper than 32, EEXIST a loop;
 *   ENOSPC the log did not fit (overriding the rest); EFAULT the log or btf_log_true_size (written
 *   when size reaches it) could not be written back; ENOMEM, ENOSPC no id left; EMFILE. The log
 *   (level 1: the header and every type) is kept as BPF_PROG_LOAD's is, 1 MiB at most.
 */
#ifndef UAPI_BPF_H
#define UAPI_BPF_H

#include <stdint.h>
#include "linux/bpf.h" /* map types and update flags (BPF_MAP_TYPE_*, BPF_ANY/NOEXIST/EXIST) */

/* struct bpf_vma.vm_flags: Linux's values for the bits Linux has. */
#define VM_READ 0x1
#define VM_WRITE 0x2
#define VM_EXEC 0x4
#define VM_MAYREAD 0x10    /* max_prot allows read */
#define VM_MAYWRITE 0x20   /* max_prot allows write */
#define VM_MAYEXEC 0x40    /* max_prot allows exec */
#define VM_GUARD 0x100     /* MAP_GUARD reservation or stack guard gap: any access faults */
#define VM_STACK 0x200     /* the task's user stack */
#define VM_SUPERPAGE 0x400 /* at least one 2 MiB page is mapped inside the VMA now */

/* A snapshot of one map entry (FreeBSD's vm_map_entry), shaped like Linux's vm_area_struct. */
struct bpf_vma {
	uint64_t vm_start; /* first byte, page aligned */
	uint64_t vm_end;   /* one past the last byte, page aligned */
	uint64_t vm_flags; /* VM_* above */
	uint64_t vm_pgoff; /* offset of vm_start in its memory object, in 4 KiB pages (memory not
			      touched yet: the offset its object will have, vm_start's offset inside
			      its 2 MiB-aligned block) */
};
_Static_assert(sizeof(struct bpf_vma) == 32, "struct bpf_vma is ABI");

#define BPF_TASK_COMM_LEN 16

/* The task a VMA belongs to. */
struct bpf_task {
	int32_t pid;
	int32_t ppid;                 /* 0 for a task the kernel started */
	char comm[BPF_TASK_COMM_LEN]; /* program name given to spawn, NUL-terminated, truncated */
};
_Static_assert(sizeof(struct bpf_task) == 24, "struct bpf_task is ABI");

/* Callbacks nested on one thread at most (see the trampoline protocol above). */
#define BPF_CB_MAX_DEPTH 4

/* The trampoline page of every task, which ASLR does not move: USER_MAX - 256 KiB - 1 MiB - 4 KiB. */
#define BPF_CB_TRAMPOLINE 0x00007fffffebe000ull

/* bpf_find_vma's callback; the return value is ignored. */
typedef long (*bpf_find_vma_cb)(struct bpf_task *task, struct bpf_vma *vma, void *ctx);
/* bpf_for_each_map_elem's callback: 0 to go on, nonzero to stop. */
typedef long (*bpf_map_elem_cb)(int map_fd, const void *key, void *value, void *ctx);

#endif
