# Chart for bench/run_bench.py (side-by-side benchmark).
# Usage: gnuplot -e "datafile='plot.dat'; outfile='throughput.png'; charttitle='...'" bench/plot.gp
# plot.dat columns: "scenario" ringproxy twemproxy direct rp/tw rp/direct  (req/s, ratios)

if (!exists("datafile")) datafile = 'plot.dat'
if (!exists("outfile")) outfile = 'throughput.png'
if (!exists("charttitle")) charttitle = 'ringproxy vs twemproxy vs direct redis'

set terminal pngcairo size 1400,1000 font "DejaVu Sans,11" noenhanced
set output outfile
set datafile missing "NaN"

# headroom above the tallest ratio bar for its label and the key (before any range is set)
stats datafile using 5 nooutput name "R5"
stats datafile using 6 nooutput name "R6"
rmax = (R5_max > R6_max ? R5_max : R6_max)
stats datafile using 2 nooutput name "T2"
stats datafile using 3 nooutput name "T3"
stats datafile using 4 nooutput name "T4"
tmax = T2_max
if (T3_max > tmax) tmax = T3_max
if (T4_max > tmax) tmax = T4_max

set multiplot layout 2,1 title charttitle font ",13"

# ---- top: throughput (log scale: pipelined runs are ~10x the others)
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.85 border rgb "#333333"
set boxwidth 0.9
set key top left horizontal
set grid ytics mytics
set logscale y
set yrange [1000:tmax * 6]   # room for the key above the tallest bar
set format y "%.0s%c"
set ylabel "requests/s (log scale, median)"
set xtics rotate by -20 nomirror
set title "Throughput per scenario (redis-benchmark -r 100000)"
plot datafile using 2:xtic(1) title "ringproxy" lc rgb "#d62728", \
     ''       using 3        title "twemproxy 0.5.0" lc rgb "#1f77b4", \
     ''       using 4        title "direct redis-server (1 instance)" lc rgb "#7f7f7f"

# ---- bottom: ratios
unset logscale y
set format y "%.2f"
set yrange [0:(rmax > 1 ? rmax : 1) * 1.3]
set ylabel "ratio (> 1: ringproxy faster)"
set title "Throughput ratios"
set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead lw 2 dt 2 lc rgb "#000000" back
plot datafile using 5:xtic(1) title "ringproxy / twemproxy" lc rgb "#ff7f0e", \
     ''       using 6        title "ringproxy / direct" lc rgb "#2ca02c", \
     ''       using ($0-0.2):5:(sprintf("%.2f", $5)) notitle with labels offset 0,0.7 font ",9", \
     ''       using ($0+0.2):6:(sprintf("%.2f", $6)) notitle with labels offset 0,0.7 font ",9"

unset multiplot
