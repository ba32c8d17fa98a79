import { InMemoryWebStorage, type User, UserManager, WebStorageStateStore } from "oidc-client-ts";

import { env } from "../config/env";

// Not a token, and in no storage API: the tab's window.name remembers that it signed in, so a reload
// re-authenticates with a top-level redirect against the Keycloak session (prompt=none) instead of asking for
// the password again. It survives reloads of the tab and is cleared by cross-site navigation and sign-out.
const SIGNED_IN_MARK = "bookstore:signed-in";

const realm = env.oidcAuthority;

export const userManager = new UserManager({
  authority: realm,
  client_id: env.oidcClientId,
  redirect_uri: `${env.origin}/callback`,
  post_logout_redirect_uri: `${env.origin}/`,
  response_type: "code",
  scope: "openid profile",
  // Tokens live in memory only. The PKCE verifier and state wait in sessionStorage during the round trip to
  // Keycloak and are removed when the callback is handled.
  userStore: new WebStorageStateStore({ store: new InMemoryWebStorage() }),
  automaticSilentRenew: true, // with the refresh token, in memory, no iframe
  monitorSession: false,
  loadUserInfo: false,
  metadata: {
    issuer: realm,
    authorization_endpoint: `${realm}/protocol/openid-connect/auth`,
    token_endpoint: `${realm}/protocol/openid-connect/token`,
    end_session_endpoint: `${realm}/protocol/openid-connect/logout`,
    jwks_uri: `${realm}/protocol/openid-connect/certs`,
  },
});

export interface ReturnState {
  returnTo: string;
  silent?: boolean;
}

export function wasSignedIn(): boolean {
  return window.name === SIGNED_IN_MARK;
}

export function rememberSignedIn(signedIn: boolean): void {
  window.name = signedIn ? SIGNED_IN_MARK : "";
}

export function login(returnTo: string): Promise<void> {
  return userManager.signinRedirect({ state: { returnTo } satisfies ReturnState });
}

/** Keycloak's registration page through the same PKCE flow (OIDC prompt=create); back signed in. */
export function register(returnTo: string): Promise<void> {
  return userManager.signinRedirect({ prompt: "create", state: { returnTo } satisfies ReturnState });
}

export function silentLogin(returnTo: string): Promise<void> {
  return userManager.signinRedirect({ prompt: "none", state: { returnTo, silent: true } satisfies ReturnState });
}

export async function logout(user: User | null): Promise<void> {
  rememberSignedIn(false);
  await userManager.removeUser();
  await userManager.signoutRedirect({ id_token_hint: user?.id_token });
}

export function realmRoles(user: User | null): string[] {
  if (!user) return [];
  try {
    const payload = JSON.parse(atob(user.access_token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
    const roles = payload?.realm_access?.roles;
    return Array.isArray(roles) ? roles.filter((r: unknown): r is string => typeof r === "string") : [];
  } catch {
    return [];
  }
}
