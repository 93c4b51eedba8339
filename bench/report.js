// Turns the raw figures of bench/run.sh into the results table (Markdown on stdout) and the
// chart's data file (<results>/throughput.dat). Medians over runs; ratios are ours ÷ reference.
//
// Usage: node bench/report.js RAW.jsonl LOCAL.jsonl MICRO.txt RESULTS-DIR "COMMAND" "SIZES"
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { stuckTable, stuckFailed, stuckMet } = require('./stuck_table');

const [rawPath, localPath, microPath, resultsDir, commandLine, sizes] = process.argv.slice(2);
const readLines = (p) => fs.readFileSync(p, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
const raw = readLines(rawPath);
const local = readLines(localPath);

const median = (xs) => {
    const v = xs.filter((x) => typeof x === 'number' && !Number.isNaN(x)).sort((a, b) => a - b);
    if (v.length === 0) return NaN;
    const m = Math.floor(v.length / 2);
    return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};
// A run whose outputs were not all data (errors, or a timeout) is reported but left out of the medians.
const failed = (r) => r.figures.errors > 0 || r.figures.timed_out || stuckFailed(r);
const runsOf = (runtime, scenario) => raw.filter((r) => r.runtime === runtime && r.scenario === scenario && !failed(r));
const med = (runtime, scenario, field) => {
    const rs = runsOf(runtime, scenario);
    return median(rs.map((r) => (field === 'tokens' ? r.tokens : r.figures[field])));
};
const fmt = (x, digits = 0) => (Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : 'n/a');
const ratio = (a, b, digits = 1) => (Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? `${fmt(a / b, digits)}×` : 'n/a');
const mb = (kb) => kb / 1024;
const percent = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? `${fmt((100 * a) / b)} %` : 'n/a');

const cpuModel = (() => {
    const m = fs.readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/);
    return m ? m[1].trim() : 'unknown CPU';
})();
const runs = Math.max(0, ...raw.map((r) => r.run));

const out = [];
out.push('# oauth2-rest benchmark results');
out.push('');
out.push(`Made by \`${commandLine}\` on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${os.cpus().length} cores (${cpuModel}), ` +
    `RabbitMQ on loopback, ${sizes}. Every figure is the median of ${runs} run(s); ratios are ours ÷ reference. ` +
    'Reference: elasticio-sailor-nodejs 2.7.8 running bench/node-component (the same HTTP call with a cached bearer token), ' +
    'its rate limits lifted (ELASTICIO_DATA_RATE_LIMIT, ELASTICIO_ERROR_RATE_LIMIT, ELASTICIO_RATE_INTERVAL). ' +
    'Yardstick: bench/yardstick.cpp, the protocol work alone (rabbitmq-c, one GET per message on one kept-alive socket, ' +
    'publish with confirm, ack after the confirm; no JSON, no crypto): how close we are to what the broker allows. ' +
    '"Yardstick, platform output": the same client publishing what the platform makes every output carry ' +
    '(the worker\'s 14 headers, mandatory, a body of the worker\'s output size; `--platform-output`), which tells ' +
    'the broker\'s cost of the protocol from the cost of our code. "Two connections": that client publishing on a second ' +
    'connection, as the worker does (`--publish-connection`).');
