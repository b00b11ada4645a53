"""The web console at `/console`: server-rendered pages for the people who run hookline.

They call the services the Management API's handlers call (hooks, attempts, outbox), not
the API itself; admins sign in with a password (`hookline admin create`), not a token."""
