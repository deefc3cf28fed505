/* Moved: the per-CPU area is <machine/percpu.h> (arch/x86_64/include/machine/percpu.h). */
#include <machine/percpu.h>
