// The table of bench/ab.sh (Markdown on stdout): per prefetch, each build's messages/s and CPU per
// message (medians over runs) and its ratio to the first build; then the stuck-message table.
//
// Usage: node bench/ab_report.js RAW.jsonl "COMMAND" "SIZES" LABEL...
'use strict';

const fs = require('fs');
const os = require('os');
const { stuckTable, stuckFailed, stuckMet, median, fmt } = require('./stuck_table');

const [rawPath, commandLine, sizes, ...labels] = process.argv.slice(2);
const raw = fs.readFileSync(rawPath, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
const failed = (r) => r.figures.errors > 0 || r.figures.timed_out || stuckFailed(r);
const med = (rt, scenario, field) =>
    median(raw.filter((r) => r.runtime === rt && r.scenario === scenario && !failed(r)).map((r) => r.figures[field]));
const cpuModel = (() => {
    const m = fs.readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/);
    return m ? m[1].trim() : 'unknown CPU';
})();
const runs = Math.max(0, ...raw.map((r) => r.run));
const base = labels[0];

const steal = raw.map((r) => r.steal_pct).filter((v) => typeof v === 'number');
const out = [];
out.push('# oauth2-rest worker builds side by side');
out.push('');
out.push(`Made by \`${commandLine}\` on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${os.cpus().length} cores (${cpuModel}), ` +
    `RabbitMQ on loopback, ${sizes}. Medians of ${runs} run(s); the builds take turns within each run. Ratios are ÷ ${base}.`);
if (steal.length) {
    out.push(`Steal time (the host's share of both cores, per run, from /proc/stat): median ${fmt(median(steal), 1)} %, ` +
        `highest ${fmt(Math.max(...steal), 1)} %. Above a few per cent, timed figures say more about the host than the code.`);
}
out.push('');
const excluded = raw.filter(failed);
if (excluded.length) {
    out.push(`Left out of the medians: ${excluded.map((r) => `${r.runtime} ${r.scenario} run ${r.run}`).join('; ')}.`);
    out.push('');
}
const prefetches = [...new Set(raw.filter((r) => r.scenario.startsWith('prefetch-')).map((r) => Number(r.scenario.slice(9))))].sort((a, b) => a - b);
if (prefetches.length) {
    out.push('## End to end: one HTTP call per message (demo API on loopback)');
    out.push('');
    out.push(`| prefetch | build | messages/s | CPU per message (µs) | broker CPU per message (µs) | peak RSS (MB) | msg/s ÷ ${base} | CPU ÷ ${base} | per run msg/s |`);
    out.push('|---:|---|---:|---:|---:|---:|---:|---:|---|');
    for (const p of prefetches) {
        const s = `prefetch-${p}`;
        const r0 = med(base, s, 'rate');
        const c0 = med(base, s, 'cpu_us_per_msg');
        for (const rt of labels) {
            const r = med(rt, s, 'rate');
            const c = med(rt, s, 'cpu_us_per_msg');
            const perRun = raw.filter((x) => x.runtime === rt && x.scenario === s).sort((a, b) => a.run - b.run)
                .map((x) => fmt(x.figures.rate) + (failed(x) ? ' (failed)' : '')).join(', ');
            const broker = median(raw.filter((x) => x.runtime === rt && x.scenario === s && !failed(x)).map((x) => x.broker_cpu_us_per_msg));
            out.push(`| ${p} | ${rt} | ${fmt(r)} | ${fmt(c, 1)} | ${fmt(broker, 1)} | ${fmt(med(rt, s, 'peak_rss_kb') / 1024, 1)} | ${fmt(r / r0, 3)} | ${fmt(c / c0, 3)} | ${perRun} |`);
        }
    }
    out.push('');
}
if (raw.some((r) => r.scenario.startsWith('stuck-'))) {
    // The yardstick has no stuck-message run.
    const stuckLabels = labels.filter((l) => raw.some((r) => r.runtime === l && r.scenario.startsWith('stuck-')));
    const stuck = stuckTable(raw, stuckLabels);
    out.push('## A stuck message at prefetch 100');
    out.push('');
    out.push('(a) all N messages normal; (b) the first message\'s call hangs (the platform API\'s `/hang`, requestTimeout 600 s) ' +
        'for the whole run while the other N-1 are processed; messages/s and CPU per message count the normal ones.');
    out.push('');
    out.push(...stuck.rows);
    out.push('');
    for (const rt of stuckLabels) {
        const f = stuck.figs[rt];
        out.push(`- ${rt}: b ÷ a = ${fmt(f.rateRatio, 3)} (msg/s), ${fmt(f.cpuRatio, 3)} (CPU per message): ${stuckMet(f) ? 'within' : '**not** within'} 10 %`);
    }
}
process.stdout.write(out.join('\n') + '\n');
