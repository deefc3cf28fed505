/* Moved: <machine/fpu.h> (arch/x86_64/include/machine/fpu.h). */
#include <machine/fpu.h>
