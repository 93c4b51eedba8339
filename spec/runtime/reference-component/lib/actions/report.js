// Emits {received: <the body this step was given>} (small, inline), so the test can see what the
// reference runtime resolved from object storage for a lightweight input.
'use strict';

exports.process = async function process(msg) {
    return { body: { received: msg.body, receivedHeaders: msg.headers } };
};
