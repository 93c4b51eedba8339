// Emits the input body (a request for oauth2-rest's httpRequest action: url, method) with a
// `padding` member of msg.body.padding characters, so that the message passes the object storage
// threshold and the reference runtime, with ELASTICIO_EMIT_LIGHTWEIGHT_MESSAGE, stores its body.
'use strict';

exports.process = async function process(msg) {
    const { padding = 0, ...rest } = msg.body;
    return { body: { ...rest, padding: 'p'.repeat(padding) } };
};
