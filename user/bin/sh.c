/*
 * sh: Kestrel's shell, on the serial console of a shell boot (kernel command line kestrel.shell=1,
 * `make shell`). It reads fd 0 raw (include/uapi/console.h) and edits its own line: printable
 * characters, backspace, up and down arrows through the last HISTORY lines, ^C drops the line,
 * ^D on an empty line ends the shell (and the kernel then powers off).
 *
 * A line is words separated by blanks; no quoting, no redirection. The first word is a built-in
 * (`help` lists them) or a program of the image: `NAME` runs bin/NAME, and a boot module's own
 * name (test/NAME) runs that one. A last word `&` (or a last word ending in `&`) runs the program
 * in the background; otherwise the shell makes it the console's foreground task (^C kills it) and
 * waits. How a program ended is shown when it is not a plain exit 0: "exit status N", "killed"
 * (SYS_kill or ^C: status TASK_KILLED_STATUS) or "killed by <exception>". Background jobs that
 * have ended are reported before the next prompt as "[PID] NAME: <how>".
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <sys_stat.h>
#include <task_info.h>
#include <unistd.h>
#include <vmmap.h>

#define PROMPT "kestrel$ "
#define LINE_SIZE 256
#define WORDS_MAX 32
#define HISTORY 16
#define JOBS_MAX 16
#define NAME_SIZE 32

#define KEY_INTR 0x03
#define KEY_EOF 0x04
#define KEY_BS 0x08
#define KEY_ESC 0x1b
#define KEY_DEL 0x7f

/* ------------------------------------------------------------------------------------------- */
/*
 * The next input byte, or -1 when fd 0 cannot be read (no console: as ^D). One byte per read: what
 * is typed after a command line stays queued for the program that line starts.
 */
static int next_byte(void)
{
	unsigned char c;

	return read(STDIN_FILENO, &c, 1) == 1 ? c : -1;
}

static void out(const char *s, size_t n)
{
	write(STDOUT_FILENO, s, n);
}

/* ------------------------------------------------------------------------------------------- */
/* History: the last HISTORY lines entered, oldest first; entry i is history[i % HISTORY]. */
static char history[HISTORY][LINE_SIZE];
static unsigned hist_count;

static void history_add(const char *line)
{
	if (!line[0] || (hist_count && !strcmp(history[(hist_count - 1) % HISTORY], line)))
		return;
	strcpy(history[hist_count % HISTORY], line);
	hist_count++;
}

/* Replace the len bytes shown of line with s (on the screen too); the new length. */
static size_t replace_line(char *line, size_t len, const char *s)
{
	char erase[3 * LINE_SIZE];
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		erase[n++] = '\b';
		erase[n++] = ' ';
		erase[n++] = '\b';
	}
	out(erase, n);
	len = strlen(s);
	memcpy(line, s, len + 1);
	out(line, len);
	return len;
}

enum line_result { LINE_OK, LINE_DROPPED, LINE_EOF };

/* Read and edit one line into line (LINE_SIZE bytes, NUL-terminated). */
static enum line_result read_line(char *line)
{
	size_t len = 0;
	unsigned shown = hist_count; /* the history entry on the line; hist_count: the new line */

	line[0] = '\0';
	for (;;) {
		int c = next_byte();
		if (c < 0)
			return LINE_EOF;
		if (c == '\n') {
			out("\n", 1);
			return LINE_OK;
		} else if (c == KEY_DEL || c == KEY_BS) {
			if (len) {
				line[--len] = '\0';
				out("\b \b", 3);
			}
		} else if (c == KEY_INTR) {
			out("^C\n", 3);
			return LINE_DROPPED;
		} else if (c == KEY_EOF) {
			if (!len) {
				out("\n", 1);
				return LINE_EOF;
			}
		} else if (c == KEY_ESC) {
			/* ESC [ A (up) and ESC [ B (down); other sequences are ignored. */
			if (next_byte() != '[')
				continue;
			c = next_byte();
			unsigned oldest = hist_count > HISTORY ? hist_count - HISTORY : 0;
			if (c == 'A' && shown > oldest)
				shown--;
			else if (c == 'B' && shown < hist_count)
				shown++;
			else
				continue;
			const char *recalled = shown == hist_count ? "" : history[shown % HISTORY];
			len = replace_line(line, len, recalled);
		} else if (c >= ' ' && c < KEY_DEL && len < LINE_SIZE - 1) {
			line[len++] = (char)c;
			line[len] = '\0';
			out(line + len - 1, 1);
		}
	}
}

