#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Generates from uapi/coapsec.yaml (the family's single source):
#   uapi/linux/coapsec-gen.h       the uapi enums and constants
#   kmod/netlink-gen.h, .c         the kernel's policies and operations
#   tools/lib/coapsec_nl_names.h   attribute and enum names for userspace
#
# Usage: uapi/gen.py [--out DIR]   (DIR defaults to the repository root;
# the files land in DIR/uapi/linux, DIR/kmod and DIR/tools/lib).
# The conventions it follows are in the spec's head comment, and two of
# its own: every multicast group needs CAP_NET_ADMIN in the netns (events
# name contexts and peers), and the counters of the stats set are its u64
# attributes, named in JSON and text output as the spec spells them with
# '_' for '-'.
import argparse
import os
import sys
import textwrap

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SPEC = os.path.join(HERE, 'coapsec.yaml')

NLA = {'u8': 'NLA_U8', 'u16': 'NLA_U16', 'u32': 'NLA_U32', 'u64': 'NLA_U64',
       'binary': 'NLA_BINARY', 'string': 'NLA_NUL_STRING', 'nest': 'NLA_NESTED',
       'flag': 'NLA_FLAG', 'pad': 'NLA_REJECT'}
OP_FLAGS = {'admin-perm': 'GENL_ADMIN_PERM',
            'uns-admin-perm': 'GENL_UNS_ADMIN_PERM'}


class SpecError(Exception):
    pass


def c_upper(name):
    return name.upper().replace('-', '_')


def c_lower(name):
    return name.lower().replace('-', '_')


class Spec:
    def __init__(self, path):
        with open(path) as f:
            self.y = yaml.safe_load(f)
        self.name = self.y['name']
        self.defs = {d['name']: d for d in self.y.get('definitions', [])}
        self.sets = {}
        for s in self.y['attribute-sets']:
            if s['name'] in self.sets:
                raise SpecError('attribute set %s: declared twice' %
                                s['name'])
            self.sets[s['name']] = s
        for s in self.y['attribute-sets']:
            base = s.get('subset-of')
            if base and base not in self.sets:
                raise SpecError('attribute set %s: subset of unknown set %s'
                                % (s['name'], base))
        self.ops = self.y['operations']['list']
        for s in self.y['attribute-sets']:
            for a in s['attributes']:
                self.attr(s['name'], a['name'])

    # ---- names ----
    def set_base(self, sname):
        return self.sets[sname].get('subset-of') or sname

    def set_prefix(self, sname):
        s = self.sets[self.set_base(sname)]
        return s.get('name-prefix', '%s-a-%s-' % (self.name, s['name']))

    def set_enum(self, sname):
        s = self.sets[self.set_base(sname)]
        return s.get('enum-name', '%s-a-%s' % (self.name, s['name']))

    def attr_c(self, sname, aname):
        return c_upper(self.set_prefix(sname) + aname)

    def set_max_c(self, sname):
        return c_upper(self.set_prefix(sname) + 'max')

    def def_prefix(self, d):
        return d.get('name-prefix', '%s-%s-' % (self.name, d['name']))

    def const_c(self, value):
        if isinstance(value, str):
            d = self.defs.get(value)
            if not d or d['type'] != 'const':
                raise SpecError('check value %s: not a const' % value)
            return c_upper(self.name + '-' + value)
        return str(value)

    def const_val(self, value):
        return self.defs[value]['value'] if isinstance(value, str) else value

    # ---- attributes: a subset's entries inherit from the base set ----
    def attr(self, sname, aname):
        s = self.sets[sname]
        mine = next((a for a in s['attributes'] if a['name'] == aname), None)
        if mine is None:
            raise SpecError('attribute set %s: no attribute %s' %
                            (sname, aname))
        base = s.get('subset-of')
        if not base:
            if 'type' not in mine:
                raise SpecError('%s.%s: no type' % (sname, aname))
            return dict(mine)
        a = self.attr(base, aname)
        a.update(mine)
        return a

    def attr_value(self, sname, aname):
        base = self.sets[self.set_base(sname)]
        for i, a in enumerate(base['attributes'], 1):
            if a['name'] == aname:
                return i
        raise SpecError('attribute set %s: no attribute %s' % (sname, aname))

    def op_request(self, op):
        do = op.get('do') or {}
        return (do.get('request') or {}).get('attributes', [])

    def op_dump_request(self, op):
        dump = op.get('dump') or {}
        return (dump.get('request') or {}).get('attributes', [])


