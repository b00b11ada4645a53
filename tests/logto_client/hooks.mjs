// Logto's published Management API client, pointed at hookline as at a self-hosted Logto:
// it fetches a token with client credentials from /oidc/token (resource
// https://default.logto.app/api, scope `all`), then creates a hook, lists the hooks, reads the
// hook back and deletes it. Prints what each call answered, as one JSON object.
//
// Usage: HOOKLINE_URL=... HOOKLINE_ADMIN_CLIENT_ID=... HOOKLINE_ADMIN_CLIENT_SECRET=... \
//        HOOK_URL=... node hooks.mjs
import { createManagementApi } from '@logto/api/management';

const { apiClient, clientCredentials } = createManagementApi('default', {
  clientId: process.env.HOOKLINE_ADMIN_CLIENT_ID,
  clientSecret: process.env.HOOKLINE_ADMIN_CLIENT_SECRET,
  baseUrl: process.env.HOOKLINE_URL,
  apiIndicator: 'https://default.logto.app/api',
});

const answer = ({ data, error, response }) => ({ status: response.status, body: data ?? error });

const created = answer(
  await apiClient.POST('/api/hooks', {
    body: {
      name: 'Made by @logto/api',
      events: ['User.Created', 'User.Deleted'],
      config: { url: process.env.HOOK_URL, headers: { 'x-from': 'logto-api' } },
    },
  }),
);
const path = { params: { path: { id: created.body.id } } };
const listed = answer(await apiClient.GET('/api/hooks'));
const read = answer(await apiClient.GET('/api/hooks/{id}', path));
const deleted = answer(await apiClient.DELETE('/api/hooks/{id}', path));
const readAfterDelete = answer(await apiClient.GET('/api/hooks/{id}', path));
const { scope } = await clientCredentials.getAccessToken();

console.log(JSON.stringify({ scope, created, listed, read, deleted, readAfterDelete }));
