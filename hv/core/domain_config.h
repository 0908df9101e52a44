/* Domain configs from the bundle: parse, report, create. */
#ifndef CORE_DOMAIN_CONFIG_H
#define CORE_DOMAIN_CONFIG_H

struct domain;

/* Creates the domain that the xl.cfg file at `path` in the bundle
 * describes. A bad config is reported as
 *   config: error: PATH:LINE: KEY: MESSAGE
 * and gives NULL; nothing else is affected. */
struct domain *domain_create_from_bundle(const char *path);

/* Starts every auto/ *.cfg of the bundle; returns how many started. */
unsigned domain_start_auto(void);

#endif