/* ------------------------------------------------------------------------------------------- */
/* How a task ended, in words. */
static const char *const vector_names[32] = {
	[0] = "#DE divide error",         [1] = "#DB debug",
	[3] = "#BP breakpoint",           [4] = "#OF overflow",
	[5] = "#BR bound range",          [6] = "#UD invalid opcode",
	[7] = "#NM device not available", [8] = "#DF double fault",
	[10] = "#TS invalid TSS",         [11] = "#NP segment not present",
	[12] = "#SS stack fault",         [13] = "#GP general protection",
	[14] = "#PF page fault",          [16] = "#MF x87 error",
	[17] = "#AC alignment check",     [19] = "#XM SIMD error",
};

static void describe_status(int st, char *buf, size_t size)
{
	if (WIFFAULTED(st)) {
		unsigned v = WFAULTVEC(st);
		snprintf(buf, size, "killed by %s (vector %u)",
			 v < 32 && vector_names[v] ? vector_names[v] : "an exception", v);
	} else if (WEXITSTATUS(st) == TASK_KILLED_STATUS) {
		snprintf(buf, size, "killed");
	} else {
		snprintf(buf, size, "exit status %d", WEXITSTATUS(st));
	}
}

/* ------------------------------------------------------------------------------------------- */
/* Background jobs: what the shell started with & and has not reported yet. */
static struct job {
	int pid;
	char name[NAME_SIZE];
} jobs[JOBS_MAX];

static void job_add(int pid, const char *name)
{
	for (int i = 0; i < JOBS_MAX; i++) {
		if (!jobs[i].pid) {
			jobs[i].pid = pid;
			snprintf(jobs[i].name, NAME_SIZE, "%s", name);
			return;
		}
	}
}

/* Report background job pid, which ended with status st, and forget it. */
static void job_done(int pid, int st)
{
	char how[64];
	const char *name = "?";

	for (int i = 0; i < JOBS_MAX; i++) {
		if (jobs[i].pid == pid) {
			name = jobs[i].name;
			jobs[i].pid = 0;
		}
	}
	describe_status(st, how, sizeof(how));
	printf("[%d] %s: %s\n", pid, name, how);
}

static void reap_jobs(void)
{
	int st, pid;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
		job_done(pid, st);
}

/* ------------------------------------------------------------------------------------------- */
/* Built-ins. */
static int parse_pid(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);
	return end == s || *end || v <= 0 || v > 0x7fffffff ? -1 : (int)v;
}

static int cmd_help(int argc, char **argv)
{
	(void)argc, (void)argv;
	printf("built-ins:\n"
	       "  help           this list\n"
	       "  ps             tasks: pid, parent, state, resident memory, name\n"
	       "  kill PID...    kill tasks this shell started (and theirs)\n"
	       "  vmmap [PID]    a task's address space (default: the shell's)\n"
	       "  vmstat         free frames, 2 MiB frames available, page faults\n"
	       "  bpf            loaded BPF programs and maps\n"
	       "  uptime         time since boot\n"
	       "  exit [STATUS]  end this shell (the kernel powers off when the first one ends)\n"
	       "anything else runs a program of the image: NAME runs bin/NAME, test/NAME that\n"
	       "test; a last word & runs it in the background. Keys: backspace, up/down for the\n"
	       "history, ^C kills the foreground program (or drops the line), ^D on an empty line\n"
	       "ends the shell.\n");
	return 0;
}

static const char *state_name(const struct task_info *t)
{
	static const char *const names[] = {"ready", "run", "sleep", "zombie"};
	if (t->flags & TASK_INFO_KILLED)
		return "killed";
	return t->state < 4 ? names[t->state] : "?";
}

/* One line of ps: kernel threads have no resident memory of their own and a [name]. */
static void print_task(const struct task_info *t)
{
	unsigned long kib = (unsigned long)(t->resident_4k * 4 + t->resident_2m * 2048);

	char cpu[12];

	if (t->cpu < 0)
		snprintf(cpu, sizeof(cpu), "-");
	else
		snprintf(cpu, sizeof(cpu), "%d", t->cpu);
	if (t->flags & TASK_INFO_USER)
		printf("%5d %5d %-6s %3s %9lu %s\n", t->pid, t->ppid, state_name(t), cpu, kib,
		       t->name);
	else
		printf("%5d %5d %-6s %3s %9s [%s]\n", t->pid, t->ppid, state_name(t), cpu, "-",
		       t->name);
}

