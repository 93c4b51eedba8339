// Wire-compatibility helper for spec/sail/reference_compat_test.cpp: runs the
// reference runtime's own code (elasticio-sailor-nodejs 2.7.8: lib/encryptor.js
// and lib/amqp.js) on stdin and writes the result to stdout, so the C++ test
// can compare bytes with ours.
//
// Usage: node crypto_compat.js <npm-prefix> <command> <password> <iv> [args...]
//   encrypt <base64|raw>             stdin: JSON text -> stdout: the body (base64 text or raw ciphertext)
//   decrypt <base64|raw>             stdin: a body    -> stdout: JSON text of the decrypted value
//   decode <default|error> <headers> stdin: an AMQP body -> stdout: JSON of Amqp._decodeMessage
//   send-error <headers> <error>     stdin: the incoming AMQP body (may be empty: none)
//                                    -> stdout: the error record Amqp.sendError publishes
//   send-data <protocolVersion>      stdin: message JSON -> stdout: the body Amqp.sendData publishes
// <headers> and <error> are JSON texts.
'use strict';

// The runtime's bunyan logger is silent under NODE_ENV=test unless LOG_LEVEL is
// set; stdout must carry nothing but the result.
process.env.NODE_ENV = 'test';
delete process.env.LOG_LEVEL;

const [prefix, command, password, iv, ...args] = process.argv.slice(2);
if (!prefix || !command || password === undefined || iv === undefined) {
    process.stderr.write('usage: crypto_compat.js <npm-prefix> <command> <password> <iv> [args...]\n');
    process.exit(2);
}

function load(modulePath) {
    return require(require.resolve(modulePath, { paths: [prefix] }));
}

function readStdin() {
    return require('fs').readFileSync(0);
}

function newAmqp(extraSettings) {
    const { Amqp } = load('elasticio-sailor-nodejs/lib/amqp.js');
    const amqp = new Amqp({
        MESSAGE_CRYPTO_PASSWORD: password,
        MESSAGE_CRYPTO_IV: iv,
        PUBLISH_MESSAGES_TO: 'exchange',
        DATA_ROUTING_KEY: 'data',
        ERROR_ROUTING_KEY: 'error',
        NO_ERROR_REPLIES: true,
        OUTGOING_MESSAGE_SIZE_LIMIT: 10485760,
        ...extraSettings
    });
    // Capture what would be published instead of talking to a broker.
    amqp.published = [];
    amqp.sendToExchange = async (exchange, routingKey, payload, options) => {
        amqp.published.push({ exchange, routingKey, payload, options });
    };
    return amqp;
}

async function main() {
    const Encryptor = load('elasticio-sailor-nodejs/lib/encryptor.js');
    const encryptor = new Encryptor(password, iv);
    const input = readStdin();
    const encodingOf = (name) => (name === 'raw' ? undefined : name);

    switch (command) {
        case 'encrypt': {
            const payload = JSON.parse(input.toString('utf8'));
            process.stdout.write(encryptor.encryptMessageContent(payload, encodingOf(args[0])));
            break;
        }
        case 'decrypt': {
            const value = encryptor.decryptMessageContent(input, encodingOf(args[0]));
            process.stdout.write(JSON.stringify(value));
            break;
        }
        case 'decode': {
            const amqp = newAmqp({ INPUT_FORMAT: args[0] });
            const message = amqp._decodeMessage({
                content: input,
                properties: { headers: JSON.parse(args[1]) },
                fields: { deliveryTag: 1 }
            });
            process.stdout.write(JSON.stringify(message));
            break;
        }
        case 'send-error': {
            const amqp = newAmqp({});
            const headers = JSON.parse(args[0]);
            const err = JSON.parse(args[1]);
            const original = input.length > 0 ? { content: input, properties: { headers } } : undefined;
            await amqp.sendError(err, headers, original);
            process.stdout.write(amqp.published[0].payload);
            break;
        }
        case 'send-data': {
            const amqp = newAmqp({ PROTOCOL_VERSION: Number(args[0]) });
            await amqp.sendData(JSON.parse(input.toString('utf8')), { messageId: 'm' });
            process.stdout.write(amqp.published[0].payload);
            break;
        }
        default:
            process.stderr.write(`unknown command ${command}\n`);
            process.exit(2);
    }
}

main().catch((err) => {
    process.stderr.write(`crypto_compat.js: ${err && err.stack ? err.stack : err}\n`);
    process.exit(1);
});
