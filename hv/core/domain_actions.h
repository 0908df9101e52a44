/* What happens to a domain after it stops (on_poweroff, on_reboot,
 * on_crash): destroy, restart or preserve. Done outside any vCPU's exit
 * path, once none of the domain's vCPUs is on a CPU. */
#ifndef CORE_DOMAIN_ACTIONS_H
#define CORE_DOMAIN_ACTIONS_H

#include "lib/xl_config.h"

struct domain;

void domain_action_request(struct domain *d, enum xlcfg_action action);
/* Runs the requests whose domain is off every CPU; on the boot CPU only,
 * so that no other CPU frees a domain under its walk of the table. */
void domain_actions_run(void);

#endif
