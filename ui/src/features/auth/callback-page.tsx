import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { useNavigate } from "react-router";

import { apiSend } from "../../lib/api-client";
import { type ReturnState, rememberSignedIn, userManager } from "../../lib/auth";
import { useAuth } from "./auth-context";

/** Where Keycloak sends the browser back: exchange the code, merge the guest cart, return to the page. */
export function CallbackPage() {
  const { setUser } = useAuth();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const handled = useRef(false);

  useEffect(() => {
    if (handled.current) return;
    handled.current = true;
    const params = new URLSearchParams(window.location.search);
    userManager
      .signinRedirectCallback()
      .then(async (user) => {
        const state = (user.state ?? { returnTo: "/" }) as ReturnState;
        setUser(user);
        rememberSignedIn(true);
        try {
          await apiSend("POST", "/ecom/cart/merge");
        } catch {
          // The guest cart stays where it was; the shopper can still use their own.
        }
        await queryClient.invalidateQueries();
        navigate(state.returnTo || "/", { replace: true });
      })
      .catch(async () => {
        // prompt=none without a Keycloak session, or a stale/forged callback: continue as a guest.
        rememberSignedIn(false);
        setUser(null);
        const stateId = params.get("state");
        let returnTo = "/";
        if (stateId) {
          const stored = await userManager.settings.stateStore.get(stateId).catch(() => null);
          if (stored) returnTo = (JSON.parse(stored)?.data?.returnTo as string | undefined) ?? "/";
          await userManager.settings.stateStore.remove(stateId).catch(() => null);
        }
        if (params.get("error") === "login_required") navigate(returnTo, { replace: true });
        else setError("Signing in did not work. Please try again.");
      });
  }, [navigate, queryClient, setUser]);

  return (
    <main className="page" aria-busy={!error}>
      <h1>{error ? "Sign-in failed" : "Signing you in…"}</h1>
      {error && <p role="alert">{error}</p>}
    </main>
  );
}