out.push('');
const excluded = raw.filter(failed);
if (excluded.length) {
    out.push(`Left out of the medians (not every output was a data message): ${excluded.map((r) =>
        `${r.runtime} ${r.scenario} run ${r.run} (${r.figures.errors} errors${r.figures.timed_out ? ', timed out' : ''}${r.figures.stuck_settled ? ', the stuck call ended early' : ''}${r.scenario === 'stuck-one' ? `, ${r.hangs} hang requests` : ''}, ${r.tokens} token requests)`).join('; ')}.`);
    out.push('');
}
out.push('## End to end: one HTTP call per message (demo API on loopback)');
out.push('');
out.push('| prefetch | runtime | messages/s | CPU per message (µs) | peak RSS (MB) | idle RSS (MB) | start to consuming (ms) | token requests |');
out.push('|---:|---|---:|---:|---:|---:|---:|---:|');
const dat = ['# prefetch ours reference'];
for (const p of [1, 10, 100]) {
    const s = `prefetch-${p}`;
    const row = (rt) => [med(rt, s, 'rate'), med(rt, s, 'cpu_us_per_msg'), mb(med(rt, s, 'peak_rss_kb')),
        mb(med(rt, s, 'idle_rss_kb')), med(rt, s, 'start_ms'), med(rt, s, 'tokens')];
    const o = row('ours');
    const r = row('reference');
    const y = row('yardstick');
    const yp = row('yardstick-platform');
    const y2 = row('yardstick-platform-2conn');
    out.push(`| ${p} | ours | ${fmt(o[0])} | ${fmt(o[1])} | ${fmt(o[2], 1)} | ${fmt(o[3], 1)} | ${fmt(o[4], 1)} | ${fmt(o[5])} |`);
    out.push(`| ${p} | reference | ${fmt(r[0])} | ${fmt(r[1])} | ${fmt(r[2], 1)} | ${fmt(r[3], 1)} | ${fmt(r[4], 1)} | ${fmt(r[5])} |`);
    out.push(`| ${p} | **ratio** | **${ratio(o[0], r[0])}** | **${ratio(o[1], r[1], 3)}** | ${ratio(o[2], r[2], 2)} | ${ratio(o[3], r[3], 2)} | ${ratio(o[4], r[4], 3)} | |`);
    out.push(`| ${p} | yardstick | ${fmt(y[0])} | ${fmt(y[1])} | ${fmt(y[2], 1)} | | | |`);
    out.push(`| ${p} | **ours ÷ yardstick** | **${percent(o[0], y[0])}** | **${ratio(o[1], y[1], 2)}** | | | | |`);
    out.push(`| ${p} | yardstick, platform output | ${fmt(yp[0])} | ${fmt(yp[1])} | ${fmt(yp[2], 1)} | | | |`);
    out.push(`| ${p} | ours ÷ yardstick, platform output | ${percent(o[0], yp[0])} | ${ratio(o[1], yp[1], 2)} | | | | |`);
    out.push(`| ${p} | yardstick, platform output, two connections | ${fmt(y2[0])} | ${fmt(y2[1])} | ${fmt(y2[2], 1)} | | | |`);
    out.push(`| ${p} | ours ÷ yardstick, platform output, two connections | ${percent(o[0], y2[0])} | ${ratio(o[1], y2[1], 2)} | | | | |`);
    dat.push(`${p} ${Number.isFinite(o[0]) ? o[0].toFixed(1) : 0} ${Number.isFinite(r[0]) ? r[0].toFixed(1) : 0}`);
}
fs.writeFileSync(path.join(resultsDir, 'throughput.dat'), dat.join('\n') + '\n');
// The broker's CPU per message in the same runs (its Erlang VM's utime+stime over the driver run,
// publishing the input included): on 2 cores it is most of what a message costs.
const brokerMed = (rt, s) => median(runsOf(rt, s).map((r) => r.broker_cpu_us_per_msg));
out.push('');
out.push('Broker CPU per message in the same runs (µs; RabbitMQ\'s whole VM, the driver\'s publishing included):');
out.push('');
out.push('| prefetch | ours | reference | yardstick | yardstick, platform output | the same, two connections |');
out.push('|---:|---:|---:|---:|---:|---:|');
for (const p of [1, 10, 100]) {
    const s = `prefetch-${p}`;
    out.push(`| ${p} | ${fmt(brokerMed('ours', s))} | ${fmt(brokerMed('reference', s))} | ${fmt(brokerMed('yardstick', s))} | ` +
        `${fmt(brokerMed('yardstick-platform', s))} | ${fmt(brokerMed('yardstick-platform-2conn', s))} |`);
}

