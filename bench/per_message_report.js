// The table of bench/per_message.sh (Markdown on stdout): per prefetch and build, instructions,
// allocations, system calls and wake-ups per message.
//
// Usage: node bench/per_message_report.js RAW-DIR N "PREFETCHES" "COMMAND" LABEL...
'use strict';

const fs = require('fs');
const path = require('path');

const [dir, nText, prefetchText, commandLine, ...labels] = process.argv.slice(2);
const n = Number(nText);
const prefetches = prefetchText.split(/\s+/).filter(Boolean);
const read = (name) => {
    try {
        return fs.readFileSync(path.join(dir, name), 'utf8');
    } catch {
        return null;
    }
};

// callgrind_annotate --tree=caller: the program's total, and the calls into the allocator
// (each caller line of a block names its call count as "(N x)"): glibc's entry points, or
// mimalloc's where it replaced them (its operator new is its own, not a call to malloc).
const allocators = new RegExp(
    '\\*\\s+\\S*:(malloc|calloc|realloc|_mid_memalign\\.constprop\\.0|posix_memalign) \\[[^\\]]*libc\\.so' +
    '|\\*\\s+\\S*:(malloc|calloc|realloc|aligned_alloc|posix_memalign|mi_malloc|mi_malloc_aligned|operator new(?:\\[\\])?\\([^)]*\\)) \\[[^\\]]*libmimalloc');
function callgrindFigures(text) {
    if (!text) return null;
    const total = text.match(/([\d,]+) \(100\.0%\)\s+PROGRAM TOTALS/);
    if (!total) return null;
    let allocations = 0;
    for (const block of text.split('\n\n')) {
        const head = block.match(allocators);
        // Aligned requests reach malloc through _mid_memalign: count them once, there.
        if (!head) continue;
        for (const line of block.split('\n')) {
            const m = line.match(/<\s*(.*?) \(([\d,]+)x\)/);
            if (!m) continue;
            if (head[1] === 'malloc' && m[1].includes('_mid_memalign')) continue;
            if (head[2] && m[1].includes('libmimalloc')) continue;  // mimalloc calling itself
            allocations += Number(m[2].replace(/,/g, ''));
        }
    }
    return { instructions: Number(total[1].replace(/,/g, '')), allocations };
}

// strace -c: calls per system call name, and the reads that failed (EAGAIN: a read tried before
// data was there). A row is "% seconds usecs/call calls [errors] name".
function straceFigures(text) {
    if (!text) return null;
    const calls = {};
    let total = 0;
    let failedReads = 0;
    for (const line of text.split('\n')) {
        const f = line.trim().split(/\s+/);
        if (f.length < 5 || !/^\d/.test(f[0]) || f[f.length - 1] === 'total') continue;
        const name = f[f.length - 1];
        calls[name] = Number(f[3]);
        total += calls[name];
        if (f.length === 6 && /^(recvfrom|recvmsg|read)$/.test(name)) failedReads += Number(f[4]);
    }
    return { calls, total, failedReads };
}

const fmt = (x, digits = 1) => (x === null || x === undefined || Number.isNaN(x) ? 'n/a' : x.toFixed(digits));
const out = [];
out.push('# What one message costs, counted');
out.push('');
out.push(`Made by \`${commandLine}\` on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC; ` +
    `instructions and allocations: callgrind, (run of ${2 * n}) - (run of ${n}), over ${n}; ` +
    `system calls (strace -f -c) and wake-ups (voluntary context switches, all threads) over a run of ${2 * n}.`);
out.push('');
out.push('| prefetch | build | instructions | allocations | system calls | of which epoll_wait | failed reads (EAGAIN) | wake-ups |');
out.push('|---:|---|---:|---:|---:|---:|---:|---:|');
for (const p of prefetches) {
    for (const label of labels) {
        const a = callgrindFigures(read(`${label}-p${p}-m${n}.txt`));
        const b = callgrindFigures(read(`${label}-p${p}-m${2 * n}.txt`));
        const s = straceFigures(read(`${label}-p${p}.strace`));
        const wakeups = read(`${label}-p${p}.wakeups`);
        const per = (x) => x / (2 * n);
        out.push(`| ${p} | ${label} | ${a && b ? fmt((b.instructions - a.instructions) / n / 1000) + ' k' : 'n/a'} | ` +
            `${a && b ? fmt((b.allocations - a.allocations) / n) : 'n/a'} | ${s ? fmt(per(s.total)) : 'n/a'} | ` +
            `${s ? fmt(per(s.calls.epoll_wait || 0)) : 'n/a'} | ${s ? fmt(per(s.failedReads)) : 'n/a'} | ` +
            `${wakeups ? fmt(per(Number(wakeups.trim())), 2) : 'n/a'} |`);
    }
}
process.stdout.write(out.join('\n') + '\n');