static int cmd_ps(int argc, char **argv)
{
	struct task_info ts[16];
	ssize_t n;
	int from = -1;

	(void)argc, (void)argv;
	printf("%5s %5s %-6s %3s %9s %s\n", "PID", "PPID", "STATE", "CPU", "RES(KiB)", "NAME");
	while ((n = task_list(ts, 16, from)) > 0) {
		for (ssize_t i = 0; i < n; i++)
			print_task(&ts[i]);
		from = ts[n - 1].pid;
	}
	if (n < 0) {
		printf("ps: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}

static int cmd_kill(int argc, char **argv)
{
	int bad = 0;

	if (argc < 2) {
		printf("usage: kill PID...\n");
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		int pid = parse_pid(argv[i]), st;
		if (pid < 0 || kill(pid) < 0) {
			printf("kill: %s: %s\n", argv[i], pid < 0 ? "not a pid" : strerror(errno));
			bad = 1;
			continue;
		}
		/* A killed task ends on its next way to user mode: report a job of ours at once. */
		if (waitpid(pid, &st, 0) == pid)
			job_done(pid, st);
	}
	return bad;
}

static int cmd_vmmap(int argc, char **argv)
{
	int pid = 0;

	if (argc > 2 || (argc == 2 && (pid = parse_pid(argv[1])) < 0)) {
		printf("usage: vmmap [PID]\n");
		return 2;
	}
	if (vmmap_print(pid) < 0) {
		printf("vmmap: pid %d: %s\n", pid ? pid : getpid(), strerror(errno));
		return 1;
	}
	return 0;
}

static int cmd_vmstat(int argc, char **argv)
{
	struct sys_stat st;

	(void)argc, (void)argv;
	if (sys_stat(&st) < 0) {
		printf("vmstat: %s\n", strerror(errno));
		return 1;
	}
	printf("free frames       %lu of %lu (%lu MiB free)\n", (unsigned long)st.free_frames,
	       (unsigned long)st.total_frames, (unsigned long)st.free_frames / 256);
	printf("2 MiB frames      %lu available\n", (unsigned long)st.free_2m);
	printf("page faults       %lu\n", (unsigned long)st.faults);
	printf("superpage faults  %lu\n", (unsigned long)st.faults_2m);
	return 0;
}

static int cmd_uptime(int argc, char **argv)
{
	struct sys_stat st;

	(void)argc, (void)argv;
	if (sys_stat(&st) < 0) {
		printf("uptime: %s\n", strerror(errno));
		return 1;
	}
	unsigned long ms = (unsigned long)(st.uptime_ns / 1000000);
	printf("up %lu.%03lu s, %lu tasks\n", ms / 1000, ms % 1000, (unsigned long)st.tasks);
	return 0;
}

/* Names of Linux's program and map types, where Kestrel has them. */
static const char *prog_type_name(unsigned t)
{
	switch (t) {
	case BPF_PROG_TYPE_SOCKET_FILTER:
		return "socket_filter";
	case BPF_PROG_TYPE_SCHED_CLS:
		return "sched_cls";
	case BPF_PROG_TYPE_TRACING:
		return "tracing";
	case BPF_PROG_TYPE_SYSCALL:
		return "syscall";
	default:
		return "other";
	}
}

static const char *map_type_name(unsigned t)
{
	switch (t) {
	case BPF_MAP_TYPE_HASH:
		return "hash";
	case BPF_MAP_TYPE_ARRAY:
		return "array";
	case BPF_MAP_TYPE_PERCPU_HASH:
		return "percpu_hash";
	case BPF_MAP_TYPE_PERCPU_ARRAY:
		return "percpu_array";
	case BPF_MAP_TYPE_LRU_HASH:
		return "lru_hash";
	case BPF_MAP_TYPE_LRU_PERCPU_HASH:
		return "lru_percpu_hash";
	default:
		return "other";
	}
}

static void bpf_list_progs(void)
{
	__u32 id = 0;
	int shown = 0;

	printf("%5s %-14s %-16s %8s %8s\n", "PROG", "TYPE", "NAME", "XLATED", "JITED");
	while (bpf_prog_get_next_id(id, &id) == 0) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(id);
		/* unloaded meanwhile */
		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0) {
			printf("%5u %-14s %-16s %8u %8u\n", info.id, prog_type_name(info.type),
			       info.name[0] ? info.name : "-", info.xlated_prog_len,
			       info.jited_prog_len);
			shown++;
		}
		close(fd);
	}
	if (!shown)
		printf("(no programs loaded)\n");
}

static void bpf_list_maps(void)
{
	__u32 id = 0;
	int shown = 0;

	printf("%5s %-14s %-16s %8s %8s %8s\n", "MAP", "TYPE", "NAME", "KEY", "VALUE", "ENTRIES");
	while (bpf_map_get_next_id(id, &id) == 0) {
		struct bpf_map_info info;
		__u32 len = sizeof(info);
		int fd = bpf_map_get_fd_by_id(id);
		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0) {
			printf("%5u %-14s %-16s %8u %8u %8u\n", info.id, map_type_name(info.type),
			       info.name[0] ? info.name : "-", info.key_size, info.value_size,
			       info.max_entries);
			shown++;
		}
		close(fd);
	}
	if (!shown)
		printf("(no maps)\n");
}