const ceiling = med('ours', 'noop-prefetch-100', 'rate');
const p100 = med('ours', 'prefetch-100', 'rate');
out.push('');
out.push('## Broker-only ceiling, scaling, tokens, local mode');
out.push('');
out.push('| figure | value |');
out.push('|---|---:|');
out.push(`| broker-only ceiling: our pipeline with a no-op action, prefetch 100 (messages/s) | ${fmt(ceiling)} |`);
out.push(`| CPU per message with the no-op action (µs) | ${fmt(med('ours', 'noop-prefetch-100', 'cpu_us_per_msg'))} |`);
out.push(`| ours at prefetch 100 as a share of the ceiling | ${Number.isFinite(ceiling) ? fmt((100 * p100) / ceiling) + ' %' : 'n/a'} |`);
const procs = {};
for (const k of [1, 2, 4]) {
    procs[k] = med('ours', `procs-${k}`, 'rate');
    out.push(`| ${k} worker process${k > 1 ? 'es' : ''} on one queue, prefetch 100 each (messages/s, all together) | ${fmt(procs[k])} (${ratio(procs[k], procs[1], 2)} of 1) |`);
}
const tokenRuns = runsOf('ours', 'tokens-10k');
const tokenMessages = tokenRuns.length ? tokenRuns[0].figures.messages : NaN;
const tokens10k = tokenRuns.length ? tokenRuns[0].tokens : NaN;
out.push(`| token requests for ${fmt(tokenMessages)} messages at prefetch 100 within one token lifetime | ${fmt(tokens10k)} (${tokenRuns.length ? fmt(tokenRuns[0].figures.rate) : 'n/a'} messages/s) |`);
const localRate = median(local.map((l) => l.local_rate));
const wrkRate = median(local.map((l) => l.wrk_rate));
out.push(`| local mode, \`--concurrency 16\`, GET /api/items/1 (messages/s) | ${fmt(localRate)} |`);
out.push(`| \`wrk -t2 -c16\` on the same endpoint (requests/s) | ${fmt(wrkRate)} |`);
out.push(`| local mode as a share of wrk | ${Number.isFinite(wrkRate) && wrkRate > 0 ? fmt((100 * localRate) / wrkRate) + ' %' : 'n/a'} |`);

// Replicas sharing one credential: token requests per renewal window (see bench/platform_server.cpp).
const renewEvery = (lifetime) => lifetime - Math.min(60, lifetime / 2);  // lib/oauth2 refresh_at
const replicaCases = [['replicas-staggered', '(a) 1 s apart'], ['replicas-together', '(b) all at once']];
const replicas = {};
for (const [s, label] of replicaCases) {
    const rs = runsOf('ours', s).filter((r) => Array.isArray(r.windows) && r.windows.length > 0);
    const tokens = rs.reduce((a, r) => a + r.tokens, 0);
    const windows = rs.reduce((a, r) => a + r.windows.length, 0);
    const later = rs.flatMap((r) => r.windows.slice(1));
    replicas[s] = {
        label, rs, tokens, windows,
        perWindow: windows ? tokens / windows : NaN,
        first: rs.length ? median(rs.map((r) => r.windows[0])) : NaN,
        later: later.length ? later.reduce((a, b) => a + b, 0) / later.length : NaN,
    };
}
const stuck = stuckTable(raw, ['ours']);
out.push('');
out.push('## A stuck message at prefetch 100');
out.push('');
out.push('Our worker, prefetch 100, the same N messages twice in each run: (a) all normal; (b) the first message ' +
    '(the first delivered) calls the platform API\'s `/hang`, which never answers (requestTimeout 600 s in both), so its ' +
    'delivery stays unsettled at the head while the other N-1 are acked behind it. The clock stops when the N-1 normal ' +
    'outputs (N in a) are on the queues; messages/s and CPU per message count those. A run whose stuck call was not ' +
    'still open at the end is left out.');
