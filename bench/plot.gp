# SPDX-License-Identifier: GPL-2.0
# make bench's plot (bench/report.py passes dat= and png=).
set terminal pngcairo size 1300,950 font "sans,10"
set output png
set multiplot layout 2,2 title "coapsec packet path, one VM run under qemu -icount (guest time = instructions)"
set grid
set key top right
set xlabel "CoAP payload (bytes)"
set xtics ("16" 16, "100" 100, "500" 500, "1000" 1000)
set logscale x
set xrange [12:1300]

set title "messages per guest-second"
set key bottom left
set logscale y
set ylabel "messages / guest-second"
plot dat index 0 using 1:2 with linespoints lw 2 title "plain UDP", \
     ''  index 0 using 1:3 with linespoints lw 2 title "coapsec LOCAL\\_OUT/IN", \
     ''  index 0 using 1:4 with linespoints lw 2 title "xfrm ESP rfc4309(ccm(aes))", \
     ''  index 0 using 1:5 with linespoints lw 2 dt 2 title "plain, routed by 2 gateways", \
     ''  index 0 using 1:6 with linespoints lw 2 dt 2 title "coapsec FORWARD on 2 gateways"
unset logscale y

set title "ratios (same run)"
set key top right
set ylabel "ratio"
set yrange [0:*]
plot dat index 1 using 1:3 with linespoints lw 2 title "coapsec / ESP", \
     ''  index 1 using 1:2 with linespoints lw 2 title "coapsec / plain", \
     ''  index 1 using 1:4 with linespoints lw 2 title "ESP / plain", \
     ''  index 1 using 1:5 with linespoints lw 2 dt 2 title "coapsec FORWARD / plain routed", \
     1.5 with lines lc rgb "gray40" lw 1.5 dt 2 title "targets 1.5 and 0.5", \
     0.5 with lines lc rgb "gray40" lw 1.5 dt 2 notitle

set title "coapsec at 100 B against contexts installed"
set xlabel "contexts installed on each end"
set xtics auto
set format x "10^{%L}"
set xrange [0.5:200000]
set yrange [0:1.2]
set ylabel "rate relative to 1 context"
plot dat index 2 using 1:2 with linespoints lw 2 title "coapsec", \
     0.9 with lines lc rgb "gray40" lw 1.5 dt 2 title "target: cost under 10 %"

set title "group commands at the gateway"
set xlabel "group members"
set xrange [7:1500]
set logscale y
set yrange [30:500000]
set format y "10^{%L}"
set ylabel "commands / guest-second"
set key bottom left
set key top right
if (have_group) {
plot dat index 3 using 1:2 with linespoints lw 2 title "coapsec: one protected multicast", \
     ''  index 3 using 1:3 with linespoints lw 2 title "DTLS-PSK: one record per member (mbedTLS)"
} else {
unset logscale y
set yrange [0:1]
set label 1 "not measured in this run" at graph 0.5, 0.5 center
plot 2 notitle
}
unset multiplot