static int cmd_bpf(int argc, char **argv)
{
	(void)argc, (void)argv;
	bpf_list_progs();
	bpf_list_maps();
	return 0;
}

static int cmd_exit(int argc, char **argv)
{
	exit(argc > 1 ? atoi(argv[1]) : 0);
}

static const struct builtin {
	const char *name;
	int (*run)(int argc, char **argv);
} builtins[] = {
	{"help", cmd_help},     {"ps", cmd_ps},   {"kill", cmd_kill},     {"vmmap", cmd_vmmap},
	{"vmstat", cmd_vmstat}, {"bpf", cmd_bpf}, {"uptime", cmd_uptime}, {"exit", cmd_exit},
};

/* ------------------------------------------------------------------------------------------- */
/* Programs. */
static void run_program(char **argv, bool background)
{
	int pid = spawn(argv[0], argv), st;
	char how[64];

	if (pid < 0) {
		printf("sh: %s: %s\n", argv[0],
		       errno == ENOENT ? "no such program" : strerror(errno));
		return;
	}
	if (background) {
		job_add(pid, argv[0]);
		printf("[%d] %s\n", pid, argv[0]);
		return;
	}
	/* Until it is the foreground, the program's reads of the console wait (uapi/console.h). */
	console_fg(STDIN_FILENO, pid);
	int w = waitpid(pid, &st, 0);
	if (w != pid) {
		printf("sh: %s: waitpid: %s\n", argv[0], strerror(errno));
		return;
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return;
	describe_status(st, how, sizeof(how));
	printf("sh: %s: %s\n", argv[0], how);
}

/*
 * Split line into words (in place); the count, or -1 if there are more than WORDS_MAX. A last "&"
 * (alone or ending the last word) sets *bg.
 */
static int split(char *line, char **argv, bool *bg)
{
	int argc = 0;
	char *p = line;

	*bg = false;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			*p++ = '\0';
		if (!*p)
			break;
		if (argc == WORDS_MAX)
			return -1;
		argv[argc++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
	}
	argv[argc] = NULL;
	if (argc) {
		size_t n = strlen(argv[argc - 1]);
		if (argv[argc - 1][n - 1] == '&') {
			*bg = true;
			argv[argc - 1][n - 1] = '\0';
			if (n == 1)
				argv[--argc] = NULL;
		}
	}
	return argc;
}

static void run_line(char *line)
{
	char *argv[WORDS_MAX + 1];
	bool bg;
	int argc = split(line, argv, &bg);

	if (argc < 0)
		printf("sh: more than %d words\n", WORDS_MAX);
	if (argc <= 0)
		return;
	for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++) {
		if (!strcmp(argv[0], builtins[i].name)) {
			if (bg)
				printf("sh: %s: a built-in runs in the foreground\n", argv[0]);
			builtins[i].run(argc, argv);
			return;
		}
	}
	run_program(argv, bg);
}

int main(void)
{
	char line[LINE_SIZE];

	if (console_fg(STDIN_FILENO, getpid()) < 0) {
		printf("sh: fd 0 is not the console's input: %s\n", strerror(errno));
		return 1;
	}
	printf("Kestrel shell: `help` lists the built-ins; `exit` or ^D ends it.\n");
	for (;;) {
		reap_jobs();
		/* Ours again, also if a parent shell made us its foreground after we took it. */
		console_fg(STDIN_FILENO, getpid());
		out(PROMPT, sizeof(PROMPT) - 1);
		enum line_result r = read_line(line);
		if (r == LINE_EOF)
			break;
		if (r == LINE_DROPPED)
			continue;
		history_add(line);
		run_line(line);
	}
	return 0;
}