out.push('');
out.push(...stuck.rows);

out.push('');
out.push('## 4 replicas on one queue sharing a credential, token expired at start');
out.push('');
const r0 = (replicas['replicas-staggered'].rs[0] || replicas['replicas-together'].rs[0]);
const lifetime = r0 ? r0.token_lifetime : NaN;
out.push('Four of our workers on one queue, prefetch 100 each, the step config\'s `tokens` long expired and `_account` set; ' +
    `the demo server's tokens live ${fmt(lifetime)} s, so a worker renews ${fmt(renewEvery(lifetime))} s after a token was requested ` +
    '(the refresh margin is min(60 s, half the lifetime)): one renewal window. Before asking the token endpoint a worker reads the ' +
    'credential back from the bench platform API (`GET /v2/credentials/cred-1/`), which keeps the keys of the last `PATCH`, and ' +
    'uses a token another replica saved there if it is still fresh. ' +
    (r0 ? `${fmt(r0.figures.prepublished)} messages wait in the queue at start, the rest of ${fmt(r0.figures.messages)} are published evenly over ${fmt(r0.figures.publish_over_s)} s. ` : '') +
    'Token requests are the demo server\'s count; the windows are the platform\'s grouping of the saved tokens (a save opens a ' +
    'window when its token was requested at or after the renewal time of the token that opened the current one). ' +
    'Target: 1 token request per token lifetime (window) when the replicas start a second apart.');
out.push('');
out.push('| replicas start | token lifetime (s) | renewal every (s) | load (s) | messages | token requests | renewal windows | **token requests per token lifetime** | first window (start) | later windows (mean) | tokens per window |');
out.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
for (const [s] of replicaCases) {
    const x = replicas[s];
    const r = x.rs[0];
    out.push(`| ${x.label} | ${r ? fmt(r.token_lifetime) : 'n/a'} | ${r ? fmt(renewEvery(r.token_lifetime), 1) : 'n/a'} | ` +
        `${r ? fmt(r.figures.seconds, 1) : 'n/a'} | ${r ? fmt(r.figures.messages) : 'n/a'} | ${fmt(x.tokens)} | ${fmt(x.windows)} | ` +
        `**${fmt(x.perWindow, 2)}** | ${fmt(x.first)} | ${fmt(x.later, 2)} | ${x.rs.map((q) => q.windows.join(' ')).join('; ') || 'n/a'} |`);
}

