import { afterEach, describe, expect, it, vi } from "vitest";

import { login, register, userManager } from "./auth";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("register", () => {
  it("opens Keycloak's registration page (prompt=create) through the same PKCE redirect as sign-in", async () => {
    const redirect = vi.spyOn(userManager, "signinRedirect").mockResolvedValue(undefined);
    await register("/books/42");
    expect(redirect).toHaveBeenCalledWith({ prompt: "create", state: { returnTo: "/books/42" } });
  });

  it("differs from sign-in only by the prompt", async () => {
    const redirect = vi.spyOn(userManager, "signinRedirect").mockResolvedValue(undefined);
    await login("/cart");
    expect(redirect).toHaveBeenCalledWith({ state: { returnTo: "/cart" } });
  });
});