def wrap_comment(text, indent):
    text = ' '.join(text.split())
    one = '%s/* %s */' % (indent, text)
    if len(one.expandtabs()) <= 80:
        return [one]
    width = 80 - len((indent + ' * ').expandtabs())
    lines = [indent + '/*']
    lines += [indent + ' * ' + ln for ln in textwrap.wrap(text, width)]
    lines.append(indent + ' */')
    return lines


HDR_TOP = '/* Generated by uapi/gen.py from uapi/coapsec.yaml: do not edit. */'


def gen_uapi(sp):
    y = sp.y
    out = ['/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) '
           'OR MIT */', HDR_TOP,
           '/* Included by uapi/linux/coapsec.h: include that one. */',
           '#ifndef _UAPI_LINUX_COAPSEC_GEN_H',
           '#define _UAPI_LINUX_COAPSEC_GEN_H', '']
    defines = [(c_upper(y['c-family-name']), '"%s"' % sp.name),
               (c_upper(y['c-version-name']), str(y.get('version', 1)))]
    for g in y.get('mcast-groups', {}).get('list', []):
        defines.append((c_upper(g['c-define-name']), '"%s"' % g['name']))
    out += ['#define %s\t%s' % d for d in defines]
    out.append('')
    consts = [(c_upper(sp.name + '-' + d['name']), str(d['value']))
              for d in y.get('definitions', []) if d['type'] == 'const']
    col = (len('#define ') + max(len(n) for n, _ in consts) + 8) // 8 * 8
    for n, v in consts:
        cur = len('#define ' + n)
        out.append('#define %s%s%s' % (n, '\t' * -(-(col - cur) // 8), v))
    for d in y.get('definitions', []):
        if d['type'] not in ('enum', 'flags'):
            continue
        out.append('')
        out.append('enum %s {' % c_lower(d['enum-name']))
        pfx = sp.def_prefix(d)
        start = d.get('value-start', 0)
        ents = d['entries']
        for i, e in enumerate(ents):
            e = e if isinstance(e, dict) else {'name': e}
            if e.get('doc'):
                out += wrap_comment(e['doc'], '\t')
            n = c_upper(pfx + e['name'])
            if d['type'] == 'flags':
                out.append('\t%s = 1 << %d,' % (n, i))
            elif i == 0 and start:
                out.append('\t%s = %d,' % (n, start))
            else:
                out.append('\t%s,' % n)
        if d.get('render-max'):
            out.append('')
            if d['type'] == 'flags':
                out.append('\t%s = (1 << %d) - 1' %
                           (c_upper(pfx + 'all'), len(ents)))
            else:
                m = c_upper(pfx + 'max')
                out.append('\t__%s,' % m)
                out.append('\t%s = __%s - 1' % (m, m))
        out.append('};')
    ops = y['operations']
    out += ['', 'enum %s {' % c_lower(ops['enum-name'])]
    pfx = ops['name-prefix']
    out.append('\t%s,' % c_upper(pfx + 'unspec'))
    out += ['\t%s,' % c_upper(pfx + op['name']) for op in sp.ops]
    m = c_upper(pfx + 'max')
    out += ['', '\t__%s,' % m, '\t%s = __%s - 1' % (m, m), '};']
    for s in y['attribute-sets']:
        if s.get('subset-of'):
            continue
        pfx = sp.set_prefix(s['name'])
        out += ['', 'enum %s {' % c_lower(sp.set_enum(s['name']))]
        out.append('\t%s,' % c_upper(pfx + 'unspec'))
        out += ['\t%s,' % c_upper(pfx + a['name']) for a in s['attributes']]
        m = c_upper(pfx + 'max')
        out += ['', '\t__%s,' % m, '\t%s = __%s - 1' % (m, m), '};']
    out += ['', '#endif /* _UAPI_LINUX_COAPSEC_GEN_H */']
    return '\n'.join(out) + '\n'


# ---- kernel policies ----

S16 = (-32768, 32767)


def policy_entry(sp, sname, aname, ranges):
    a = sp.attr(sname, aname)
    t = a['type']
    if read_only(sp, sname, aname):
        return '{ .type = NLA_REJECT, .reject_message = "%s is read-only" }' \
            % aname
    if t == 'pad':
        return '{ .type = NLA_REJECT }'
    if t not in NLA:
        raise SpecError('%s.%s: type %s not supported' % (sname, aname, t))
    nla = NLA[t]
    chk = a.get('checks', {})
    if t == 'nest':
        return 'NLA_POLICY_NESTED(%s)' % policy_name(
            sp, a['nested-attributes'])
    if t == 'binary':
        if 'min-len' in chk:
            return 'NLA_POLICY_RANGE(NLA_BINARY, %s, %s)' % (
                sp.const_c(chk['min-len']), sp.const_c(chk['max-len']))
        if 'max-len' in chk:
            return '{ .type = NLA_BINARY, .len = %s }' % \
                sp.const_c(chk['max-len'])
        return '{ .type = NLA_BINARY }'
    if t == 'string':
        if 'max-len' in chk:
            return '{ .type = NLA_NUL_STRING, .len = %s }' % \
                sp.const_c(chk['max-len'])
        return '{ .type = NLA_NUL_STRING }'
    if chk:
        lo, hi = chk.get('min'), chk.get('max')
        vals = [sp.const_val(v) for v in (lo, hi) if v is not None]
        if any(v < S16[0] or v > S16[1] for v in vals):
            rname = c_lower('%s-%s-%s-range' % (sp.name, sp.set_base(sname),
                                                aname))
            body = []
            if lo is not None:
                body.append('\t.min = %sULL,' % sp.const_c(lo)
                            if isinstance(lo, int) else
                            '\t.min = %s,' % sp.const_c(lo))
            if hi is not None:
                body.append('\t.max = %sULL,' % sp.const_c(hi)
                            if isinstance(hi, int) else
                            '\t.max = %s,' % sp.const_c(hi))
            ranges[rname] = body
            return 'NLA_POLICY_FULL_RANGE(%s, &%s)' % (nla, rname)
        if lo is not None and hi is not None:
            return 'NLA_POLICY_RANGE(%s, %s, %s)' % (nla, sp.const_c(lo),
                                                      sp.const_c(hi))
        if lo is not None:
            return 'NLA_POLICY_MIN(%s, %s)' % (nla, sp.const_c(lo))
        return 'NLA_POLICY_MAX(%s, %s)' % (nla, sp.const_c(hi))
    if 'enum' in a:
        d = sp.defs[a['enum']]
        pfx = sp.def_prefix(d)
        if d['type'] == 'flags' or a.get('enum-as-flags'):
            if not d.get('render-max'):
                raise SpecError('%s.%s: flags %s need render-max' %
                                (sname, aname, d['name']))
            return 'NLA_POLICY_MASK(%s, %s)' % (nla, c_upper(pfx + 'all'))
        if d.get('render-max'):
            return 'NLA_POLICY_RANGE(%s, %d, %s)' % (
                nla, d.get('value-start', 0), c_upper(pfx + 'max'))
    return '{ .type = %s }' % nla


def read_only(sp, sname, aname):
    """A subset's entry documented as read-only: refused on input."""
    mine = next(a for a in sp.sets[sname]['attributes']
                if a['name'] == aname)
    return bool(sp.sets[sname].get('subset-of')) and \
        mine.get('doc', '').startswith('Read-only')


def policy_name(sp, sname):
    return '%s_%s_nl_policy' % (c_lower(sp.name), c_lower(sname))


def op_policy_name(sp, op):
    return '%s_%s_nl_policy' % (c_lower(sp.name), c_lower(op['name']))


def fmt_entry(index, value):
    line = '\t[%s] = %s,' % (index, value)
    if len(line.expandtabs()) <= 80:
        return [line]
    if not value.startswith('{ '):
        return ['\t[%s] =' % index, '\t\t%s,' % value]
    # { .a = x, .b = y }: one field a line, aligned after the brace.
    fields = value[2:-2].split(', ')
    first = '\t[%s] = { ' % index
    col = len(first.expandtabs())
    pad = '\t' * (col // 8) + ' ' * (col % 8)
    out = [first + fields[0] + ',']
    out += [pad + f + ',' for f in fields[1:-1]]
    out.append(pad + fields[-1] + ' },')
    return out


def fmt_policy_decl(name, size, static):
    one = '%sconst struct nla_policy %s[%s + 1]' % (static, name, size)
    if len(one) + 4 <= 80:
        return [one]
    return ['%sconst struct nla_policy' % static, '%s[%s + 1]' % (name, size)]


def nested_sets(sp):
    """Nested (request) sets the operations reach, innermost first."""
    order = []

    def visit(sname):
        s = sp.sets[sname]
        for a in s['attributes']:
            full = sp.attr(sname, a['name'])
            if full['type'] == 'nest' and not read_only(sp, sname,
                                                        a['name']):
                visit(full['nested-attributes'])
        if sname not in order:
            order.append(sname)

    for op in sp.ops:
        for aname in sp.op_request(op) + sp.op_dump_request(op):
            full = sp.attr(op['attribute-set'], aname)
            if full['type'] == 'nest':
                visit(full['nested-attributes'])
    return order


def gen_kernel(sp):
    y = sp.y
    nsets = nested_sets(sp)
    req_ops = [op for op in sp.ops if 'do' in op or 'dump' in op]
    h = ['/* SPDX-License-Identifier: GPL-2.0 */', HDR_TOP,
         '#ifndef _COAPSEC_NETLINK_GEN_H', '#define _COAPSEC_NETLINK_GEN_H',
         '', '#include <net/genetlink.h>', '#include <uapi/linux/coapsec.h>',
         '', '/* Request policies of the nests, for nla_parse_nested(). */']
    for s in nsets:
        h += ['extern ' + ln for ln in
              fmt_policy_decl(policy_name(sp, s), sp.set_max_c(s), '')[:1]]
        decl = fmt_policy_decl(policy_name(sp, s), sp.set_max_c(s), '')
        if len(decl) == 1:
            h[-1] += ';'
        else:
            h.append(decl[1] + ';')
    h += ['', '/* The handlers, in kmod/netlink.c. */']
    for op in req_ops:
        fn = 'coapsec_nl_%s' % c_lower(op['name'])
        if 'do' in op:
            h += ['int %s_doit(struct sk_buff *skb, struct genl_info *info);'
                  % fn]
        if 'dump' in op:
            col = len('int %s_dumpit(' % fn)
            h += ['int %s_dumpit(struct sk_buff *skb,' % fn,
                  '\t' * (col // 8) + ' ' * (col % 8) +
                  'struct netlink_callback *cb);']
    h += ['', 'extern const struct genl_ops coapsec_nl_ops[%d];' %
          len(req_ops)]
    grps = y.get('mcast-groups', {}).get('list', [])
    if grps:
        h += ['', 'enum {']
        h += ['\t%s,' % mcgrp_index(sp, g) for g in grps]
        h += ['};', '', 'extern const struct genl_multicast_group '
              'coapsec_nl_mcgrps[%d];' % len(grps)]
    h += ['', '#endif /* _COAPSEC_NETLINK_GEN_H */']
    c = ['// SPDX-License-Identifier: GPL-2.0', HDR_TOP,
         '/*', ' * Linux 6.1 has no genl_split_ops (6.2): one genl_ops entry '
         'per command,', ' * its do and dump sharing the request policy.',
         ' */', '#include <net/genetlink.h>', '#include <uapi/linux/coapsec.h>',
         '', '#include "netlink-gen.h"']
    ranges = {}
    body = []
    for s in nsets:
        body.append('')
        body += fmt_policy_decl(policy_name(sp, s), sp.set_max_c(s), '')
        body[-1] += ' = {'
        for a in sp.sets[s]['attributes']:
            body += fmt_entry(sp.attr_c(s, a['name']),
                              policy_entry(sp, s, a['name'], ranges))
        body.append('};')
    for op in req_ops:
        req = sp.op_request(op)
        dreq = sp.op_dump_request(op)
        if 'do' in op and 'dump' in op and req != dreq:
            raise SpecError('%s: do and dump must take the same attributes '
                            '(one policy per command on 6.1)' % op['name'])
        body.append('')
        body += fmt_policy_decl(op_policy_name(sp, op), c_upper(sp.name +
                                '-a-max'), 'static ')
        body[-1] += ' = {'
        for aname in req or dreq:
            body += fmt_entry(sp.attr_c(op['attribute-set'], aname),
                              policy_entry(sp, op['attribute-set'], aname,
                                           ranges))
        body.append('};')
    for rname, fields in ranges.items():
        c += ['', 'static struct netlink_range_validation',
              '%s = {' % rname] + fields + ['};']
    c += body
    c += ['', 'const struct genl_ops coapsec_nl_ops[%d] = {' % len(req_ops)]
    for op in req_ops:
        fn = 'coapsec_nl_%s' % c_lower(op['name'])
        c.append('\t{')
        c.append('\t\t.cmd = %s,' % c_upper(y['operations']['name-prefix'] +
                                            op['name']))
        flags = [OP_FLAGS[f] for f in op.get('flags', [])]
        if flags:
            c.append('\t\t.flags = %s,' % ' | '.join(flags))
        if 'do' in op:
            c.append('\t\t.doit = %s_doit,' % fn)
        if 'dump' in op:
            c.append('\t\t.dumpit = %s_dumpit,' % fn)
        c.append('\t\t.policy = %s,' % op_policy_name(sp, op))
        c.append('\t\t.maxattr = %s,' % c_upper(sp.name + '-a-max'))
        c.append('\t},')
    c.append('};')
    if grps:
        c += ['', '/* Every group: CAP_NET_ADMIN in the netns. */',
              'const struct genl_multicast_group coapsec_nl_mcgrps[%d] = {'
              % len(grps)]
        for g in grps:
            c += ['\t[%s] = {' % mcgrp_index(sp, g),
                  '\t\t.name = %s,' % c_upper(g['c-define-name']),
                  '\t\t.flags = GENL_MCAST_CAP_NET_ADMIN,', '\t},']
        c.append('};')
    return '\n'.join(h) + '\n', '\n'.join(c) + '\n'


def mcgrp_index(sp, g):
    return c_upper('%s-nlgrp-%s' % (sp.name, g['name']))


def gen_names(sp):
    y = sp.y
    out = ['/* SPDX-License-Identifier: GPL-2.0 */', HDR_TOP,
           '/*', ' * Names of the attributes and enum values, as the spec '
           'spells them, for', ' * messages and JSON, and the counters.  '
           'Included by tools/lib/coapsec_nl.c', ' * only.', ' */',
           '#ifndef COAPSEC_NL_NAMES_H', '#define COAPSEC_NL_NAMES_H', '',
           '#include <stdint.h>', '',
           '#include "uapi/linux/coapsec.h"', '#include "coapsec_nl.h"']
    for s in y['attribute-sets']:
        if s.get('subset-of'):
            continue
        out += ['', 'static const char *const %s_names[%s + 1] = {' %
                (c_lower(sp.set_enum(s['name'])), sp.set_max_c(s['name']))]
        for a in s['attributes']:
            out.append('\t[%s] = "%s",' % (sp.attr_c(s['name'], a['name']),
                                            a['name']))
        out.append('};')
    for d in y.get('definitions', []):
        if d['type'] != 'enum':
            continue
        pfx = sp.def_prefix(d)
        out += ['', 'static const char *const %s_names[] = {' %
                c_lower(d['enum-name'])]
        for e in d['entries']:
            e = e['name'] if isinstance(e, dict) else e
            out.append('\t[%s] = "%s",' % (c_upper(pfx + e), e))
        out.append('};')
    counters = [a['name'] for a in sp.sets['stats']['attributes']
                if a['type'] == 'u64']
    n = len(counters)
    out += ['', '/*', ' * The counters: the stats set\'s u64 attributes, in '
            'its order.  Their', ' * names in JSON and text output are the '
            'spec\'s with \'_\' for \'-\'.', ' */',
            '_Static_assert(COAPSEC_NL_NUM_COUNTERS == %d,' % n,
            '\t       "COAPSEC_NL_NUM_COUNTERS (coapsec_nl.h): the spec has %d '
            'counters");' % n, '',
            'const char *const coapsec_nl_counter_names'
            '[COAPSEC_NL_NUM_COUNTERS] = {']
    out += ['\t"%s",' % c_lower(a) for a in counters]
    out += ['};', '', 'static const uint16_t coapsec_nl_counter_attrs'
            '[COAPSEC_NL_NUM_COUNTERS] = {']
    out += ['\t%s,' % sp.attr_c('stats', a) for a in counters]
    out += ['};', '', '#endif /* COAPSEC_NL_NAMES_H */']
    return '\n'.join(out) + '\n'


def generate(spec_path):
    sp = Spec(spec_path)
    kh, kc = gen_kernel(sp)
    return {
        'uapi/linux/coapsec-gen.h': gen_uapi(sp),
        'kmod/netlink-gen.h': kh,
        'kmod/netlink-gen.c': kc,
        'tools/lib/coapsec_nl_names.h': gen_names(sp),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--out', default=ROOT)
    ap.add_argument('--spec', default=SPEC)
    args = ap.parse_args()
    try:
        files = generate(args.spec)
    except (SpecError, KeyError, yaml.YAMLError) as e:
        sys.exit('%s: %s' % (args.spec, e))
    for rel, text in files.items():
        path = os.path.join(args.out, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        try:
            with open(path) as f:
                if f.read() == text:
                    continue
        except FileNotFoundError:
            pass
        with open(path, 'w') as f:
            f.write(text)


if __name__ == '__main__':
    main()