// The issue's targets, checked against this run.
const o1 = med('ours', 'prefetch-1', 'rate');
const r1 = med('reference', 'prefetch-1', 'rate');
const r100 = med('reference', 'prefetch-100', 'rate');
const cpuRatios = [1, 10, 100].map((p) => med('ours', `prefetch-${p}`, 'cpu_us_per_msg') / med('reference', `prefetch-${p}`, 'cpu_us_per_msg'));
const idle = mb(median([1, 10, 100].map((p) => med('ours', `prefetch-${p}`, 'idle_rss_kb'))));
const start = median([1, 10, 100].map((p) => med('ours', `prefetch-${p}`, 'start_ms')));
const yes = (b) => (b ? 'yes' : '**no**');
out.push('');
out.push('## Targets (issue 4)');
out.push('');
out.push('| target | measured | met |');
out.push('|---|---|---|');
out.push(`| prefetch 1: ≥ 10× the reference | ${ratio(o1, r1)} | ${yes(o1 / r1 >= 10)} |`);
out.push(`| prefetch 100: ≥ 5× the reference | ${ratio(p100, r100)} | ${yes(p100 / r100 >= 5)} |`);
out.push(`| prefetch 100: ≥ 60 % of the broker-only ceiling | ${fmt((100 * p100) / ceiling)} % | ${yes(p100 / ceiling >= 0.6)} |`);
out.push(`| CPU per message ≤ 1/10 of the reference (worst prefetch) | ${fmt(Math.max(...cpuRatios), 3)}× | ${yes(Math.max(...cpuRatios) <= 0.1)} |`);
out.push(`| idle RSS after start ≤ 10 MB | ${fmt(idle, 1)} MB | ${yes(idle <= 10)} |`);
out.push(`| start to consuming ≤ 30 ms | ${fmt(start, 1)} ms | ${yes(start <= 30)} |`);
out.push(`| exactly 1 token request for ${fmt(tokenMessages)} messages | ${fmt(tokens10k)} | ${yes(tokens10k === 1)} |`);
const rep = replicas['replicas-staggered'];
out.push(`| 4 replicas started 1 s apart, token expired at start: 1 token request per token lifetime | ${fmt(rep.perWindow, 2)} (${fmt(rep.tokens)} in ${fmt(rep.windows)} windows; all at once: ${fmt(replicas['replicas-together'].perWindow, 2)}) | ${yes(rep.windows > 0 && rep.tokens === rep.windows)} |`);
const sf = stuck.figs.ours;
out.push(`| a stuck message at prefetch 100: msg/s and CPU per message within 10 % (b ÷ a) | ${fmt(sf.rateRatio, 3)}× / ${fmt(sf.cpuRatio, 3)}× | ${yes(stuckMet(sf))} |`);
out.push(`| local mode ≥ 80 % of wrk | ${fmt((100 * localRate) / wrkRate)} % | ${yes(localRate / wrkRate >= 0.8)} |`);
// bench/cli_bench.sh's line, when run.sh wrote it (older result dirs have none).
const cliPath = path.join(resultsDir, 'cli.json');
const cli = fs.existsSync(cliPath) ? readLines(cliPath)[0] : undefined;
if (cli) {
    out.push(`| oauth2-rest request vs curl (token cached), start to exit: within 2× (issue 13) | ${fmt(cli.oauth2_rest_ms_median, 1)} ms vs ${fmt(cli.curl_ms_median, 1)} ms ` +
        `(p90 ${fmt(cli.oauth2_rest_ms_p90, 1)} vs ${fmt(cli.curl_ms_p90, 1)}), ${fmt(cli.ratio, 2)}×, ${fmt(cli.oauth2_rest_token_requests)} token request in ${fmt(cli.cli_runs + 1)} calls | ` +
        `${yes(cli.ratio <= 2 && cli.oauth2_rest_token_requests === 1)} |`);
}
out.push('');
out.push('How measured: `oauth2-rest-bench-driver` pre-publishes the messages (encrypted, protocol 1), spawns the worker, ' +
    'starts the clock when the queue shows a consumer and stops it when the bound data and error queues hold every output. ' +
    'CPU is utime+stime from /proc/PID/stat over that interval (10 ms ticks); peak RSS is VmHWM; idle RSS is VmRSS 1 s after a ' +
    'separate start on an empty queue; start is spawn until the queue shows a consumer (platform API on loopback); token requests ' +
    'are the demo server\'s count for that run (the server is restarted for each run). Local mode: ' +
    `${local.length ? local[0].messages : '?'} lines through \`oauth2-rest process --concurrency 16\`, timed from spawn to exit ` +
    '(start, token request and exit included), against `wrk -t2 -c16` for BENCH_WRK_SECONDS on the same endpoint with a valid token. ' +
    '`oauth2-rest request` vs curl (bench/cli_bench.sh): one GET to the demo API per process, the token in oauth2-rest\'s cache ' +
    '(and in curl\'s `-H "Authorization: Bearer ..."`), the two alternated, each process timed from spawn to exit by bash\'s ' +
    '$EPOCHREALTIME; medians per call; the demo server counts the token requests.');
out.push('');
out.push('## Micro benchmarks (per-message path)');
out.push('');
out.push('```');
out.push(fs.readFileSync(microPath, 'utf8').trimEnd());
out.push('```');
process.stdout.write(out.join('\n') + '\n');
