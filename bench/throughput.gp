# Gnuplot script for bench/results/throughput.png: messages/s by prefetch, ours vs the reference.
# Called by bench/run.sh: gnuplot -e "datafile='...'; outfile='...'" bench/throughput.gp
set terminal pngcairo size 900,540 font "DejaVu Sans,11" noenhanced
set output outfile
set title "Messages/s end to end (one HTTP call each), median of runs"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set logscale y
set yrange [10:*]
set ylabel "messages/s (log scale)"
set xlabel "prefetch"
set grid ytics
set key top left
plot datafile using 2:xtic(1) title "oauth2-rest sail" lc rgb "#1f77b4", \
     '' using 3 title "elasticio-sailor-nodejs 2.7.8" lc rgb "#d62728", \
     '' using 0:2:(sprintf("%.0f", $2)) with labels offset -2.5,0.7 notitle, \
     '' using 0:3:(sprintf("%.0f", $3)) with labels offset 2.5,0.7 notitle
