import type { User } from "oidc-client-ts";
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from "react";
import { useLocation } from "react-router";

import { setAccessTokenSource } from "../../lib/api-client";
import { login, logout, realmRoles, register, silentLogin, userManager, wasSignedIn } from "../../lib/auth";

interface AuthState {
  user: User | null;
  /** False while a reload re-authenticates against the Keycloak session. */
  ready: boolean;
  roles: string[];
  login: (returnTo?: string) => Promise<void>;
  register: (returnTo?: string) => Promise<void>;
  logout: () => Promise<void>;
  setUser: (user: User | null) => void;
}

const AuthContext = createContext<AuthState | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const location = useLocation();
  const [user, setUserState] = useState<User | null>(null);
  const onCallback = location.pathname === "/callback";
  const [ready, setReady] = useState(onCallback || !wasSignedIn());

  const setUser = useCallback((next: User | null) => {
    setAccessTokenSource(() => next?.access_token);
    setUserState(next);
  }, []);

  useEffect(() => {
    // Renewed tokens (refresh token, in memory) replace the old ones; a failed renewal signs out.
    const loaded = (next: User) => setUser(next);
    const expired = () => setUser(null);
    userManager.events.addUserLoaded(loaded);
    userManager.events.addAccessTokenExpired(expired);
    userManager.events.addSilentRenewError(expired);
    return () => {
      userManager.events.removeUserLoaded(loaded);
      userManager.events.removeAccessTokenExpired(expired);
      userManager.events.removeSilentRenewError(expired);
    };
  }, [setUser]);

  useEffect(() => {
    if (!ready && !onCallback) {
      // A reload: tokens were in memory only. Re-authenticate with a top-level redirect (no password).
      void silentLogin(location.pathname + location.search).catch(() => setReady(true));
    }
  }, [ready, onCallback, location.pathname, location.search]);

  const value = useMemo<AuthState>(
    () => ({
      user,
      ready,
      roles: realmRoles(user),
      login: (returnTo?: string) => login(returnTo ?? location.pathname + location.search),
      register: (returnTo?: string) => register(returnTo ?? location.pathname + location.search),
      logout: () => logout(user),
      setUser: (next) => {
        setUser(next);
        setReady(true);
      },
    }),
    [user, ready, location.pathname, location.search, setUser],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthState {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error("useAuth outside AuthProvider");
  return auth;
}
