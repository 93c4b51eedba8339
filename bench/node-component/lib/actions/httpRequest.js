// The benchmark's JavaScript equivalent of oauth2-rest's httpRequest action, run by the reference
// runtime (elasticio-sailor-nodejs 2.7.8): one HTTP call per message to cfg.baseUrl + msg.body.url
// with a bearer token from the client-credentials grant, cached in memory (one token request shared
// by all concurrent messages) and reused until shortly before it expires. Keep-alive connections
// (the sailor installs keep-alive agents globally; this one is explicit). Output: {statusCode, headers, body}.
'use strict';

const http = require('http');
const https = require('https');

const agents = {
    'http:': new http.Agent({ keepAlive: true, maxSockets: 256 }),
    'https:': new https.Agent({ keepAlive: true, maxSockets: 256 })
};

let cached = null;   // { accessToken, refreshAt }
let inFlight = null; // the token request in progress, shared

function request(method, url, headers, body) {
    return new Promise((resolve, reject) => {
        const u = new URL(url);
        const lib = u.protocol === 'https:' ? https : http;
        const req = lib.request(u, { method, headers, agent: agents[u.protocol] }, (res) => {
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () => resolve({ statusCode: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
            res.on('error', reject);
        });
        req.on('error', reject);
        if (body) req.write(body);
        req.end();
    });
}

async function fetchToken(cfg) {
    const basic = Buffer.from(`${encodeURIComponent(cfg.username)}:${encodeURIComponent(cfg.password)}`).toString('base64');
    const res = await request('POST', cfg.tokenUrl, {
        'Content-Type': 'application/x-www-form-urlencoded',
        Authorization: `Basic ${basic}`
    }, 'grant_type=client_credentials');
    if (res.statusCode !== 200) throw new Error(`token request failed: ${res.statusCode} ${res.text.slice(0, 200)}`);
    const t = JSON.parse(res.text);
    const lifetime = Number(t.expires_in || 3600) * 1000;
    return { accessToken: t.access_token, refreshAt: Date.now() + Math.max(lifetime - 60000, lifetime / 2) };
}

async function getToken(cfg) {
    if (cached && Date.now() < cached.refreshAt) return cached.accessToken;
    if (!inFlight) inFlight = fetchToken(cfg).finally(() => { inFlight = null; });
    cached = await inFlight;
    return cached.accessToken;
}

exports.process = async function process(msg, cfg) {
    const token = await getToken(cfg);
    const url = cfg.baseUrl.replace(/\/+$/, '') + '/' + String(msg.body.url).replace(/^\/+/, '');
    const res = await request(msg.body.method || 'GET', url, { Authorization: `Bearer ${token}`, Accept: 'application/json' });
    if (res.statusCode >= 400) throw new Error(`HTTP error ${res.statusCode}: ${res.text.slice(0, 1000)}`);
    let body = {};
    if (res.text.length > 0) {
        try { body = JSON.parse(res.text); } catch (e) { body = res.text; }
    }
    return { body: { statusCode: res.statusCode, headers: res.headers, body } };
};
