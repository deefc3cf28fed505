/* The relocation target of the CO-RE host test: the BTF of core_types.h, as clang emits it. */
#include "core_types.h"

struct kern_task g_task;
struct kern_mm g_mm; /* a full definition: clang leaves a type only pointed to a FWD */
enum kstate g_state;
kern_task_t *g_task_ptr;
struct amb___a g_amb_a;
struct amb___b g_amb_b;
