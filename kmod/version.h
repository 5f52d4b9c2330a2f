/* SPDX-License-Identifier: GPL-2.0 */
#ifndef COAPSEC_VERSION_H
#define COAPSEC_VERSION_H

#define COAPSEC_VERSION "0.1.0"

#endif /* COAPSEC_VERSION_H */
