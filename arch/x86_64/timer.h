/* Moved: <machine/timer.h> (arch/x86_64/include/machine/timer.h). */
#include <machine/timer.h>
