// The OpenID provider of the OIDC end-to-end tests: oidc-provider on
// 127.0.0.1 (a free port), one confidential client and one user, the
// development login form (any password; the user must be "alice"), and
// consent granted up front for the client's scopes. Prints
// "listening http://127.0.0.1:PORT" once it answers.
//
// Settings from the environment: PASTRY_OIDC_CLIENT_ID,
// PASTRY_OIDC_CLIENT_SECRET, PASTRY_OIDC_REDIRECT_URI.
import http from 'node:http';
import Provider from 'oidc-provider';

const clientId = process.env.PASTRY_OIDC_CLIENT_ID ?? 'pastry-demo';
const clientSecret = process.env.PASTRY_OIDC_CLIENT_SECRET ?? 'pastry-demo-secret';
const redirectUri = process.env.PASTRY_OIDC_REDIRECT_URI;
if (!redirectUri) {
  console.error('PASTRY_OIDC_REDIRECT_URI is required');
  process.exit(2);
}

const users = {
  alice: {
    sub: 'alice',
    email: 'alice@example.com',
    email_verified: true,
    name: 'Alice Example',
    preferred_username: 'alice',
  },
};

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
    }],
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username'],
    },
    // The scopes' claims go into the ID token, where the client reads them.
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: true } },
    pkce: { required: () => true },
    async findAccount(ctx, id) {
      const claims = users[id];
      if (!claims) return undefined;
      return { accountId: id, async claims() { return claims; } };
    },
    // First-party client: consent is granted without a page.
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId
        || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) {
        return ctx.oidc.provider.Grant.find(grantId);
      }
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope('openid email profile');
      await grant.save();
      return grant;
    },
  });
  server.on('request', provider.callback());
  console.log(`listening ${issuer}`);
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => process.exit(0));
}
