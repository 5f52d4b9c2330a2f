/* SPDX-License-Identifier: GPL-2.0 */
#ifndef COAPSEC_NETLINK_H
#define COAPSEC_NETLINK_H

int coapsec_genl_register(void);
void coapsec_genl_unregister(void);

#endif /* COAPSEC_NETLINK_H */
