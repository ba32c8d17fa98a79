import type { ReactNode } from "react";

import { useAuth } from "../auth/auth-context";

/** Admin pages for realm role admin only (the API enforces it too). */
export function AdminGuard({ children }: { children: ReactNode }) {
  const { user, roles, login } = useAuth();
  if (!user) {
    return (
      <main className="page" id="main">
        <h1>Administration</h1>
        <button type="button" onClick={() => void login()}>
          Sign in
        </button>
      </main>
    );
  }
  if (!roles.includes("admin")) {
    return (
      <main className="page" id="main">
        <h1>Access denied</h1>
        <p role="alert">This page is for store administrators only.</p>
      </main>
    );
  }
  return <>{children}</>;
}
