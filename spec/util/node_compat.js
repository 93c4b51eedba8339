// Node's own reading and writing, for json_node_compat_test.cpp. One input per stdin line, one
// output line per input:
//   node node_compat.js json     JSON text      -> JSON.stringify(JSON.parse(text)), or "!error"
//   node node_compat.js base64   hex of bytes   -> hex of Buffer.from(bytes.toString(), "base64"),
//                                                  as the reference runtime decodes a message body
'use strict';
const readline = require('readline');
const command = process.argv[2];
const out = [];
const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on('line', (line) => {
  if (command === 'json') {
    try {
      out.push(JSON.stringify(JSON.parse(line)));
    } catch (e) {
      out.push('!error');
    }
  } else if (command === 'base64') {
    const text = Buffer.from(line, 'hex').toString();
    out.push(Buffer.from(text, 'base64').toString('hex'));
  } else {
    throw new Error('unknown command ' + command);
  }
});
rl.on('close', () => process.stdout.write(out.map((l) => l + '\n').join('')));
