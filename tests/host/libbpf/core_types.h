/*
 * The "kernel" types of the CO-RE host test (tests/host/test_libbpf_core.c): compiled by clang's BPF
 * target into core_target.bpf.o, whose BTF is the relocation target, and by the host compiler into
 * the test, which takes the expected offsets and sizes from its own layout of them.
 */
#ifndef TESTS_HOST_LIBBPF_CORE_TYPES_H
#define TESTS_HOST_LIBBPF_CORE_TYPES_H

enum kstate {
	K_RUNNING = 5,
	K_SLEEPING = 9,
	K_NEG = -3,
};

struct kern_mm {
	long pad;
	unsigned long vm_start;
	unsigned long vm_end;
};

struct kern_task {
	long long pad0;
	int pad1;
	int pid;
	unsigned int lo : 3, mid : 9, hi : 20;
	short tgid;
	struct {
		int anon_a;
		union {
			int anon_b;
			long anon_c;
		};
	};
	char comm[16];
	struct kern_mm *mm;
	enum kstate state;
	unsigned long wide;
	int arr[4];
};

typedef struct kern_task kern_task_t;

/* Two candidates for struct amb that disagree: a relocation against it is ambiguous. */
struct amb___a {
	int x;
};

struct amb___b {
	long pad;
	int x;
};

#endif
