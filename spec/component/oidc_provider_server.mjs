// The OpenID provider of the client-authentication end-to-end test: panva's oidc-provider
// (installed by scripts/install-test-servers.sh) on Node's own https server on loopback, plus a
// protected API route on the same server.
//
// Why Node's https server and no TLS terminator in front: tls_client_auth needs the client
// certificate from the TLS handshake, and here oidc-provider reads it from the very socket
// that verified it (requestCert, our test CA), with no header to forward and trust.
//
// Usage: node oidc_provider_server.mjs CONFIG.json
//   CONFIG: { "modules": dir holding node_modules/oidc-provider, "cert", "key", "ca": PEM file
//             paths of the server identity and the CA that issues client certificates,
//             "clients": [ { client_id, token_endpoint_auth_method, client_secret?,
//             public_key_pem?, kid?, subject_dn?, bound? } ] }
// Prints "listening <port>" when ready. Routes: the provider's (POST /token, ...) and
// GET /api/whoami, which accepts only access tokens the provider issued (and, for a token
// bound to a certificate, only over a connection presenting that certificate) and answers
// {"client_id", "certificate": CN presented or null, "bound": bool}.
import { createHash, createPublicKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const { default: Provider } = await import(
  pathToFileURL(join(config.modules, 'node_modules', 'oidc-provider', 'lib', 'index.js')).href);

const server = createServer({
  cert: readFileSync(config.cert),
  key: readFileSync(config.key),
  ca: readFileSync(config.ca),
  requestCert: true,          // ask every client; only tls_client_auth and bound tokens need one
  rejectUnauthorized: false,  // the provider decides, per client, from socket.authorized
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address();
const issuer = `https://localhost:${port}`;

const peerCertificate = (socket) => {
  const cert = socket.getPeerX509Certificate?.();
  return cert instanceof X509Certificate ? cert : undefined;
};
const commonName = (cert) => cert.subject.split('\n').find((part) => part.startsWith('CN='))?.slice(3) ?? null;
// RFC 4514 order (most specific first): Node lists the subject from the root of the name.
const subjectDn = (cert) => cert.subject.split('\n').reverse().join(',');

const signing = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
const clients = config.clients.map((c) => {
  const client = {
    client_id: c.client_id,
    grant_types: ['client_credentials'],
    redirect_uris: [],
    response_types: [],
    token_endpoint_auth_method: c.token_endpoint_auth_method,
    id_token_signed_response_alg: 'ES256',  // the provider's only signing key is EC (no ID tokens here anyway)
  };
  if (c.client_secret) client.client_secret = c.client_secret;
  if (c.public_key_pem) {
    const jwk = createPublicKey(c.public_key_pem).export({ format: 'jwk' });
    if (c.kid) jwk.kid = c.kid;
    client.jwks = { keys: [jwk] };
  }
  if (c.subject_dn) client.tls_client_auth_subject_dn = c.subject_dn;
  if (c.bound) client.tls_client_certificate_bound_access_tokens = true;
  return client;
});

const provider = new Provider(issuer, {
  clients,
  jwks: { keys: [signing] },
  cookies: { keys: ['oauth2-rest test cookie key'] },
  clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt',
    'tls_client_auth'],
  enabledJWA: { clientAuthSigningAlgValues: ['HS256', 'RS256', 'ES256', 'ES384', 'EdDSA'] },
  features: {
    clientCredentials: { enabled: true },
    devInteractions: { enabled: false },
    mTLS: {
      enabled: true,
      tlsClientAuth: true,
      certificateBoundAccessTokens: true,
      getCertificate: (ctx) => peerCertificate(ctx.socket),
      certificateAuthorized: (ctx) => ctx.socket.authorized === true,
      certificateSubjectMatches: (ctx, property, expected) => {
        const cert = peerCertificate(ctx.socket);
        return property === 'tls_client_auth_subject_dn' && cert !== undefined && subjectDn(cert) === expected;
      },
    },
  },
});
provider.on('server_error', (ctx, error) => console.error('oidc-provider server_error', error));
provider.on('grant.error', (ctx, error) => console.error('oidc-provider grant.error', error.message,
  error.error_description ?? '', error.error_detail ?? ''));

const api = async (req, res) => {
  const send = (status, body) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const authorization = req.headers.authorization ?? '';
  if (!authorization.startsWith('Bearer ')) return send(401, { error: 'invalid_request' });
  const token = await provider.ClientCredentials.find(authorization.slice(7));
  if (!token) return send(401, { error: 'invalid_token' });
  const cert = peerCertificate(req.socket);
  const bound = token['x5t#S256'] !== undefined;
  if (bound) {
    const thumbprint = cert && createHash('sha256').update(cert.raw).digest('base64url');
    if (thumbprint !== token['x5t#S256']) return send(401, { error: 'invalid_token', reason: 'certificate' });
  }
  return send(200, { client_id: token.clientId, certificate: cert ? commonName(cert) : null, bound });
};

const callback = provider.callback();
server.on('request', (req, res) => {
  if (req.url.startsWith('/api/')) {
    api(req, res).catch((error) => { res.writeHead(500); res.end(String(error)); });
  } else {
    callback(req, res);
  }
});
console.log(`listening ${port}`);
