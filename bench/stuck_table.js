// The stuck-message table of bench/report.js and bench/ab_report.js: prefetch 100, N messages,
// "stuck-none" (all normal) against "stuck-one" (the first message's call hangs for the whole run
// while the other N-1 pass it; rate and CPU per message count those N-1), per runtime.
'use strict';

const median = (xs) => {
    const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
    if (v.length === 0) return NaN;
    const m = Math.floor(v.length / 2);
    return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};
const fmt = (x, digits = 0) => (Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : 'n/a');

// Not a measurement of what was meant: outputs missing, errors, or the stuck call answered (or
// never made) before the others were done.
const stuckFailed = (r) => r.figures.errors > 0 || r.figures.timed_out || r.figures.stuck_settled === true ||
    (r.scenario === 'stuck-one' && r.hangs !== undefined && r.hangs !== null && r.hangs !== 1);

// { rows: [markdown lines], ratios: {rate, cpu} (medians of b ÷ medians of a), per-run ratios }
function stuckFigures(raw, runtime) {
    const of = (scenario) => raw.filter((r) => r.runtime === runtime && r.scenario === scenario && !stuckFailed(r));
    const a = of('stuck-none');
    const b = of('stuck-one');
    const m = (rs, field) => median(rs.map((r) => r.figures[field]));
    const fig = {
        a: { rate: m(a, 'rate'), cpu: m(a, 'cpu_us_per_msg'), n: a.length, outputs: m(a, 'data') },
        b: { rate: m(b, 'rate'), cpu: m(b, 'cpu_us_per_msg'), n: b.length, outputs: m(b, 'data') },
    };
    fig.rateRatio = fig.b.rate / fig.a.rate;
    fig.cpuRatio = fig.b.cpu / fig.a.cpu;
    // The same run's a and b, one after the other: the least noisy ratio.
    fig.perRun = [];
    for (const rb of b) {
        const ra = a.find((r) => r.run === rb.run);
        if (ra) fig.perRun.push({ run: rb.run, rate: rb.figures.rate / ra.figures.rate, cpu: rb.figures.cpu_us_per_msg / ra.figures.cpu_us_per_msg });
    }
    fig.perRunRate = median(fig.perRun.map((p) => p.rate));
    fig.perRunCpu = median(fig.perRun.map((p) => p.cpu));
    const messages = (a[0] || b[0] || { figures: {} }).figures.messages;
    fig.messages = messages;
    return fig;
}

// Markdown rows (header included) for the given runtimes.
function stuckTable(raw, runtimes) {
    const out = [];
    out.push('| runtime | case | messages/s | CPU per message (µs) | outputs | runs |');
    out.push('|---|---|---:|---:|---:|---:|');
    const figs = {};
    for (const rt of runtimes) {
        const f = stuckFigures(raw, rt);
        figs[rt] = f;
        out.push(`| ${rt} | (a) all ${fmt(f.messages)} normal | ${fmt(f.a.rate)} | ${fmt(f.a.cpu, 1)} | ${fmt(f.a.outputs)} | ${f.a.n} |`);
        out.push(`| ${rt} | (b) first message hanging, the other ${fmt(f.messages - 1)} normal | ${fmt(f.b.rate)} | ${fmt(f.b.cpu, 1)} | ${fmt(f.b.outputs)} | ${f.b.n} |`);
        out.push(`| ${rt} | **b ÷ a** (medians) | **${fmt(f.rateRatio, 3)}** | **${fmt(f.cpuRatio, 3)}** | | |`);
        if (f.perRun.length) {
            out.push(`| ${rt} | b ÷ a per run (${f.perRun.map((p) => `${fmt(p.rate, 3)} / ${fmt(p.cpu, 3)}`).join('; ')}), median | ${fmt(f.perRunRate, 3)} | ${fmt(f.perRunCpu, 3)} | | |`);
        }
    }
    return { rows: out, figs };
}

// "Within 10 % of each other": both ratios b ÷ a between 0.9 and 1.1.
const within = (x) => Number.isFinite(x) && x >= 0.9 && x <= 1.1;
const stuckMet = (f) => within(f.rateRatio) && within(f.cpuRatio);

module.exports = { stuckTable, stuckFigures, stuckFailed, stuckMet, median, fmt };
